-- Sessions' own database. It never reads enrolment's database: the first
-- four tables are a read model built from enrolment's events, holding only
-- ids, regions and job levels (names and e-mail stay in enrolment and
-- notifications).

-- Programmes and the session rules enrolment publishes for them.
CREATE TABLE programmes (
    programme_id         uuid PRIMARY KEY,
    name                 text        NOT NULL,
    regions              text[]      NOT NULL,
    min_duration_minutes integer     NOT NULL,
    max_duration_minutes integer     NOT NULL,
    online_facilitators  integer     NOT NULL,
    -- NULL: the service's default (PROGADMIN_SESSIONS_BELOW_MINIMUM_DAYS).
    below_minimum_days   integer,
    closed_on            date,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- One company's enrolment in one programme: the gate. Admission and
-- withdrawal are separate facts so that a withdrawal that arrives before
-- (or without) the admission still blocks.
CREATE TABLE enrolments (
    enrolment_id  uuid PRIMARY KEY,
    company_id    uuid        NOT NULL,
    programme_id  uuid        NOT NULL,
    region        text,
    admitted_on   date,
    withdrawn_on  date,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enrolments_company ON enrolments (company_id, programme_id);

-- Delegates: a person delegated by an enrolled company to a programme.
CREATE TABLE delegates (
    programme_id     uuid        NOT NULL,
    person_id        uuid        NOT NULL,
    enrolment_id     uuid        NOT NULL,
    company_id       uuid        NOT NULL,
    region           text        NOT NULL,
    job_level        text,
    below_management boolean     NOT NULL DEFAULT false,
    removed_on       date,
    erased_on        date,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (programme_id, person_id)
);
CREATE INDEX delegates_enrolment ON delegates (enrolment_id);
CREATE INDEX delegates_person ON delegates (person_id);

-- Erasures seen (PersonErased is keyed by person, a delegation by enrolment:
-- they may arrive in either order). A delegation that arrives after its
-- person's erasure is stored erased.
CREATE TABLE erased_persons (
    person_id  uuid PRIMARY KEY,
    erased_on  date NOT NULL
);

-- Sessions.
CREATE TABLE sessions (
    id                uuid PRIMARY KEY,
    programme_id      uuid        NOT NULL REFERENCES programmes (programme_id),
    type              text        NOT NULL CHECK (type IN ('dialogue', 'intervision', 'workshop', 'kick_off', 'closing')),
    region            text        NOT NULL CHECK (region IN ('Noord', 'Midden', 'Zuid')),
    format            text        NOT NULL CHECK (format IN ('on_site', 'regional_venue', 'online')),
    venue_address     text,
    online_url        text,
    host_company_id   uuid,
    starts_at         timestamptz NOT NULL,
    duration_minutes  integer     NOT NULL CHECK (duration_minutes > 0),
    capacity_min      integer     NOT NULL CHECK (capacity_min >= 0),
    capacity_max      integer     NOT NULL CHECK (capacity_max >= 1 AND capacity_max >= capacity_min),
    facilitator_ids   text[]      NOT NULL DEFAULT '{}',
    working_method    text,
    sequence_number   integer,
    status            text        NOT NULL DEFAULT 'planned'
                                  CHECK (status IN ('planned', 'confirmed', 'held', 'cancelled')),
    cancel_reason     text,
    version           integer     NOT NULL DEFAULT 0,
    below_minimum_alerted_at timestamptz,
    held_at           timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_region_start ON sessions (region, starts_at);
CREATE INDEX sessions_facilitators ON sessions USING gin (facilitator_ids);

CREATE TABLE invitations (
    id          uuid PRIMARY KEY,
    session_id  uuid        NOT NULL REFERENCES sessions (id),
    person_id   uuid        NOT NULL,
    company_id  uuid        NOT NULL,
    invited_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, person_id)
);

-- Arrival order of registrations: taken while the session row is locked,
-- so it is the order in which registrations were decided (FIFO waiting list).
CREATE SEQUENCE registration_arrival;

CREATE TABLE registrations (
    id             uuid PRIMARY KEY,
    session_id     uuid        NOT NULL REFERENCES sessions (id),
    person_id      uuid        NOT NULL,
    company_id     uuid        NOT NULL,
    status         text        NOT NULL CHECK (status IN ('registered', 'waitlisted', 'cancelled')),
    arrival        bigint      NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    promoted_at    timestamptz,
    cancelled_at   timestamptz,
    cancel_late    boolean,
    cancel_cause   text,
    attendance     text CHECK (attendance IN ('attended', 'no_show', 'excused')),
    attendance_recorded_at timestamptz
);
-- One live registration per person and session; cancelled ones are history.
CREATE UNIQUE INDEX registrations_live ON registrations (session_id, person_id)
    WHERE status IN ('registered', 'waitlisted');
CREATE INDEX registrations_session ON registrations (session_id, status, arrival);
CREATE INDEX registrations_person ON registrations (person_id);

CREATE TABLE evaluations (
    id            uuid PRIMARY KEY,
    session_id    uuid        NOT NULL REFERENCES sessions (id),
    person_id     uuid        NOT NULL,
    company_id    uuid        NOT NULL,
    score         integer     NOT NULL CHECK (score BETWEEN 1 AND 10),
    -- The comment stays here (never in an event); erased with the person.
    comment       text,
    submitted_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, person_id)
);

-- Signed links are single use: the token's jti is claimed in the same
-- transaction as the action it performs.
CREATE TABLE used_links (
    jti      text PRIMARY KEY,
    action   text        NOT NULL,
    used_at  timestamptz NOT NULL DEFAULT now()
);

-- Repeated no-show alerts already raised (one per person and later session).
CREATE TABLE no_show_alerts (
    person_id   uuid NOT NULL,
    session_id  uuid NOT NULL,
    raised_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, session_id)
);

-- iCalendar feeds behind unguessable tokens; only the token's hash is kept.
CREATE TABLE calendar_feeds (
    id          uuid PRIMARY KEY,
    token_hash  text        NOT NULL UNIQUE,
    kind        text        NOT NULL CHECK (kind IN ('region', 'facilitator', 'participant')),
    subject     text        NOT NULL,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX calendar_feeds_subject ON calendar_feeds (kind, subject);
