"""Alerts cannot vanish: who an alert goes to.

An alert (session below minimum, repeated no-show, company at risk, unknown
staff id) goes to the coordinators of its region. When the staff directory
holds none, it goes to every fund administrator in the directory, and each
delivery records why (`escalated_reason`). With no fund administrator
either, one delivery in state `unaddressed` stays in the delivery log and an
error is logged: the alert is never dropped.

One alert per cause: once any delivery exists for the cause and kind, a
redelivered event or a later failure of the same cause adds nothing, even if
the staff directory changed in between.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import psycopg

from services.notifications import db
from services.notifications.domain import UNADDRESSED, no_coordinator_reason, staff_recipient

Conn = psycopg.Connection[Any]
log = logging.getLogger(__name__)


def address_alert(conn: Conn, *, cause: str, kind: str, region: str | None, send_after: datetime,
                  **about: Any) -> list[str]:
    """Claim the alert's deliveries; the ids claimed (none when this cause was alerted before)."""
    if db.alerted(conn, cause, kind):
        return []
    coordinators = db.coordinators_of(conn, region)
    if coordinators:
        claimed = [db.add_alert(conn, cause=cause, kind=kind, recipient_id=staff_recipient(c["staff_id"]),
                                       send_after=send_after, region=region, **about) for c in coordinators]
        return [c for c in claimed if c]
    reason, reason_en = no_coordinator_reason(region)
    admins = db.fund_admins(conn)
    if admins:
        log.warning("notifications: %s alert (%s) goes to the fund administrators: %s", kind, cause, reason_en)
        context = {**(about.pop("context", None) or {}), "escalated_region": region}
        claimed = [db.add_alert(conn, cause=cause, kind=kind, recipient_id=staff_recipient(a["staff_id"]),
                                       send_after=send_after, region=region, escalated_reason=reason,
                                       context=context, **about) for a in admins]
        return [c for c in claimed if c]
    log.error("notifications: %s alert (%s) has nobody to go to: %s, and no fund administrator in the staff"
              " directory; it stays in the delivery log as unaddressed", kind, cause, reason_en)
    unaddressed = db.add_alert(
        conn, cause=cause, kind=kind, recipient_id=UNADDRESSED, send_after=send_after, region=region,
        status="unaddressed", escalated_reason=f"{reason} en geen fondsbeheerder",
        last_error=f"{reason_en}, and no fund administrator either: add one to the staff directory", **about)
    return [unaddressed] if unaddressed else []
