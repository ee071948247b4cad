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
from services.sessions import access, domain
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
    """What a merge may go into (domain.merge_target_problem): open sessions of the same programme, type and
    region that have not started, each with its date, time and free places (no room: the waiting list)."""
    filters = access.session_filters(me(), {"programme_id": s["programme_id"], "type": s["type"],
                                            "region": s["region"], "starts_from": datetime.now(UTC)})
    rows, _ = service().queries.sessions(filters, 100, 0)
    options = []
    for r in rows:
        if r["id"] == s["id"] or r["status"] not in domain.OPEN or not access.may_manage(me(), r):
            continue
        free = max(r["capacity_max"] - r["registered"], 0)
        if free == 0:
            room = t("vol: wachtlijst", "full: waiting list")
        elif free == 1:
            room = t("1 plaats vrij", "1 place free")
        else:
            room = t(f"{free} plaatsen vrij", f"{free} places free")
        options.append((str(r["id"]), f"{domain.local(r['starts_at']):%d-%m-%Y %H:%M} · {room}"))
    return options


# The rules' English reasons (domain.merge_target_problem, decision_refusal) in Dutch for the pages.
_MERGE_NL = (("itself", "Een sessie kan niet met zichzelf worden samengevoegd."),
             ("another programme", "Die sessie hoort bij een ander programma."),
             ("another type", "Die sessie is van een andere soort; samenvoegen kan alleen met dezelfde soort."),
             ("another region", "Die sessie is in een andere regio; samenvoegen kan alleen binnen de regio."),
             ("has started", "Die sessie is al begonnen."),
             ("is ", "Die sessie is geannuleerd of al gehouden."))
_REFUSED_NL = {"already_decided": ("Voor deze datum is al een besluit vastgelegd. Verplaatst u de sessie naar een "
                                   "andere datum, dan is een nieuw besluit nodig.",
                                   "A decision was already recorded for this date. Moving the session to another "
                                   "date needs a new decision."),
               "not_below_minimum": ("Er zijn inmiddels genoeg aanmeldingen: de sessie zit niet meer onder het "
                                     "minimum. Samenvoegen of niet doorgaan is dus geen besluit meer; annuleer de "
                                     "sessie gewoon als ze toch niet door moet gaan.",
                                     "There are enough registrations now: the session is no longer below its "
                                     "minimum. Merging or cancelling is no longer a decision; cancel the session "
                                     "as usual if it must not go ahead."),
               "started": ("De sessie is al begonnen; er valt niets meer te beslissen.",
                           "The session has started; there is nothing left to decide."),
               "not_open": ("De sessie is geannuleerd of al gehouden; er valt niets meer te beslissen.",
                            "The session is cancelled or held; there is nothing left to decide.")}


def _merge_error(english: str) -> str:
    dutch = next((nl for key, nl in _MERGE_NL if key in english), None)
    if "give the session" in english or dutch is None:
        return t("Kies de sessie om mee samen te voegen.", "Choose the session to merge into.")
    return t(dutch, english[:1].upper() + english[1:] + ".")


def _refusal_text(error: Conflict) -> str:
    pair = _REFUSED_NL.get(str(error.extra.get("reason")))
    return t(*pair) if pair else conflict_text(error)


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
                for param in error.extra.get("invalid_params", []):
                    if param["name"] == "merge_into_session_id":
                        errors["merge_into_session_id"] = _merge_error(param["reason"])
            except Conflict as error:
                flash(_refusal_text(error), "error")
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
    moved, left = out["outcome"]["moved"], len(out["outcome"]["not_moved"])
    waiting = sum(1 for m in moved if m["status"] == "waitlisted")
    people = t("deelnemer" if len(moved) == 1 else "deelnemers", "participant" if len(moved) == 1 else "participants")
    return t(f"Besluit vastgelegd: samengevoegd. {len(moved)} {people} overgezet" +
             (f", van wie {waiting} op de wachtlijst (geen plaats meer)" if waiting else "") +
             (f"; {left} niet (al aangemeld of niet meer toegelaten)." if left else "."),
             f"Decision recorded: merged. {len(moved)} {people} moved" +
             (f", {waiting} of them on the waiting list (no place left)" if waiting else "") +
             (f"; {left} not (already there or no longer admitted)." if left else "."))
