-- Names now come from enrolment's compacted contacts topic (ContactDetailsChanged, keyed by person id),
-- which may be read before or after the delegation itself: they are kept here by person until then.
-- A tombstone on that topic (erasure) or PersonErased deletes the row and the delegates' copy.
CREATE TABLE delegate_names (
    person_id  uuid PRIMARY KEY,
    name       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO delegate_names (person_id, name)
    SELECT DISTINCT ON (person_id) person_id, name FROM delegates
    WHERE name IS NOT NULL AND erased_on IS NULL ORDER BY person_id, updated_at DESC;
