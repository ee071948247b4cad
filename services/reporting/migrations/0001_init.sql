-- Reporting's own database: projections built from every topic, the external
-- (pseudonymous) event log, and webhook subscriptions.
--
-- Projections are written to be order-tolerant: every event writes its own
-- columns of a row keyed by the fact's id (creating the row if an event about
-- it arrives first), snapshots carry a version or time and only a newer one
-- wins, and every count is a query over these fact tables, never a counter.
-- `python -m services.reporting.rebuild` truncates the projection tables
-- (those marked "projection") and replays every topic.

-- projection: programmes (ProgrammeOpened/Updated are full snapshots; the newest wins).
CREATE TABLE programmes (
    programme_id      uuid PRIMARY KEY,
    name              text,
    fund              text,
    theme             text,
    period_start      date,
    period_end        date,
    regions           text[]      NOT NULL DEFAULT '{}',
    planned_sessions  jsonb       NOT NULL DEFAULT '{}',
    snapshot_at       timestamptz,
    snapshot_event    text,
    closed_on         date
);

-- projection: companies (business data; the name never leaves this database).
CREATE TABLE companies (
    company_id     uuid PRIMARY KEY,
    name           text,
    region         text,
    registered_at  timestamptz
);
CREATE INDEX companies_region ON companies (region);

-- projection: one company's enrolment in one programme, one column per fact.
CREATE TABLE enrolments (
    enrolment_id         uuid PRIMARY KEY,
    company_id           uuid        NOT NULL,
    programme_id         uuid        NOT NULL,
    region               text,
    interested_at        timestamptz,
    admitted_on          date,
    declined_on          date,
    activated_on         date,
    withdrawn_on         date,
    withdrawal_reason    text,
    completed_on         date
);
CREATE INDEX enrolments_programme ON enrolments (programme_id);
CREATE INDEX enrolments_company ON enrolments (company_id);

-- projection: intake interviews held (a redone interview is a second row).
CREATE TABLE intakes (
    intake_id            uuid PRIMARY KEY,
    enrolment_id         uuid        NOT NULL,
    programme_id         uuid        NOT NULL,
    held_on              date        NOT NULL,
    assessed_level       integer     NOT NULL,
    meets_admission_rule boolean     NOT NULL
);
CREATE INDEX intakes_enrolment ON intakes (enrolment_id);

-- projection: delegates (pseudonymous person ids only; no names, no e-mail).
CREATE TABLE delegates (
    enrolment_id      uuid        NOT NULL,
    person_id         uuid        NOT NULL,
    company_id        uuid        NOT NULL,
    programme_id      uuid        NOT NULL,
    job_level         text,
    below_management  boolean,
    delegated_at      timestamptz,
    removed_on        date,
    PRIMARY KEY (enrolment_id, person_id)
);
CREATE INDEX delegates_programme ON delegates (programme_id);

-- projection: follow-up ("borging") activities.
CREATE TABLE follow_ups (
    follow_up_id    uuid PRIMARY KEY,
    enrolment_id    uuid        NOT NULL,
    company_id      uuid        NOT NULL,
    programme_id    uuid        NOT NULL,
    activity        text        NOT NULL,
    occurred_on     date        NOT NULL,
    adoption_level  text        NOT NULL
);
CREATE INDEX follow_ups_enrolment ON follow_ups (enrolment_id);

-- projection: sessions. The snapshot columns follow the highest version;
-- cancellation and holding are separate facts, so a late snapshot cannot undo them.
CREATE TABLE sessions (
    session_id        uuid PRIMARY KEY,
    programme_id      uuid        NOT NULL,
    type              text,
    region            text,
    format            text,
    starts_at         timestamptz,
    duration_minutes  integer,
    capacity_min      integer,
    capacity_max      integer,
    facilitator_ids   text[]      NOT NULL DEFAULT '{}',
    working_method    text,
    snapshot_status   text,
    snapshot_version  integer,
    cancelled_version integer,
    held_at           timestamptz,
    held_attended     integer,
    held_no_shows     integer,
    held_excused      integer
);
CREATE INDEX sessions_programme ON sessions (programme_id);

-- projection: one participant's place in one session. Each event writes its
-- own columns; attendance is last-writer-wins by event time (a correction).
CREATE TABLE registrations (
    registration_id    uuid PRIMARY KEY,
    session_id         uuid        NOT NULL,
    programme_id       uuid        NOT NULL,
    person_id          uuid        NOT NULL,
    company_id         uuid        NOT NULL,
    registered_at      timestamptz,
    waitlisted_at      timestamptz,
    promoted_at        timestamptz,
    cancelled_at       timestamptz,
    cancelled_late     boolean,
    cancel_cause       text,
    attendance         text,
    attendance_at      timestamptz,
    attendance_event   text
);
CREATE INDEX registrations_session ON registrations (session_id);
CREATE INDEX registrations_company ON registrations (company_id);

-- projection: invitations (counted per session).
CREATE TABLE invitations (
    invitation_id  uuid PRIMARY KEY,
    session_id     uuid        NOT NULL,
    programme_id   uuid        NOT NULL,
    person_id      uuid        NOT NULL,
    company_id     uuid        NOT NULL
);

-- projection: evaluation scores (the comment stays in the sessions service).
CREATE TABLE evaluations (
    evaluation_id    uuid PRIMARY KEY,
    session_id       uuid        NOT NULL,
    programme_id     uuid        NOT NULL,
    person_id        uuid        NOT NULL,
    company_id       uuid,
    score            integer     NOT NULL,
    facilitator_ids  text[]      NOT NULL DEFAULT '{}'
);
CREATE INDEX evaluations_session ON evaluations (session_id);
CREATE INDEX evaluations_programme ON evaluations (programme_id);

-- projection: mails sent and failed, per kind.
CREATE TABLE notifications (
    delivery_id  text PRIMARY KEY,
    kind         text        NOT NULL,
    outcome      text        NOT NULL,
    at           timestamptz NOT NULL
);

-- projection: erased persons (reporting holds no personal data; this only
-- lets the figures say how many were erased).
CREATE TABLE erased_persons (
    person_id  uuid PRIMARY KEY,
    erased_on  date        NOT NULL
);

-- The external event log: every pseudonymous event reporting published, in
-- commit order (allocation of `position` is serialised by an advisory lock,
-- so a reader that has seen position N will never later find a smaller one
-- appear). The pull feed and the webhooks read it; the outbox carries the
-- same events to the public Kafka topic. NOT a projection: rebuild keeps it,
-- and `cause_source`/`cause_id` make publication once-only per source event.
CREATE TABLE external_events (
    position      bigserial PRIMARY KEY,
    event_id      uuid        NOT NULL UNIQUE,
    event_type    text        NOT NULL,
    cause_source  text        NOT NULL,
    cause_id      text        NOT NULL,
    payload       jsonb       NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (cause_source, cause_id)
);
CREATE INDEX external_events_recorded ON external_events (recorded_at);

-- Webhook subscriptions of reporting consumers.
CREATE TABLE subscriptions (
    id                    uuid PRIMARY KEY,
    owner                 text        NOT NULL,
    url                   text        NOT NULL,
    description           text        NOT NULL DEFAULT '',
    event_types           text[]      NOT NULL DEFAULT '{}',   -- empty: every type
    secret                text        NOT NULL,
    status                text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    disabled_reason       text,
    -- Highest external position already turned into deliveries.
    cursor                bigint      NOT NULL DEFAULT 0,
    failing_since         timestamptz,
    consecutive_failures  integer     NOT NULL DEFAULT 0,
    next_attempt_at       timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_owner ON subscriptions (owner);

-- One event to deliver to one subscription (a redelivery or replay is a new row).
CREATE TABLE deliveries (
    id               uuid PRIMARY KEY,
    subscription_id  uuid        NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    seq              bigserial   UNIQUE,
    position         bigint      NOT NULL REFERENCES external_events (position),
    event_type       text        NOT NULL,
    origin           text        NOT NULL DEFAULT 'live' CHECK (origin IN ('live', 'redelivery', 'replay')),
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
    attempts         integer     NOT NULL DEFAULT 0,
    last_status_code integer,
    last_error       text,
    last_attempt_at  timestamptz,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_pending ON deliveries (subscription_id, seq) WHERE status = 'pending';

-- The delivery log: every attempt, its outcome and how long it took.
CREATE TABLE delivery_attempts (
    id               bigserial PRIMARY KEY,
    delivery_id      uuid        NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempted_at     timestamptz NOT NULL,
    status_code      integer,
    error            text,
    duration_ms      integer     NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id);
