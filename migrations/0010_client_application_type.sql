-- The kind of client (OpenID Connect Dynamic Client Registration 1.0 §2 `application_type`), which
-- MCP 2026-07-28 clients send in registration (SEP-837) and RFC 7591 §3.2.1 has us return as
-- registered. Absent means `web`, the default that specification defines; rows written before this
-- column existed read `web` for the same reason. Nothing is decided on it: redirect URIs follow our
-- own policy (src/oauth/redirect-uri.ts) for both kinds.
ALTER TABLE oauth_clients ADD COLUMN application_type TEXT NOT NULL DEFAULT 'web'
  CHECK (application_type IN ('web', 'native'));
