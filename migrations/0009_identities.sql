-- Sign-in identities at external providers (AUTH_PROVIDERS) and the mailed links that prove an
-- existing account before an identity is linked to it. Owner: src/identity/identity-store.ts.

-- One row per (provider, subject): the provider's stable id for the person, bound to one account.
-- An account holds at most one identity per provider.
CREATE TABLE identities (
  provider_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  email TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  PRIMARY KEY (provider_id, subject),
  UNIQUE (user_id, provider_id)
);

-- A pending link: the provider asserted the verified address of an existing account; the link mailed
-- to that address, opened in the browser that started the sign-in (browser_hash), links it once.
CREATE TABLE identity_link_requests (
  token_hash TEXT PRIMARY KEY,
  browser_hash TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  provider_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  email TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  consumed_at INTEGER,
  consumed_nonce TEXT
);
CREATE INDEX identity_link_requests_user ON identity_link_requests(user_id);
CREATE INDEX identity_link_requests_expires ON identity_link_requests(expires_at);
