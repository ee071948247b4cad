-- Invitations that get an answer (issue 15). An invitee who answered (registered, joined the waiting list or
-- declined; sessions' InvitationResponded, ParticipantRegistered, ParticipantWaitlisted) gets no reminder to
-- answer: the sender checks `answered_at` when the reminder falls due, so a reminder queued long before
-- (a delivery row, kept across restarts) never goes to someone who answered meanwhile. A decline leaves the
-- state 'invited' (they may still change their mind), hence a column of its own.
ALTER TABLE session_people ADD COLUMN answered_at timestamptz;
