"""The series the pages draw with the kit's bar_chart macro (a real table under the bars)."""

from __future__ import annotations

from typing import Any

from services.reporting.pages.common import ADOPTION, FUNNEL_LABELS, TYPE_LABELS, label, month_label

FUNNEL_STEPS = ("interested", "intake_held", "admitted", "declined", "withdrawn", "completed")


def dashboard_charts(report: dict[str, Any]) -> dict[str, list[tuple[str, float]]]:
    """(label, value) series in the page's language; averages that are hidden stay out of the chart."""
    sessions = report["sessions"]
    evaluations = report["evaluations"]
    return {
        "funnel": [(label(FUNNEL_LABELS, k), report["funnel"][k]) for k in FUNNEL_STEPS],
        "sessions_by_type": [(label(TYPE_LABELS, k), n) for k, n in sorted(sessions["held_by_type"].items())],
        "sessions_by_region": sorted(sessions["held_by_region"].items()),
        "attendance_trend": [(month_label(m["month"]), round((m["attendance_rate"] or 0) * 100))
                             for m in report["attendance_trend"]],
        "group_size": [(label(TYPE_LABELS, k), v["average"])
                       for k, v in report["participants_per_session"].items()],
        "evaluation_by_type": [(label(TYPE_LABELS, k), v["average"]) for k, v in evaluations["by_type"].items()
                               if v["shown"]],
        "follow_up": [(label(ADOPTION, k), n) for k, n in report["follow_up"]["by_level"].items()],
    }
