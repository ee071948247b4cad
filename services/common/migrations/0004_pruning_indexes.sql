-- Pruning (services/common/pruning.py) deletes dedupe claims and stored
-- Idempotency-Key responses older than their retention, in batches: an index
-- on each age column keeps every batch a short range scan instead of a scan
-- of a table that only ever grew until now.
CREATE INDEX IF NOT EXISTS processed_events_age ON processed_events (processed_at);
CREATE INDEX IF NOT EXISTS idempotency_keys_age ON idempotency_keys (created_at);
