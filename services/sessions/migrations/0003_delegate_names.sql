-- The delegate's name, so the people who take attendance can tell participants apart (ids alone cannot).
-- It comes with ParticipantDelegated's contact data and is removed on PersonErased, like the job level.
ALTER TABLE delegates ADD COLUMN name text;
