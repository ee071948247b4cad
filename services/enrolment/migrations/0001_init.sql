-- Enrolment owns programmes, companies, the persons behind them (directors,
-- contact persons, delegates), enrolments with their intake interviews,
-- delegates and follow-up. Personal data lives in `persons` only, so an
-- erasure has one place to clear.

CREATE TABLE programmes (
    id                        uuid PRIMARY KEY,
    status                    text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
    name                      text        NOT NULL,
    fund                      text        NOT NULL DEFAULT '',
    theme                     text        NOT NULL DEFAULT '',
    period_start              date,
    period_end                date,
    regions                   text[]      NOT NULL,
    planned_sessions          jsonb       NOT NULL DEFAULT '{}',
    -- Programme-specific checklist items on top of the standard four.
    extra_commitments         text[]      NOT NULL DEFAULT '{}',
    required_commitments      text[]      NOT NULL,
    min_assessed_level        integer     NOT NULL CHECK (min_assessed_level BETWEEN 1 AND 5),
    max_delegates_per_company integer     NOT NULL CHECK (max_delegates_per_company >= 1),
    session_rules             jsonb       NOT NULL,
    teaser_question           text        NOT NULL DEFAULT '',
    reminder_hours_before     integer     NOT NULL DEFAULT 48,
    follow_up_info            text        NOT NULL DEFAULT '',
    opened_on                 date,
    closed_on                 date,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now()
);

-- A person keeps its pseudonymous id forever; erasure nulls the rest.
CREATE TABLE persons (
    id          uuid PRIMARY KEY,
    name        text,
    email       text,
    phone       text,
    language    text        NOT NULL DEFAULT 'nl' CHECK (language IN ('nl', 'en')),
    erased_on   date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE companies (
    id                 uuid PRIMARY KEY,
    name               text        NOT NULL,
    kvk_number         char(8)     NOT NULL UNIQUE,
    region             text        NOT NULL CHECK (region IN ('Noord', 'Midden', 'Zuid')),
    street             text        NOT NULL DEFAULT '',
    postal_code        text        NOT NULL DEFAULT '',
    city               text        NOT NULL DEFAULT '',
    size               text CHECK (size IN ('micro', 'small', 'medium', 'large')),
    contact_person_id  uuid REFERENCES persons (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX companies_region ON companies (region);

CREATE TABLE company_directors (
    company_id  uuid    NOT NULL REFERENCES companies (id),
    person_id   uuid    NOT NULL REFERENCES persons (id),
    role        text    NOT NULL CHECK (role IN ('director', 'director_owner')),
    position    integer NOT NULL,
    PRIMARY KEY (company_id, person_id)
);

CREATE TABLE enrolments (
    id                   uuid PRIMARY KEY,
    company_id           uuid        NOT NULL REFERENCES companies (id),
    programme_id         uuid        NOT NULL REFERENCES programmes (id),
    state                text        NOT NULL DEFAULT 'interested' CHECK (state IN (
                             'interested', 'intake_scheduled', 'intake_held', 'admitted', 'declined',
                             'active', 'completed', 'withdrawn')),
    admitted_on          date,
    declined_on          date,
    decline_reason       text,
    activated_on         date,
    completed_on         date,
    withdrawn_on         date,
    withdrawal_reason    text CHECK (withdrawal_reason IN ('understaffing', 'no_director_support', 'other')),
    withdrawal_text      text,
    adoption_level       text CHECK (adoption_level IN ('none', 'occasional', 'structural')),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (company_id, programme_id)
);
CREATE INDEX enrolments_programme ON enrolments (programme_id, state);

CREATE TABLE intakes (
    id                     uuid PRIMARY KEY,
    enrolment_id           uuid        NOT NULL REFERENCES enrolments (id),
    status                 text        NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'held')),
    scheduled_at           timestamptz NOT NULL,
    location               text        NOT NULL DEFAULT '',
    sequence               integer     NOT NULL DEFAULT 0,
    held_on                date,
    interviewee_person_id  uuid REFERENCES persons (id),
    interviewee_role       text CHECK (interviewee_role IN ('director', 'director_owner')),
    interviewer            text,
    commitments            jsonb,
    assessed_level         integer CHECK (assessed_level BETWEEN 1 AND 5),
    meets_admission_rule   boolean,
    notes                  text,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX intakes_enrolment ON intakes (enrolment_id, created_at);

CREATE TABLE delegates (
    enrolment_id      uuid        NOT NULL REFERENCES enrolments (id),
    person_id         uuid        NOT NULL REFERENCES persons (id),
    job_level         text        NOT NULL CHECK (job_level IN ('manager', 'supervisor', 'foreman', 'employee', 'other')),
    below_management  boolean     NOT NULL,
    delegated_on      date        NOT NULL,
    removed_on        date,
    replaced_by       uuid REFERENCES persons (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (enrolment_id, person_id)
);

CREATE TABLE follow_ups (
    id              uuid PRIMARY KEY,
    enrolment_id    uuid        NOT NULL REFERENCES enrolments (id),
    activity        text        NOT NULL CHECK (activity IN ('whiteboard_meetings', 'own_intervision',
                                    'internal_dialogues', 'rollout_all_managers', 'other')),
    occurred_on     date        NOT NULL,
    adoption_level  text        NOT NULL CHECK (adoption_level IN ('none', 'occasional', 'structural')),
    description     text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX follow_ups_enrolment ON follow_ups (enrolment_id, occurred_on);
