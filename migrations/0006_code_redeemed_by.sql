-- The request that spent an authorization code, so storing its refresh token can be guarded on
-- "this request spent it" inside the same D1 batch (a fault between the two can then never burn a
-- code without issuing tokens).
ALTER TABLE oauth_authorization_codes ADD COLUMN redeemed_by TEXT;
