-- The request that rotated a refresh token, so the claim and the new token's insert can be one
-- guarded D1 batch (one round trip fewer, and a fault between them rolls both back).
ALTER TABLE oauth_refresh_tokens ADD COLUMN rotated_by TEXT;
