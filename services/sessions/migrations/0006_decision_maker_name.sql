-- Who took a go/no-go decision, readable on the pages: the name from their token beside its subject.
-- Kept in this table only; the SessionDecisionRecorded event names them by id (no personal data on the topic).
ALTER TABLE session_decisions ADD COLUMN decided_by_name text;
