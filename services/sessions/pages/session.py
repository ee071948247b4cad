"""One session: registrations, waiting list, invitations, the below-minimum decision, attendance, closing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Response, flash, redirect, request, url_for
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as WerkzeugResponse

from services.common.i18n import t
from services.common.pages import render_page
from services.common.problems import Conflict, InvalidInput
from services.common.signin import require_page_roles
from services.sessions import domain
from services.sessions.access import (
    manageable_registration,
    manageable_session,
    may_manage,
    may_take_attendance,
    region_scope,
    visible_session,
)
from services.sessions.pages.common import (
    ANYONE_ON_SESSIONS,
    ATTENDANCE,
    JOB_LEVELS,
    PAGE_SIZE,
    STAFF,
    bp,
    conflict_text,
    label,
    me,
    page_number,
    pages_of,
    person_name,
    service,
    settings,
    short_id,
)


def _programme(programme_id: uuid.UUID) -> dict[str, Any]:
    programmes, _ = service().queries.programmes(500, 0)
    return next((p for p in programmes if p["programme_id"] == programme_id), {"name": "", "below_minimum_days": None})


def _delegates(s: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    """The region's delegates (job level, whether they may take part) by person id; staff only."""
    rows, _ = service().queries.delegates(s["programme_id"], region_scope(me(), s["region"]), s["region"], 1000, 0)
    return {d["person_id"]: d for d in rows}


def below_minimum(s: dict[str, Any], programme: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """The warning for an open session with fewer registered than its minimum; `due` within the alert horizon."""
    if s["status"] not in ("planned", "confirmed") or s["registered"] >= s["capacity_min"] or s["starts_at"] <= now:
        return None
    days = programme.get("below_minimum_days") or settings().sessions_below_minimum_days
    return {"short": s["capacity_min"] - s["registered"], "days": days,
            "due": domain.below_minimum_due(s["starts_at"], now, days),
            "alerted": s.get("below_minimum_alerted_at")}


@bp.get("/sessions/<uuid:session_id>")
@require_page_roles(*ANYONE_ON_SESSIONS)
def detail(session_id: uuid.UUID) -> Response:
    principal = me()
    s = visible_session(service(), principal, session_id)  # 404 for a session the person may not see
    manage = may_manage(principal, s)
    now = datetime.now(UTC)
    page = page_number("rpage")
    registered, n_registered = service().queries.registrations(session_id, "registered", PAGE_SIZE,
                                                               (page - 1) * PAGE_SIZE)
    waiting, n_waiting = service().queries.registrations(session_id, "waitlisted", 200, 0)
    cancelled, n_cancelled = service().queries.registrations(session_id, "cancelled", 50, 0)
    ipage = page_number("ipage")
    invitations, n_invited = service().queries.invitations(session_id, PAGE_SIZE, (ipage - 1) * PAGE_SIZE)
    delegates = _delegates(s) if principal.has(*STAFF) else {}
    live = {r["person_id"] for r in registered + waiting}
    candidates = [d for d in delegates.values() if d["eligible"] and d["person_id"] not in live]
    options = [(str(d["person_id"]), f"{person_name(delegates, d['person_id'])} · "
                f"{label(JOB_LEVELS, d['job_level'])} · {t('bedrijf', 'company')} {short_id(d['company_id'])}")
               for d in candidates]
    programme = _programme(s["programme_id"])
    summary = service().evaluations.summary(session_id) if s["starts_at"] <= now else None
    return render_page("session.html.j2", s=s, manage=manage, programme=programme, now=now,
                       started=s["starts_at"] <= now, open=s["status"] in ("planned", "confirmed"),
                       registered=registered, n_registered=n_registered, rpage=page,
                       rpages=pages_of(n_registered), waiting=waiting, n_waiting=n_waiting, cancelled=cancelled,
                       n_cancelled=n_cancelled, invitations=invitations, n_invited=n_invited, ipage=ipage,
                       ipages=pages_of(n_invited), delegates=delegates, candidates=candidates,
                       candidate_options=options,
                       warning=below_minimum(s, programme, now), summary=summary,
                       decisions=service().decisions.decisions(session_id) if manage else [],
                       facilitator=principal.subject in s["facilitator_ids"])


def _back(session_id: uuid.UUID, anchor: str = "") -> WerkzeugResponse:
    return redirect(url_for("session_pages.detail", session_id=session_id) + anchor, code=303)


@bp.post("/sessions/<uuid:session_id>/invitations")
@require_page_roles(*STAFF)
def invite(session_id: uuid.UUID) -> WerkzeugResponse:
    try:
        manageable_session(service(), me(), session_id)
        invited = service().invitations.invite(session_id, None)
    except Conflict as error:
        flash(conflict_text(error), "error")
        return _back(session_id)
    if invited:
        flash(t(f"{len(invited)} deelnemers uitgenodigd; zij krijgen een uitnodiging per e-mail.",
                f"{len(invited)} participants invited; they get an invitation by e-mail."), "success")
    else:
        flash(t("Niemand nieuw om uit te nodigen: alle deelnemers van toegelaten bedrijven in deze regio zijn al "
                "uitgenodigd.", "Nobody new to invite: every participant of the admitted companies in this region "
                "was invited already."), "warning")
    return _back(session_id, "#invitations")


@bp.post("/sessions/<uuid:session_id>/registrations")
@require_page_roles(*STAFF)
def register(session_id: uuid.UUID) -> WerkzeugResponse:
    try:
        person_id = uuid.UUID(request.form.get("person_id", ""))
    except ValueError:
        flash(t("Kies een deelnemer om aan te melden.", "Choose a participant to register."), "error")
        return _back(session_id, "#register")
    try:
        manageable_session(service(), me(), session_id)
        reg = service().registrations.register(session_id, person_id)
    except Conflict as error:
        flash(conflict_text(error), "error")
        return _back(session_id, "#register")
    if reg["status"] == "registered":
        flash(t("De deelnemer is aangemeld.", "The participant is registered."), "success")
    else:
        flash(t(f"De sessie is vol: de deelnemer staat op plaats {reg['position']} van de wachtlijst.",
                f"The session is full: the participant is number {reg['position']} on the waiting list."), "warning")
    return _back(session_id, "#registrations")


@bp.post("/registrations/<uuid:registration_id>/cancel")
@require_page_roles(*STAFF)
def cancel_registration(registration_id: uuid.UUID) -> WerkzeugResponse:
    reg = manageable_registration(service(), me(), registration_id)  # 404 outside the person's sessions
    try:
        out = service().registrations.cancel_registration(registration_id)
    except Conflict as error:
        flash(conflict_text(error), "error")
        return _back(reg["session_id"])
    flash(t("Afgezegd namens de deelnemer" + (" (laat afgezegd)" if out["cancel_late"] else "") +
            ". Staat er iemand op de wachtlijst, dan schuift die door.",
            "Cancelled on the participant's behalf" + (" (late)" if out["cancel_late"] else "") +
            ". The first person on the waiting list moves up."), "success")
    return _back(reg["session_id"], "#registrations")


@bp.route("/sessions/<uuid:session_id>/attendance", methods=["GET", "POST"])
@require_page_roles(*ANYONE_ON_SESSIONS)
def attendance(session_id: uuid.UUID) -> Response | WerkzeugResponse:
    """The attendance sheet: one choice per registered person, one submit (made for a tablet)."""
    principal = me()
    s = visible_session(service(), principal, session_id)
    if not may_take_attendance(principal, s):
        raise NotFound("no such session")  # who may not record does not see the sheet
    people, total = service().queries.registrations(session_id, "registered", 500, 0)
    # Names for whoever takes attendance, the session's facilitator included.
    delegates = service().queries.people_of(s["programme_id"], [r["person_id"] for r in people])
    chosen = {str(r["id"]): r["attendance"] for r in people}
    error = None
    status = 200
    if request.method == "POST":
        chosen.update({key.removeprefix("attendance-"): value for key, value in request.form.items()
                       if key.startswith("attendance-")})
        records = [{"registration_id": r["id"], "attendance": chosen[str(r["id"])]} for r in people
                   if chosen.get(str(r["id"])) in ATTENDANCE]
        if any(v not in ATTENDANCE for k, v in request.form.items() if k.startswith("attendance-")):
            error = t("Kies per deelnemer aanwezig, niet verschenen of laat afgemeld.",
                      "Choose attended, no-show or cancelled late for each participant.")
        elif not records:
            error = t("Kies voor minstens één deelnemer of die er was.", "Choose for at least one participant "
                      "whether they were there.")
        else:
            try:
                service().attendance.record(session_id, records)
            except (Conflict, InvalidInput) as exc:
                flash(conflict_text(exc), "error")
                return redirect(url_for("session_pages.attendance", session_id=session_id), code=303)
            missing = sum(1 for r in people if chosen.get(str(r["id"])) not in ATTENDANCE)
            flash(t(f"Presentie opgeslagen voor {len(records)} deelnemers" +
                    (f"; nog {missing} open." if missing else ".") + " Wie aanwezig was, krijgt een evaluatieverzoek.",
                    f"Attendance saved for {len(records)} participants" +
                    (f"; {missing} still open." if missing else ".") + " Whoever attended gets an evaluation request."),
                  "success")
            return _back(session_id, "#registrations")
        status = 422
    return render_page("attendance.html.j2", status=status, s=s, people=people, total=total, chosen=chosen,
                       delegates=delegates, error=error, started=s["starts_at"] <= datetime.now(UTC),
                       choices=[(k, t(*v)) for k, v in ATTENDANCE.items()])


@bp.post("/sessions/<uuid:session_id>/close")
@require_page_roles(*STAFF)
def close(session_id: uuid.UUID) -> WerkzeugResponse:
    try:
        manageable_session(service(), me(), session_id)
        service().attendance.close(session_id)
        flash(t("De sessie is afgesloten als gehouden.", "The session is closed as held."), "success")
    except Conflict as error:
        flash(conflict_text(error), "error")
    return _back(session_id)
