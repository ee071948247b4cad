-- The external log gets its positions from one sequencer instead of a global
-- lock held by every consumer transaction (services/reporting/sequencer.py).
--
-- A consumer now inserts its public event as a pending row (position NULL)
-- in its own transaction; `id` records insertion order. The sequencer, the
-- only writer of `position`, gives committed pending rows the next positions
-- in id order in short transactions of its own, so positions stay dense and
-- become visible in increasing order. Readers (pull feed, webhooks, replay)
-- only ever see rows that have a position.

ALTER TABLE external_events ADD COLUMN id bigint;
-- Rows published before this migration were inserted in position order.
UPDATE external_events SET id = position;
CREATE SEQUENCE external_events_id_seq OWNED BY external_events.id;
SELECT setval('external_events_id_seq', COALESCE((SELECT max(id) FROM external_events), 0) + 1, false);
ALTER TABLE external_events
    ALTER COLUMN id SET DEFAULT nextval('external_events_id_seq'),
    ALTER COLUMN id SET NOT NULL;

-- Deliveries keep referencing a position; a UNIQUE constraint carries the
-- foreign key once the primary key moves to `id`.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_position_fkey;
ALTER TABLE external_events DROP CONSTRAINT external_events_pkey;
ALTER TABLE external_events ADD CONSTRAINT external_events_position_key UNIQUE (position);
ALTER TABLE external_events ADD PRIMARY KEY (id);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_position_fkey
    FOREIGN KEY (position) REFERENCES external_events (position);

-- Positions are no longer drawn from a sequence (a rolled-back draw left a
-- gap): the sequencer counts on from max(position).
ALTER TABLE external_events ALTER COLUMN position DROP DEFAULT, ALTER COLUMN position DROP NOT NULL;
DROP SEQUENCE external_events_position_seq;

-- What the sequencer looks for: pending rows in insertion order.
CREATE INDEX external_events_pending ON external_events (id) WHERE position IS NULL;
