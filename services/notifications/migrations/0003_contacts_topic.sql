-- Contact data now comes from enrolment's compacted contacts topic (ContactDetailsChanged, keyed by person
-- id), the role and company link from the v2 events, which carry no contact data: the two arrive in any
-- order, so a recipient row may exist with only one of the two halves for a while. A mail for a person
-- without contact data waits (no attempt counted) until it arrives. A tombstone on the contacts topic
-- clears name, e-mail and language; PersonErased deletes the row, as before.
ALTER TABLE recipients ALTER COLUMN role DROP NOT NULL;
ALTER TABLE recipients ALTER COLUMN name DROP NOT NULL;
ALTER TABLE recipients ALTER COLUMN email DROP NOT NULL;
ALTER TABLE recipients ALTER COLUMN language DROP NOT NULL;
