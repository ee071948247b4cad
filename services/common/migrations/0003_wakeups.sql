-- Wake-ups instead of poll sleeps (services/common/wakeup.py).
-- A statement-level trigger fires once per INSERT statement, however many
-- rows it adds, and NOTIFY without payload is folded into one per channel
-- per transaction: a write pays one cheap call. The notification reaches
-- listeners only when the transaction commits, so the relay woken by it
-- finds the rows.
CREATE FUNCTION progadmin_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_wake AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION progadmin_wake('outbox');
