-- Alerts cannot vanish (issue 15). An alert goes to the coordinators of its region; when the staff directory
-- holds none, it goes to every fund administrator in the directory instead, and the delivery says so
-- (`escalated_reason`, in Dutch, e.g. "geen coördinator voor regio Noord in de personeelslijst"). With no
-- fund administrator either, one delivery row in state `unaddressed` (recipient `unaddressed`) stays in the
-- delivery log for someone to see; the sender never picks it up. `alert_region` is the region the alert is
-- about, on every alert row.
ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role IN ('coordinator', 'facilitator', 'fund_admin'));

ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('scheduled', 'sending', 'sent', 'failed', 'suppressed', 'cancelled', 'unaddressed'));
ALTER TABLE deliveries ADD COLUMN escalated_reason text;
ALTER TABLE deliveries ADD COLUMN alert_region text;
