-- Retention (services/notifications/retention.py) deletes finished deliveries older than their period, in
-- batches: this index holds the finished ones by their last change, so a batch is a short range scan and
-- mail still scheduled or being sent is never even looked at.
CREATE INDEX IF NOT EXISTS deliveries_finished_age ON deliveries (updated_at)
    WHERE status IN ('sent', 'failed', 'suppressed', 'cancelled', 'unaddressed');
