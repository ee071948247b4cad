-- Regions are data (issue 10): a session's region is one of its programme's regions, whatever
-- the programme calls them; the service checks that, the table only that it is a name.
ALTER TABLE sessions DROP CONSTRAINT sessions_region_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_region_is_a_name
    CHECK (region = btrim(region) AND length(region) BETWEEN 1 AND 100);
