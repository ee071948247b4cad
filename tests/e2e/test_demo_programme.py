"""The demo programme loads through the public APIs of the real platform and the final report shows it.

Runs `deploy.demo` against the whole platform behind nginx at one origin,
with tokens from the real Keycloak (the `progadmin-demo-loader` client), then
reads the final report through reporting's API: the figures are the ones
loaded, and a second run changes nothing.
"""

from __future__ import annotations

import time
from typing import Any

from deploy.demo import data
from deploy.demo.__main__ import load
from tests.browser.live import Live

BEGELEIDER = "0b6a3c4e-0000-4000-8000-000000000005"


def final_report(live: Live, programme_id: str) -> dict[str, Any]:
    status, body = live.api("reporting", f"/programmes/{programme_id}/final-report?format=json",
                            live.dev_token("fund_admin"))
    assert status == 200, body
    return dict(body)


def settled(report: dict[str, Any], summary: dict[str, Any]) -> bool:
    """Reporting has consumed everything the loader did (it learns through Kafka, a moment later)."""
    return (report["funnel"]["withdrawn"] == 2 and report["follow_up"]["adopted"] == 8
            and report["evaluations"]["programme"]["responses"] == summary["evaluations"]
            and report["sessions"]["held_total"] == sum(summary["sessions_held"].values())
            and sum(s["invited"] > 0 for s in report["session_list"]) == len(data.PLANS))


def test_demo_programme_loads_through_the_apis_and_shows_in_the_final_report(live: Live) -> None:
    lines: list[str] = []
    t0 = time.monotonic()

    def say(line: str) -> None:  # shown when the test fails (or with -s): what was loaded, and when
        lines.append(line)
        print(f"{time.monotonic() - t0:6.1f}s {line}")

    summary = load(live.origin, issuer=live.keycloak.issuer, secret=live.keycloak.consumer_secret,
                   link_secret=live.settings("sessions").link_secret, say=say)
    assert summary is not None, lines
    assert any("client credentials of `progadmin-demo-loader`" in line for line in lines)
    programme_id = summary["programme_id"]

    deadline = time.monotonic() + 90
    report = final_report(live, programme_id)
    while not settled(report, summary) and time.monotonic() < deadline:
        time.sleep(1)
        report = final_report(live, programme_id)

    assert report["programme"]["name"] == data.PROGRAMME_NAME
    assert sorted(report["programme"]["regions"]) == ["Midden", "Noord", "Zuid"]
    funnel = report["funnel"]
    assert (funnel["interested"], funnel["intake_held"], funnel["admitted"], funnel["declined"]) == (13, 13, 12, 1)
    assert report["companies"]["started"] == 12
    assert report["companies"]["withdrawn"] == 2
    assert funnel["withdrawal_reasons"] == {"no_director_support": 1, "understaffing": 1}
    assert {r: v["started"] for r, v in report["companies"]["by_region"].items()} == {"Noord": 4, "Midden": 4,
                                                                                       "Zuid": 4}
    assert report["delegates"]["current"] == summary["delegates"] == 29
    assert report["delegates"]["below_management"] == summary["delegates_below_management"] > 0

    sessions = report["sessions"]
    assert sessions["held_by_type"] == {"kick_off": 1, "dialogue": 9, "intervision": 6, "workshop": 1}
    assert sessions["held_by_type_and_region"]["dialogue"] == {"Noord": 3, "Midden": 3, "Zuid": 3}
    assert sessions["by_type"] == {"kick_off": 1, "dialogue": 9, "intervision": 6, "workshop": 2, "closing": 1}
    assert sessions["by_format"]["online"] == 2  # intervision in Teams
    assert sessions["by_status"] == {"held": 17, "planned": 2}

    attendance = report["attendance"]
    assert attendance["attended"] == summary["attendance"]["attended"]
    assert attendance["no_shows"] == summary["attendance"]["no_show"] > 0
    assert attendance["excused"] == summary["attendance"]["excused"] > 0
    assert attendance["late_cancellations"] == summary["late_cancellations"] == 3
    assert report["participants_per_session"]["dialogue"]["max"] <= 12

    evaluation = report["evaluations"]["programme"]
    assert evaluation["shown"] and evaluation["responses"] == summary["evaluations"] > 40
    assert 7.3 <= evaluation["average"] <= 7.9
    assert report["evaluations"]["by_type"]["dialogue"]["shown"]
    assert BEGELEIDER in report["evaluations"]["by_facilitator"]

    follow_up = report["follow_up"]
    assert (follow_up["adopted"], follow_up["of"]) == (8, 10), follow_up
    assert follow_up["label_nl"] == "8 van 10"

    # The demo facilitator (Keycloak user `begeleider`) finds their own sessions, past and coming.
    status, mine = live.api("sessions", f"/sessions?programme_id={programme_id}&page_size=100",
                            live.dev_token("facilitator", sub=BEGELEIDER))
    assert status == 200 and mine["total"] == 5, mine
    status, staff = live.api("notifications", f"/staff/{BEGELEIDER}", live.dev_token("fund_admin"))
    assert status == 200 and staff["name"] == "Bram Smit", staff

    # A second run finds the programme and loads nothing twice.
    again: list[str] = []
    assert load(live.origin, issuer=live.keycloak.issuer, secret=live.keycloak.consumer_secret,
                link_secret=live.settings("sessions").link_secret, say=again.append) is None
    assert any("already loaded" in line for line in again), again
    status, companies = live.api("enrolment", "/companies?q=Betonwaren&page_size=100", live.dev_token("fund_admin"))
    assert status == 200 and companies["total"] == 2, companies
    assert final_report(live, programme_id)["funnel"]["interested"] == 13
