-- Projection: companies registered per region, built from enrolment events.
CREATE TABLE companies (
    company_id     uuid PRIMARY KEY,
    region         text        NOT NULL,
    registered_at  timestamptz NOT NULL
);
CREATE INDEX companies_region ON companies (region);
