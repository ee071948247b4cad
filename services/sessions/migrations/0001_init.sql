-- Read model of enrolment's companies: sessions never reads enrolment's
-- database; it keeps what it needs from enrolment's events.
CREATE TABLE known_companies (
    company_id  uuid PRIMARY KEY,
    region      text        NOT NULL,
    status      text        NOT NULL DEFAULT 'interested',
    updated_at  timestamptz NOT NULL DEFAULT now()
);
