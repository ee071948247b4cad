-- An enrolment's adoption level is its latest follow-up's (issue 15,
-- services/common/adoption.py): the one that occurred last, and of one day's
-- the one recorded last. It used to be whichever was recorded last, so a
-- follow-up entered late about an earlier date replaced a newer level.
UPDATE enrolments e
   SET adoption_level = (SELECT f.adoption_level FROM follow_ups f WHERE f.enrolment_id = e.id
                          ORDER BY f.occurred_on DESC, f.created_at DESC, f.id DESC LIMIT 1)
 WHERE EXISTS (SELECT 1 FROM follow_ups f WHERE f.enrolment_id = e.id);
