-- Issue 15. A recurring series ("every second Tuesday, 4 times, 14:00-16:30"): each occurrence is an
-- ordinary session (own capacity, registrations, status) that remembers its series.
CREATE TABLE session_series (
    id             uuid PRIMARY KEY,
    programme_id   uuid        NOT NULL REFERENCES programmes (programme_id),
    type           text        NOT NULL,
    region         text        NOT NULL,
    start_date     date        NOT NULL,
    start_time     time        NOT NULL,
    end_time       time        NOT NULL,
    interval_weeks integer     NOT NULL CHECK (interval_weeks BETWEEN 1 AND 52),
    count          integer     NOT NULL CHECK (count BETWEEN 2 AND 52),
    created_by     text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE sessions ADD COLUMN series_id uuid REFERENCES session_series (id);
CREATE INDEX sessions_series ON sessions (series_id, starts_at) WHERE series_id IS NOT NULL;

-- Go/no-go: a session below its minimum shortly before its date gets a recorded decision. The
-- decision belongs to the date it was taken for (`starts_at`): a session moved later needs a new one.
CREATE TABLE session_decisions (
    id                    uuid PRIMARY KEY,
    session_id            uuid        NOT NULL REFERENCES sessions (id),
    decision              text        NOT NULL CHECK (decision IN ('go', 'merge', 'cancel')),
    merge_into_session_id uuid        REFERENCES sessions (id),
    reason                text,
    starts_at             timestamptz NOT NULL,
    registered            integer     NOT NULL,
    capacity_min          integer     NOT NULL,
    decided_by            text        NOT NULL,
    decided_at            timestamptz NOT NULL,
    CHECK ((decision = 'merge') = (merge_into_session_id IS NOT NULL))
);
CREATE INDEX session_decisions_session ON session_decisions (session_id, decided_at);

-- An invitation's answer (registered, waitlisted or declined), so notifications can remind those without one.
ALTER TABLE invitations ADD COLUMN response text CHECK (response IN ('registered', 'waitlisted', 'declined')),
                        ADD COLUMN responded_at timestamptz;
