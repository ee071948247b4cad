-- The final report page reads one page of a programme's sessions (200 of a
-- national programme's 20,000, bench/national.py) and only that page's facts:
-- the sessions in date order from an index, then their invitations,
-- registrations (registrations_session) and evaluations (evaluations_session)
-- per session. Invitations had no index but their key, so a page's invitation
-- counts read all of them. The page is found in the index alone (region
-- included for a coordinator's regions): the sessions before it are not read.
CREATE INDEX sessions_programme_start ON sessions (programme_id, starts_at, session_id) INCLUDE (region);
CREATE INDEX invitations_session ON invitations (session_id);
