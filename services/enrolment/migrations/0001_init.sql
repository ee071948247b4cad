-- Companies: the fund's register of companies that showed interest.
CREATE TABLE companies (
    id          uuid PRIMARY KEY,
    name        text        NOT NULL,
    kvk_number  char(8)     NOT NULL UNIQUE,
    region      text        NOT NULL CHECK (region IN ('Noord', 'Midden', 'Zuid')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX companies_region ON companies (region);
