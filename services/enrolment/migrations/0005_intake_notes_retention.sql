-- Retention (services/enrolment/retention.py) clears intake notes older than their period, in batches:
-- this index holds only the intakes that still have notes, so a batch is a short range scan.
CREATE INDEX IF NOT EXISTS intakes_notes_age ON intakes (held_on) WHERE notes IS NOT NULL AND held_on IS NOT NULL;
