-- A tombstone (Kafka record with a null value) is an outbox row without a
-- payload: on erasure, enrolment deletes a person's record on the compacted
-- contacts topic in the same transaction as the erasure itself.
ALTER TABLE outbox ALTER COLUMN payload DROP NOT NULL;
