"""Issue 15, alerts that cannot vanish: an alert for a region without a coordinator in the staff directory goes to
every fund administrator, and the delivery log says so and why; with no fund administrator either, a visible
`unaddressed` entry stays in the log. One alert per cause, however often the cause is delivered."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from services.common.events import event_type
from services.notifications.handlers import handlers
from tests.integration.notifications.conftest import START, Notifier, SmtpServer
from tests.integration.notifications.programme import Programme, staff
from tests.integration.notifications.test_pages import admin, html

pytestmark = pytest.mark.integration


def alert_rows(n: Notifier) -> list[Any]:
    return n.rows("SELECT * FROM deliveries WHERE kind LIKE 'alert_%%' ORDER BY recipient_id")


def redeliver(n: Notifier, event: dict[str, Any]) -> None:
    """The same event again: through the consumer (as Kafka redelivers), then straight to the handler, past the
    consumer's record of processed events (as a replay that lost it would)."""
    n.consumer.apply(event)
    handler = handlers(n.settings, n.clock)[event_type("sessions", event["type"].split(".")[2])]
    with n.pool.connection() as conn, conn.transaction():
        handler(conn, event)


def test_a_region_without_coordinator_alerts_the_fund_administrators_and_the_log_says_why(
        notifier: Notifier, smtp: SmtpServer) -> None:
    staff(notifier, "coord-zuid", "coordinator", "Kees Zuid", "kees@fonds.nl", ["Zuid"])
    staff(notifier, "beheer-1", "fund_admin", "Fenna Fonds", "fenna@fonds.nl")
    staff(notifier, "beheer-2", "fund_admin", "Frank Fonds", "frank@fonds.nl", language="en")
    p = Programme(notifier)
    s = p.session("Noord", START + timedelta(days=5), [])
    event = p.below_minimum(s, registered=1)
    notifier.send()
    assert smtp.kinds("fenna@fonds.nl") == ["alert_below_minimum"]
    assert smtp.kinds("frank@fonds.nl") == ["alert_below_minimum"]
    assert smtp.kinds("kees@fonds.nl") == []  # another region's coordinator is not the fallback
    [fenna] = smtp.to("fenna@fonds.nl")
    body = fenna.get_body(preferencelist=("plain",))
    assert body is not None and "geen coördinator voor regio Noord in de personeelslijst" in str(body.get_content())
    rows = alert_rows(notifier)
    assert [(r["recipient_id"], r["status"], r["alert_region"], r["escalated_reason"]) for r in rows] == [
        (f"staff:beheer-{i}", "sent", "Noord", "geen coördinator voor regio Noord in de personeelslijst")
        for i in (1, 2)]

    client = notifier.app.test_client()
    page = html(client, "/deliveries?kind=alert_below_minimum", admin(notifier))
    assert "Doorgestuurd naar de fondsbeheerders: geen coördinator voor regio Noord in de personeelslijst." in page
    assert "Fenna Fonds" in page and "Frank Fonds" in page
    detail = html(client, f"/deliveries/{rows[0]['id']}", admin(notifier))
    assert "Doorgestuurd" in detail and "geen coördinator voor regio Noord" in detail
    client.set_cookie("lang", "en")
    english = html(client, "/deliveries?kind=alert_below_minimum", admin(notifier))
    assert "Escalated to the fund administrators: no coordinator for region Noord in the staff directory." in english
    api = client.get(f"/api/v1/deliveries/{rows[0]['id']}", headers=admin(notifier)).get_json()
    assert api["escalated_reason"] == "geen coördinator voor regio Noord in de personeelslijst"

    # Redelivered, even after a coordinator for Noord was added: still one alert per cause, no doubles.
    staff(notifier, "coord-noord", "coordinator", "Karin Noord", "karin@fonds.nl", ["Noord"])
    redeliver(notifier, event)
    notifier.send()
    assert len(alert_rows(notifier)) == 2
    assert smtp.kinds("fenna@fonds.nl") == ["alert_below_minimum"] and smtp.kinds("karin@fonds.nl") == []
    # A new cause in the region now reaches its coordinator, not the fund administrators.
    p.below_minimum(p.session("Noord", START + timedelta(days=6), []), registered=0)
    notifier.send()
    assert smtp.kinds("karin@fonds.nl") == ["alert_below_minimum"]
    assert smtp.kinds("fenna@fonds.nl") == ["alert_below_minimum"]
    [karins] = notifier.rows("SELECT * FROM deliveries WHERE recipient_id = 'staff:coord-noord'")
    assert karins["escalated_reason"] is None and karins["alert_region"] == "Noord"


def test_with_nobody_to_send_to_the_alert_stays_visible_as_unaddressed(
        notifier: Notifier, smtp: SmtpServer, caplog: pytest.LogCaptureFixture) -> None:
    staff(notifier, "coord-zuid", "coordinator", "Kees Zuid", "kees@fonds.nl", ["Zuid"])
    p = Programme(notifier)
    s = p.session("Noord", START + timedelta(days=5), [])
    with caplog.at_level(logging.ERROR, logger="services.notifications.alerts"):
        event = p.below_minimum(s, registered=1)
    assert any("nobody to go to" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    notifier.send()
    assert smtp.messages() == []
    [row] = alert_rows(notifier)
    assert (row["recipient_id"], row["status"], row["alert_region"]) == ("unaddressed", "unaddressed", "Noord")
    assert row["escalated_reason"] == "geen coördinator voor regio Noord in de personeelslijst en geen fondsbeheerder"
    # Redelivered: still the one entry; the sender never picks it up.
    redeliver(notifier, event)
    notifier.clock.advance(timedelta(hours=1))
    notifier.send()
    assert [r["status"] for r in alert_rows(notifier)] == ["unaddressed"]

    client = notifier.app.test_client()
    page = html(client, "/deliveries?status=unaddressed", admin(notifier))
    assert "Niet verstuurd: niemand om naar te sturen" in page and "Niemand" in page
    assert "geen coördinator voor regio Noord in de personeelslijst en geen fondsbeheerder" in page
    detail = html(client, f"/deliveries/{row['id']}", admin(notifier))
    assert "Dit signaal heeft geen ontvanger" in detail
    client.set_cookie("lang", "en")
    english = html(client, "/deliveries", admin(notifier))
    assert "Not sent: nobody to send it to" in english and "no coordinator for region Noord" in english


def test_an_unknown_facilitator_in_a_region_without_coordinator_alerts_the_fund_administrators(
        notifier: Notifier, smtp: SmtpServer) -> None:
    staff(notifier, "beheer-1", "fund_admin", "Fenna Fonds", "fenna@fonds.nl")
    p = Programme(notifier)
    p.session("Midden", START + timedelta(days=10), ["fac-typo"])
    notifier.send()
    notifier.send()  # the alert is queued by the failure and goes out on the next round
    assert smtp.kinds("fenna@fonds.nl") == ["alert_unknown_staff"]
    [row] = notifier.rows("SELECT * FROM deliveries WHERE kind = 'alert_unknown_staff'")
    assert row["escalated_reason"] == "geen coördinator voor regio Midden in de personeelslijst"
