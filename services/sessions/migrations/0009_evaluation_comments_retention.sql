-- Retention (services/sessions/retention.py) clears evaluation comments older than their period, in batches:
-- this index holds only the evaluations that still have a comment, so a batch is a short range scan.
CREATE INDEX IF NOT EXISTS evaluations_comment_age ON evaluations (submitted_at) WHERE comment IS NOT NULL;
