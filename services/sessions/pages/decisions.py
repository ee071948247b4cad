"""Go/no-go: the sessions that need a decision, and the form that records one (who and when) and carries it out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Response, flash, redirect, request, url_for
from marshmallow import ValidationError
from werkzeug.wrappers import Response as WerkzeugResponse

from services.common.i18n import t
from services.common.pages import render_page
from services.common.problems import Conflict, InvalidInput
from services.common.signin import require_page_roles
from services.sessions import access
from services.sessions.pages.common import STAFF, bp, conflict_text, field_errors, me, problem_errors, service
from services.sessions.pages.lists import region_choices
from services.sessions.schemas import DecisionIn


def labels() -> dict[str, str]:
    return {"decision": t("Besluit", "Decision"), "merge_into_session_id": t("Samenvoegen met", "Merge into"),
            "reason": t("Reden (de deelnemers krijgen die te lezen)", "Reason (the participants read it)")}


@bp.get("/decisions")
@require_page_roles(*STAFF)
def decisions() -> Response:
    """Sessions below their minimum within their horizon without a decision for their date."""
    region = request.args.get("region") or None
    regions = access.region_scope(me(), region)
    rows = service().decisions.needing_decision(regions, region)
    return render_page("decisions.html.j2", sessions=rows, regions=region_choices(), region=region)


def _merge_options(s: dict[str, Any]) -> list[tuple[str, str]]:
    """Open sessions of the same programme and type the caller manages, later than now."""
    filters = access.session_filters(me(), {"programme_id": s["programme_id"], "type": s["type"],
                                            "starts_from": datetime.now(UTC)})
    rows, _ = service().queries.sessions(filters, 100, 0)
    return [(str(r["id"]), f"{r['region']} · {r['starts_at']:%d-%m-%Y} · {r['registered']}/{r['capacity_max']}")
            for r in rows if r["id"] != s["id"] and r["status"] in ("planned", "confirmed")
            and access.may_manage(me(), r)]


@bp.route("/sessions/<uuid:session_id>/decision", methods=["GET", "POST"])
@require_page_roles(*STAFF)
def decide(session_id: uuid.UUID) -> Response | WerkzeugResponse:
    s = access.manageable_session(service(), me(), session_id)
    errors: dict[str, str] = {}
    values = dict(request.form.items()) if request.method == "POST" else {"decision": "go"}
    if request.method == "POST":
        body = {"decision": values.get("decision") or None, "reason": (values.get("reason") or "").strip() or None,
                "merge_into_session_id": (values.get("merge_into_session_id") or None)
                if values.get("decision") == "merge" else None}
        try:
            data = DecisionIn().load(body)
        except ValidationError as exc:
            errors = field_errors(exc.messages)
        else:
            try:
                if data.get("merge_into_session_id") is not None:
                    access.manageable_session(service(), me(), data["merge_into_session_id"])
                out = service().decisions.decide(session_id, data["decision"], me().subject,
                                                 merge_into=data.get("merge_into_session_id"),
                                                 reason=data.get("reason"), decided_by_name=me().name or None)
            except InvalidInput as error:
                errors = problem_errors(error) or {}
            except Conflict as error:
                flash(conflict_text(error), "error")
                return redirect(url_for("session_pages.detail", session_id=session_id), code=303)
            else:
                flash(_done(out), "success")
                target = out["outcome"].get("target_session_id") or session_id
                return redirect(url_for("session_pages.detail", session_id=target), code=303)
    return render_page("decision.html.j2", status=422 if errors else 200, s=s, values=values, errors=errors,
                       labels=labels(), merge_options=_merge_options(s),
                       history=service().decisions.decisions(session_id))


def _done(out: dict[str, Any]) -> str:
    status = out["outcome"]["status"]
    if status == "confirmed":
        return t("Besluit vastgelegd: de sessie gaat door.", "Decision recorded: the session goes ahead.")
    if status == "cancelled":
        return t("Besluit vastgelegd: de sessie gaat niet door; iedereen krijgt bericht.",
                 "Decision recorded: the session is cancelled; everyone is told.")
    moved, left = len(out["outcome"]["moved"]), len(out["outcome"]["not_moved"])
    return t(f"Besluit vastgelegd: samengevoegd. {moved} deelnemers overgezet" +
             (f", {left} niet (al aangemeld of niet meer toegelaten)." if left else "."),
             f"Decision recorded: merged. {moved} participants moved" +
             (f", {left} not (already there or no longer admitted)." if left else "."))
