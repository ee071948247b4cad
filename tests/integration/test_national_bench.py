"""Benchmark 5 (bench.national) at a tiny scale, so the command cannot rot: generate, load through the real
migrations, ask every measured page through gunicorn, capture the plans. Also: the generated events are
what the services would have written (every public copy passes its public schema, every consumed type has
a projection), and the generator is deterministic."""

from __future__ import annotations

import json
from pathlib import Path

from bench import national
from bench.national_data import events, generate
from bench.national_load import _public
from services.common.events import event_type, validate_event
from services.reporting.handlers import PROJECTIONS
from services.reporting.settings import ReportingSettings

SCALE = 0.004  # 40 companies, 400 participants, 80 sessions, ~4,000 events


def test_the_generator_is_deterministic_and_its_events_are_the_services_own() -> None:
    one, two = generate(SCALE, seed=3), generate(SCALE, seed=3)
    assert one.counts == two.counts
    assert [s.id for s in one.sessions] == [s.id for s in two.sessions]
    assert [p.registration_id for p in one.places] == [p.registration_id for p in two.places]
    assert generate(SCALE, seed=4).programme_id != one.programme_id
    facts = list(events(one, one.seed))
    assert abs(len(facts) - 1_000_000 * SCALE) < 0.15 * 1_000_000 * SCALE
    assert {event_type(f.service, f.name) for f in facts} <= set(PROJECTIONS)  # reporting consumes each
    settings = ReportingSettings.from_env(env="test", database_url="postgresql://unused/x")
    public = list(_public(one, settings.reporting_pseudonym_secret, settings.evaluation_min_group))
    assert [row[0] for row in public] == list(range(1, len(public) + 1))  # dense positions, as the sequencer
    kinds = set()
    for row in public:
        event = json.loads(row[6])
        validate_event(event)  # the public schema (additionalProperties: false) accepts it
        kinds.add(event["data"].get("session_id") is not None)
    assert kinds == {True, False}


def test_the_national_bench_loads_times_and_explains_every_page(tmp_path: Path) -> None:
    plans = tmp_path / "plans.txt"
    # One gunicorn worker per web (the command runs two): the test checks that everything works, not speed.
    result = national.run(SCALE, seed=14, samples=1, plans_path=plans, quiet=True, workers=1)
    assert result["counts"]["companies"] == 40 and result["counts"]["sessions"] == 80
    assert result["load"]["reporting"]["rows"]["external_events"] == result["counts"]["public_events"] > 0
    assert all(size["bytes"] > 0 for size in result["database_sizes"].values())
    names = [row["page"] for row in result["pages"]]
    assert any("final report" in n for n in names) and "dashboard" in names
    assert any("calendar month" in n for n in names) and any("company list" in n for n in names)
    assert [n for n in names if n.startswith("pull feed")] == [
        "pull feed, first page", "pull feed, middle page", "pull feed, last page"]
    for row in result["pages"]:
        assert row["bytes"] > 0 and row["p50_s"] > 0, row
        assert row["plans"]["statements"] > 0, row  # auto_explain saw what the page ran
    text = plans.read_text()
    assert "FROM external_events WHERE position >" in text and "Buffers: shared" in text
    national.print_table(result)
