"""Issue 12: a facilitator id missing from the staff directory is a visible problem at once, not a day of waiting:
the delivery is `failed` with the reason, NotificationFailed is published, and the region's coordinators are told."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.notifications.conftest import START, Notifier, SmtpServer
from tests.integration.notifications.programme import Programme, staff

pytestmark = pytest.mark.integration


def test_an_unknown_facilitator_fails_visibly_and_alerts_the_coordinators(notifier: Notifier,
                                                                          smtp: SmtpServer) -> None:
    staff(notifier, "coord-noord", "coordinator", "Karin Noord", "karin@fonds.nl", ["Noord"])
    staff(notifier, "fac-1", "facilitator", "Petra Visser", "petra@begeleiding.nl")
    p = Programme(notifier)
    s = p.session("Noord", START + timedelta(days=10), ["fac-1", "fac-typo"])
    notifier.send()
    assert smtp.kinds("petra@begeleiding.nl") == ["facilitator_assignment"]
    rows = notifier.rows("SELECT kind, status, last_error FROM deliveries WHERE recipient_id = 'staff:fac-typo'"
                         " AND kind = 'facilitator_assignment'")
    assert [(r["status"], "no staff directory entry for fac-typo" in r["last_error"]) for r in rows] == [
        ("failed", True)]
    assert "progadmin.notifications.NotificationFailed.v1" in notifier.outbox_types()
    notifier.send()  # the alert is queued by that failure and goes out on the sender's next round
    [alert] = [m for m in smtp.to("karin@fonds.nl") if m["X-Progadmin-Kind"] == "alert_unknown_staff"]
    body = alert.get_body(preferencelist=("plain",))
    assert body is not None and "fac-typo" in str(body.get_content()) and "fac-typo" in str(alert["Subject"])
    # Later mail to the same unknown id fails the same way, without a second alert.
    notifier.clock.advance(timedelta(days=9))
    notifier.send()
    assert [m["X-Progadmin-Kind"] for m in smtp.to("karin@fonds.nl")].count("alert_unknown_staff") == 1
    statuses = {r["status"] for r in notifier.rows("SELECT status FROM deliveries"
                                                   " WHERE recipient_id = 'staff:fac-typo'")}
    assert statuses == {"failed"}
    assert s.session_id
