"""Issue 12: the public topic is at-least-once; the example subscriber applies each CloudEvent id once."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from services.common import broker
from services.reporting.subscriber_example import main, open_store
from tests.conftest import Platform

pytestmark = pytest.mark.integration


def _public(position: int, name: str) -> dict[str, object]:
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "progadmin/reporting",
            "type": f"progadmin.reporting.{name}.v1", "position": position, "data": {}}


def test_repeated_records_are_applied_once_also_after_a_replay(platform: Platform, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    platform.create_topics()
    settings = platform.settings("reporting")
    events = [_public(1, "PublicSessionHeld"), _public(2, "PublicSessionHeld"), _public(3, "PublicCompanyAdmitted")]
    # What a relay that died between Kafka's ack and marking its rows does: it sends them again.
    records = [events[0], events[1], events[0], events[1], events[2], events[2]]
    producer = broker.producer(settings)
    for event in records:
        producer.send(settings.topic("reporting"), key=b"one-key", value=json.dumps(event).encode())
    producer.flush(30)
    producer.close(5)
    monkeypatch.setenv("PROGADMIN_TOPIC_PREFIX", settings.topic_prefix)
    store = str(tmp_path / "seen.sqlite3")
    common = ["--bootstrap", settings.kafka_bootstrap, "--db", store, "--max-records", str(len(records))]
    assert main([*common, "--group", f"{settings.topic_prefix}bi"]) == 0
    assert "applied 3 events, skipped 3 repeats" in capsys.readouterr().out
    counts = dict(open_store(store).execute("SELECT event_type, n FROM event_counts").fetchall())
    assert counts == {"progadmin.reporting.PublicSessionHeld.v1": 2, "progadmin.reporting.PublicCompanyAdmitted.v1": 1}
    # Reading everything again (a new group, a replay from the start): nothing is applied twice.
    assert main([*common, "--group", f"{settings.topic_prefix}bi-replay"]) == 0
    assert "applied 0 events, skipped 6 repeats" in capsys.readouterr().out
    assert dict(open_store(store).execute("SELECT event_type, n FROM event_counts").fetchall()) == counts
