-- A company's follow-up level is its latest follow-up's, not the highest ever
-- recorded (issue 15, services/common/adoption.py): the one that occurred last,
-- and of one day's the one recorded last. `recorded_at` is the time of the
-- FollowUpRecorded event, so the order holds whatever order the events arrive
-- in. Rows projected before this have none and count as recorded first; a
-- rebuild fills it in.
ALTER TABLE follow_ups ADD COLUMN recorded_at timestamptz;
DROP INDEX follow_ups_enrolment;
CREATE INDEX follow_ups_enrolment ON follow_ups (enrolment_id, occurred_on DESC, recorded_at DESC NULLS LAST);
