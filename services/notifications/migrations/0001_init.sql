-- Notifications keeps only what it needs to send mail: contact data of the
-- people it writes to (forgotten on PersonErased), the facts of sessions and
-- enrolments that mails mention, campaigns, suppressions, and one delivery
-- row per logical mail.

-- Programme settings that mails use (teaser question, reminder lead time,
-- follow-up information), from ProgrammeOpened/ProgrammeUpdated.
CREATE TABLE programmes (
    programme_id          text PRIMARY KEY,
    name                  text NOT NULL,
    teaser_question       text,
    reminder_hours_before integer,
    follow_up_info        text
);

CREATE TABLE companies (
    company_id text PRIMARY KEY,
    name       text NOT NULL,
    region     text NOT NULL
);

-- One row per enrolment; status decides whether its people may get mail.
CREATE TABLE enrolments (
    enrolment_id    text PRIMARY KEY,
    company_id      text NOT NULL,
    programme_id    text NOT NULL,
    region          text,
    director_id     text,
    status          text NOT NULL DEFAULT 'interested'
                    CHECK (status IN ('interested', 'admitted', 'declined', 'withdrawn', 'completed')),
    risk_points     integer NOT NULL DEFAULT 0,
    at_risk_alerted boolean NOT NULL DEFAULT false
);
CREATE INDEX enrolments_company ON enrolments (company_id);

-- Directors and participants: the minimum to send (name, address, language).
-- `active` false = withdrawn or removed: no further mail.
CREATE TABLE recipients (
    person_id    text PRIMARY KEY,
    role         text NOT NULL CHECK (role IN ('director', 'participant')),
    name         text NOT NULL,
    email        text NOT NULL,
    language     text NOT NULL CHECK (language IN ('nl', 'en')),
    company_id   text,
    enrolment_id text,
    programme_id text,
    job_level    text,
    active       boolean NOT NULL DEFAULT true
);
CREATE INDEX recipients_enrolment ON recipients (enrolment_id);

-- Staff directory (managed by fund administrators): coordinators per region
-- and facilitators by the ids sessions events carry.
CREATE TABLE staff (
    staff_id   text PRIMARY KEY,
    role       text NOT NULL CHECK (role IN ('coordinator', 'facilitator')),
    name       text NOT NULL,
    email      text NOT NULL,
    language   text NOT NULL DEFAULT 'nl' CHECK (language IN ('nl', 'en')),
    regions    text[] NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Latest snapshot of each session (SEQUENCE of its calendar entry = version).
CREATE TABLE sessions (
    session_id       text PRIMARY KEY,
    programme_id     text NOT NULL,
    type             text NOT NULL,
    region           text NOT NULL,
    format           text NOT NULL,
    venue_address    text,
    online_url       text,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    duration_minutes integer NOT NULL,
    facilitator_ids  text[] NOT NULL DEFAULT '{}',
    working_method   text,
    status           text NOT NULL,
    version          integer NOT NULL,
    cancel_reason    text
);

-- Who was invited to / registered for a session, so change notices reach them.
CREATE TABLE session_people (
    session_id text NOT NULL,
    person_id  text NOT NULL,
    company_id text,
    state      text NOT NULL CHECK (state IN ('invited', 'registered', 'waitlisted', 'cancelled')),
    attendance text,
    PRIMARY KEY (session_id, person_id)
);

-- Drip campaigns: a named sequence of mails at offsets after a delegate joins.
CREATE TABLE campaigns (
    id           uuid PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    programme_id text,
    job_levels   text[] NOT NULL,
    steps        jsonb NOT NULL,
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'stopped')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE campaign_members (
    campaign_id uuid NOT NULL REFERENCES campaigns (id),
    person_id   text NOT NULL,
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopped')),
    joined_at   timestamptz NOT NULL,
    stop_reason text,
    PRIMARY KEY (campaign_id, person_id)
);

-- People who unsubscribed from optional mail (digests, drips).
CREATE TABLE suppressions (
    person_id  text PRIMARY KEY,
    reason     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Deliveries: one row per logical notification, claimed in the consumer's
-- transaction before anything is sent, so a mail goes out at most once
-- (cause + kind + recipient is unique). No address is stored here: it is
-- looked up when sending, so erasure leaves nothing personal behind.
CREATE TABLE deliveries (
    id            uuid PRIMARY KEY,
    event_id      text        NOT NULL,
    kind          text        NOT NULL,
    recipient_id  text        NOT NULL,
    optional      boolean     NOT NULL DEFAULT false,
    language      text,
    status        text        NOT NULL DEFAULT 'scheduled'
                  CHECK (status IN ('scheduled', 'sending', 'sent', 'failed', 'suppressed', 'cancelled')),
    attempts      integer     NOT NULL DEFAULT 0,
    last_error    text,
    send_after    timestamptz NOT NULL,
    claimed_at    timestamptz,
    -- set while contact or session data has not arrived yet (events from
    -- two topics come in any order); past CONTACT_WAIT the delivery fails
    waiting_since timestamptz,
    sent_at       timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    session_id    text,
    enrolment_id  text,
    company_id    text,
    programme_id  text,
    campaign_id   uuid,
    context       jsonb       NOT NULL DEFAULT '{}',
    UNIQUE (event_id, kind, recipient_id)
);
CREATE INDEX deliveries_due ON deliveries (send_after) WHERE status = 'scheduled';
CREATE INDEX deliveries_recipient ON deliveries (recipient_id, created_at);
CREATE INDEX deliveries_session ON deliveries (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX deliveries_company ON deliveries (company_id) WHERE company_id IS NOT NULL;

-- Pseudonymous ids of erased people: mail still queued for them is dropped,
-- and a late event cannot bring them back.
CREATE TABLE erased_people (
    person_id text PRIMARY KEY,
    erased_at timestamptz NOT NULL DEFAULT now()
);
