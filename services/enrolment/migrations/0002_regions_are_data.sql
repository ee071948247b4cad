-- Regions are data (issue 10): a company's region is whatever its programmes define
-- (Noord, Utrecht, Den Haag ...), no longer one of three fixed names.
ALTER TABLE companies DROP CONSTRAINT companies_region_check;
ALTER TABLE companies ADD CONSTRAINT companies_region_is_a_name
    CHECK (region = btrim(region) AND length(region) BETWEEN 1 AND 100);
