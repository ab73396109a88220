-- The gateway: each person's connection to each upstream MCP server, the flows that create them, and
-- Gatehouse's own registrations at upstream authorization servers. Credentials (upstream tokens, pasted
-- keys, registered client secrets) are stored only as AES-256-GCM ciphertext from the vault (VAULT_KEYS),
-- bound to the person and the upstream; times are Unix epoch seconds. Upstream ids come from the
-- operator's catalog (configuration), so they are not foreign keys.

CREATE TABLE upstream_connections (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  upstream_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('oauth', 'api_key')),
  -- The sealed credential (vault format v1.<kid>.<iv>.<ciphertext>).
  credential TEXT NOT NULL,
  -- Which account at the upstream, where the upstream says (shown to the person); never a secret.
  account_label TEXT,
  status TEXT NOT NULL DEFAULT 'connected' CHECK (status IN ('connected', 'needs_reconnect')),
  -- When the upstream access token expires (NULL: unknown or never); lets refresh happen before expiry.
  access_expires_at INTEGER,
  -- Bumped on every write of the credential: a refresh is stored only over the version it started from.
  version INTEGER NOT NULL DEFAULT 1,
  -- A refresh in flight claims the row until this time, so parallel calls refresh once.
  refresh_claimed_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_used_at INTEGER,
  PRIMARY KEY (user_id, upstream_id)
);

-- An authorization in flight at an upstream: single use (consumed_at), short-lived, bound to the
-- person's session. The PKCE verifier and the upstream metadata travel sealed in `flow`.
CREATE TABLE upstream_authorizations (
  state_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  session_hash TEXT NOT NULL,
  upstream_id TEXT NOT NULL,
  flow TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  consumed_at INTEGER
);
CREATE INDEX upstream_authorizations_expiry ON upstream_authorizations(expires_at);

-- Gatehouse's client registration (RFC 7591) at an upstream's authorization server, shared by everyone
-- who connects that upstream; only used when the server offers no client ID metadata documents and the
-- operator supplied no client.
CREATE TABLE upstream_clients (
  upstream_id TEXT NOT NULL,
  issuer TEXT NOT NULL,
  client_id TEXT NOT NULL,
  -- The sealed client secret, or NULL for a public client.
  client_secret TEXT,
  token_endpoint_auth_method TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (upstream_id, issuer, redirect_uri)
);

-- Upstreams added on the admin page (beside those in GATEHOUSE_UPSTREAMS, which always win on id):
-- the catalog entry as JSON, without secrets; an operator client secret or shared key sealed apart.
CREATE TABLE admin_upstreams (
  id TEXT PRIMARY KEY,
  entry TEXT NOT NULL,
  secret TEXT,
  created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
