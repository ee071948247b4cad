-- A delivery that is due now wakes the sender at once (services/common/wakeup.py)
-- instead of waiting for its next poll: a new one, or one whose data arrived
-- (wake_waiting). Only rows that are scheduled and due count, so the sender's
-- own updates (claiming, marking sent) and an ON CONFLICT DO NOTHING insert
-- never wake it; rows due later are found by the poll. "Due" allows a few
-- seconds: a handler sets send_after from its own clock, later than this
-- transaction's now() (its start); a wake-up finding nothing due costs one look.
CREATE FUNCTION deliveries_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed WHERE status = 'scheduled' AND send_after <= clock_timestamp() + interval '5 seconds') THEN
        PERFORM pg_notify('mail_deliveries', '');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER deliveries_wake_insert AFTER INSERT ON deliveries
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION deliveries_wake();
CREATE TRIGGER deliveries_wake_update AFTER UPDATE ON deliveries
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION deliveries_wake();
