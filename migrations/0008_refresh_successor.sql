-- The successor a rotation issued, AES-GCM-sealed with a key derived from the rotated-out token
-- itself (which is stored only as its hash), so a replay inside the grace window can be answered with
-- the same successor instead of a new chain (RFC 9700 §4.14.2), and a database leak reveals nothing.
ALTER TABLE oauth_refresh_tokens ADD COLUMN successor_sealed TEXT;
