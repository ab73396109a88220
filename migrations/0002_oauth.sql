-- The OAuth 2.1 authorization server: clients, grants (one per approved authorization), single-use
-- authorization codes and rotating refresh tokens. Times are Unix epoch seconds. Client secrets, codes
-- and refresh tokens are stored as SHA-256 hex only (of 256-bit random values); the clear values exist
-- only in the response that hands them out.

CREATE TABLE oauth_clients (
  -- A random id for registered clients; for client ID metadata documents, the document's https URL.
  id TEXT PRIMARY KEY,
  registration_type TEXT NOT NULL CHECK (registration_type IN ('dcr', 'cimd', 'app')),
  -- The person who created an "OAuth app" in settings; NULL for dynamically registered and CIMD clients.
  owner_user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
  client_name TEXT NOT NULL,
  client_uri TEXT,
  logo_uri TEXT,
  -- JSON arrays of strings.
  redirect_uris TEXT NOT NULL,
  grant_types TEXT NOT NULL,
  response_types TEXT NOT NULL,
  token_endpoint_auth_method TEXT NOT NULL
    CHECK (token_endpoint_auth_method IN ('none', 'client_secret_basic', 'client_secret_post')),
  secret_hash TEXT,
  scope TEXT,
  software_id TEXT,
  software_version TEXT,
  metadata_fetched_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK ((token_endpoint_auth_method = 'none') = (secret_hash IS NULL))
);
CREATE INDEX oauth_clients_owner ON oauth_clients(owner_user_id);

CREATE TABLE oauth_grants (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  client_id TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
  -- The exact redirect URI the person approved (consent is remembered per client + redirect + scope).
  redirect_uri TEXT NOT NULL,
  scope TEXT NOT NULL,
  resource TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  first_used_at INTEGER,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX oauth_grants_user ON oauth_grants(user_id, revoked_at);
CREATE INDEX oauth_grants_consent ON oauth_grants(user_id, client_id, redirect_uri, scope);

CREATE TABLE oauth_authorization_codes (
  code_hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  -- PKCE is required for every client: a code without an S256 challenge cannot exist (RFC 9700 §2.1.1).
  code_challenge TEXT NOT NULL CHECK (length(code_challenge) = 43),
  code_challenge_method TEXT NOT NULL CHECK (code_challenge_method = 'S256'),
  scope TEXT NOT NULL,
  resource TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  consumed_at INTEGER
);
CREATE INDEX oauth_authorization_codes_grant ON oauth_authorization_codes(grant_id);
CREATE INDEX oauth_authorization_codes_expires ON oauth_authorization_codes(expires_at);

CREATE TABLE oauth_refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  -- The token this one replaced (NULL for the first token of a grant): the rotation chain.
  parent_hash TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  -- Set once, atomically, when the token is exchanged; a later use is reuse (after the grace window).
  rotated_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens(grant_id);
CREATE INDEX oauth_refresh_tokens_expires ON oauth_refresh_tokens(expires_at);
