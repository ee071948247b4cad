"""The public event id is computed without uuid.uuid5 (issue 14); it must stay uuid5's id, or a rebuild
would publish every public event a second time under a new id."""

from __future__ import annotations

import uuid

from services.reporting.public_events import _ID_NAMESPACE, public_event_id


def test_public_event_id_is_uuid5_of_source_and_id() -> None:
    for n in range(200):
        cause = {"source": f"/progadmin/{('enrolment', 'sessions', 'notifications')[n % 3]}",
                 "id": str(uuid.UUID(int=n * 7919 + 1)) if n % 2 else f"ïd-{n}"}
        assert public_event_id(cause) == str(uuid.uuid5(_ID_NAMESPACE, f"{cause['source']}|{cause['id']}"))
