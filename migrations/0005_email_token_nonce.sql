-- Lets a single-use email link be consumed in the same D1 batch as its effects: the consuming UPDATE
-- stamps a fresh random nonce, and every effect in the batch runs only WHERE that nonce is present,
-- so a link is never burned without its effect, and a losing parallel request changes nothing.
ALTER TABLE email_tokens ADD COLUMN consumed_nonce TEXT;
