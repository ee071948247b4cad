-- A new delivery wakes the sender at once (services/common/wakeup.py)
-- instead of waiting for its next poll; most are due immediately.
-- progadmin_wake() comes from the kit's migrations, applied first.
CREATE TRIGGER deliveries_wake AFTER INSERT ON deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION progadmin_wake('mail_deliveries');
