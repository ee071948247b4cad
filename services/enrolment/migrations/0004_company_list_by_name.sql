-- The company list pages through companies by name (ORDER BY name, id LIMIT 25 OFFSET n). Without an
-- index every page sorted all companies: at national scale (10,000, bench/national.py) the last page
-- took 52 ms in PostgreSQL; with it a page is a short walk along the index.
CREATE INDEX IF NOT EXISTS companies_name ON companies (name, id);
