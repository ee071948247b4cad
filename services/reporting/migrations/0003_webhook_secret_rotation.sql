-- Webhook signing by the Standard Webhooks specification, with secret rotation (issue 15).
--
-- A rotation keeps the previous secret signing beside the new one until
-- `previous_secret_expires_at`, so a receiver still holding it verifies
-- every delivery while it switches over.
ALTER TABLE subscriptions
    ADD COLUMN previous_secret            text,
    ADD COLUMN previous_secret_expires_at timestamptz,
    ADD COLUMN secret_rotated_at          timestamptz;

-- The HMAC key used to be the secret's text as UTF-8; now it is the bytes the
-- base64 after `whsec_` stands for. Spelling the old text in base64 keeps each
-- existing subscription's key bytes unchanged (a receiver converts its copy
-- the same way, or rotates).
UPDATE subscriptions
   SET secret = 'whsec_' || translate(encode(convert_to(secret, 'UTF8'), 'base64'), E'\n', '');
