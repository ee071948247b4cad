"""Participant actions through signed, expiring, single-use links (no login).

Notifications mints the links (`signed_links.sign(link_secret, action, {"session_id", "person_id"}, ttl)`).
An answer to an invitation (confirm, cancel) is possible until the session
starts, whatever the token's own expiry: from the start on such a link is
expired (410). Notifications mints them to expire at the start too.
GET shows a small page with a button and never acts: mail scanners fetch
links. POST performs the action; the link's jti is claimed in the same
transaction as the action, so a link works once, and a refused action
(session full of rules, say) leaves the link usable.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

from flask import Response, current_app, jsonify, render_template, request
from flask_smorest import Blueprint
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from services.common import session_types
from services.common.db import request_connection
from services.common.i18n import day_text
from services.common.openapi_policy import page_responses
from services.common.problems import InvalidInput, Problem, problem_response
from services.common.signed_links import InvalidLink, LinkClaims, verify
from services.sessions import db, domain
from services.sessions.db import Conn, Row
from services.sessions.schemas import LinkEvaluationIn
from services.sessions.service import Sessions

ACTIONS = ("confirm", "cancel", "evaluate")
links = Blueprint("links", __name__, url_prefix="/api/v1/links", template_folder="templates",
                  description="Signed links from mails: confirm, cancel, evaluate (no bearer token)")

BUTTONS = {"confirm": "Ik kom / I will attend", "cancel": "Ik zeg af / I cannot attend",
           "evaluate": "Verstuur / Send"}
ASK = {
    "confirm": ("Aanmelden", "Bevestig dat u deze sessie bijwoont.", "Register",
                "Confirm that you will attend this session."),
    "cancel": ("Afzeggen", "Zeg uw deelname aan deze sessie af. Uw plaats gaat naar de wachtlijst.",
               "Cancel", "Cancel your place in this session; it goes to the next person on the waiting list."),
    "evaluate": ("Evaluatie", "Hoe waardeert u deze sessie? Uw cijfer wordt alleen anoniem gedeeld.",
                 "Evaluation", "How would you rate this session? Scores are only shared anonymously."),
}
REFUSED = {
    "expired": (410, "Link verlopen", "Deze link is verlopen. Neem contact op met uw regiocoördinator.",
                "Link expired", "This link has expired. Please contact your regional coordinator."),
    "used": (410, "Link al gebruikt", "Deze link is al gebruikt en werkt maar één keer.",
             "Link already used", "This link has already been used; it works only once."),
    "invalid": (403, "Ongeldige link", "Deze link is ongeldig. Gebruik de link uit uw e-mail ongewijzigd.",
                "Invalid link", "This link is not valid. Please use the link from your e-mail unchanged."),
}


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or (best == "application/json" and "text/html" not in request.accept_mimetypes.values())


def _page(status: int, title_nl: str, text_nl: str, title_en: str, text_en: str, *,
          session: Row | None = None, form: dict[str, Any] | None = None) -> Response:
    html = render_template("links/page.html", title_nl=title_nl, text_nl=text_nl, title_en=title_en,
                           text_en=text_en, session=_describe(session) if session else None, form=form)
    return Response(html, status=status, mimetype="text/html")


# Which session a link is for, fully enough to tell two sessions on one day apart.
TYPES = {"nl": session_types.TYPE_NL, "en": session_types.TYPE_EN}
FORMATS = {"nl": {"on_site": "op locatie bij een bedrijf", "regional_venue": "regionale locatie",
                  "online": "online (Microsoft Teams; de link staat in uw uitnodiging)"},
           "en": {"on_site": "on site at a company", "regional_venue": "regional venue",
                  "online": "online (Microsoft Teams; the link is in your invitation)"}}


def _describe(s: Row) -> dict[str, Any]:
    """Programme, type, local start and end (Europe/Amsterdam), format and place, in Dutch and in English."""
    start = domain.local(s["starts_at"])
    end = domain.local(domain.ends_at(s["starts_at"], s["duration_minutes"]))
    out: dict[str, Any] = {"programme": s.get("programme_name") or ""}
    for lang in ("nl", "en"):
        day = day_text(start, lang)
        title = str(TYPES[lang].get(s["type"], s["type"]))
        if s["sequence_number"]:
            title += f" {s['sequence_number']}"
        place = FORMATS[lang].get(s["format"], s["format"])
        if s["format"] != "online" and s["venue_address"]:
            place = f"{s['venue_address']} ({place})"
        out[lang] = {"what": title, "when": f"{day}, {start:%H:%M}-{end:%H:%M}", "where": place}
    return out


def _session(conn: Conn, session_id: uuid.UUID) -> Row | None:
    """The session with its programme's name (from the read model), for the page."""
    s = db.get_session(conn, session_id)
    if s is None:
        return None
    programme = db.get_programme(conn, s["programme_id"])
    return {**s, "programme_name": programme["name"] if programme else ""}


def _problem_page(status: int, title_nl: str, text_nl: str, title_en: str, text_en: str, *,
                  session: Row | None = None, problems: list[dict[str, str]] | None = None) -> Response:
    """The common error page (error.html.j2) as a participant sees it: both languages, no home page."""
    html = render_template("links/problem.html.j2", status=status, code=status, title=title_nl, text=text_nl,
                           title_en=title_en, text_en=text_en, problems=problems or [],
                           session=_describe(session) if session else None)
    return Response(html, status=status, mimetype="text/html")


def _refused(kind: str) -> Response:
    status, title_nl, text_nl, title_en, text_en = REFUSED[kind]
    if _wants_json():
        return problem_response(Problem(status, title_en, text_en, kind=f"link-{kind}", detail_nl=text_nl),
                                request.path)
    return _problem_page(status, title_nl, text_nl, title_en, text_en)


def _claims(action: str, token: str) -> LinkClaims | Response:
    """Verified claims, or the page refusing the link."""
    try:
        claims = verify(current_app.config["SETTINGS"].link_secret, token, action)
        uuid.UUID(claims.subject.get("session_id", "")), uuid.UUID(claims.subject.get("person_id", ""))
    except InvalidLink as exc:
        return _refused("expired" if exc.reason == "expired" else "invalid")
    except ValueError:
        return _refused("invalid")
    return claims


@contextlib.contextmanager
def _one_transaction() -> Iterator[Conn]:
    """The jti claim and the use case commit together: use cases join this transaction."""
    outer = request_connection.get()
    if outer is not None:  # an Idempotency-Key request already opened one
        with outer.transaction():
            yield outer
        return
    pool = current_app.config["POOL"]
    with pool.connection() as conn, conn.transaction():
        token = request_connection.set(conn)
        try:
            yield conn
        finally:
            request_connection.reset(token)


def _past_answering(action: str, session: Row) -> bool:
    """Confirm and cancel answer an invitation: that is over once the session has started."""
    service: Sessions = current_app.extensions["sessions"]
    return action in ("confirm", "cancel") and session["starts_at"] <= service.clock()


def _action_error(error: HTTPException, session: Row | None) -> Response:
    if _wants_json():
        return problem_response(error, request.path)
    return _problem_page(error.code or 400, "Dat lukte niet", str(error.description or ""), "That did not work",
                         str(error.description or ""), session=session)


@links.route("/<any(confirm, cancel, evaluate):action>", methods=["GET"])
@links.doc(security=[], parameters=[{"in": "query", "name": "token", "required": True, "schema": {"type": "string"}}],
           responses=page_responses())
def show(action: str) -> Response:
    """A page with a button; GET never acts (mail scanners prefetch links)."""
    token = request.args.get("token", "")
    claims = _claims(action, token)
    if isinstance(claims, Response):
        return claims
    pool = current_app.config["POOL"]
    with pool.connection() as conn:
        if db.link_used(conn, claims.jti):
            return _refused("used")
        session = _session(conn, uuid.UUID(claims.subject["session_id"]))
    if session is None:
        return _refused("invalid")
    if _past_answering(action, session):
        return _refused("expired")
    title_nl, text_nl, title_en, text_en = ASK[action]
    form = {"action": request.path, "token": token, "button": BUTTONS[action], "evaluate": action == "evaluate"}
    return _page(200, title_nl, text_nl, title_en, text_en, session=session, form=form)


@links.route("/<any(confirm, cancel, evaluate):action>", methods=["POST"])
@links.doc(security=[], responses=page_responses(json_too=True))
def act(action: str) -> Response:
    """Perform the link's action once: form or JSON in, HTML or JSON (by Accept) out."""
    body: dict[str, Any] = dict(request.get_json(silent=True) or {}) if request.is_json else dict(request.form)
    token = request.args.get("token") or str(body.pop("token", "") or "")
    claims = _claims(action, token)
    if isinstance(claims, Response):
        return claims
    evaluation: dict[str, Any] = {}
    if action == "evaluate":
        try:
            evaluation = LinkEvaluationIn().load({k: v for k, v in body.items() if k in ("score", "comment")})
        except ValidationError as exc:
            # The same 422 as every API answer (field + reason); the page names the fields too.
            invalid = InvalidInput(exc.messages)  # type: ignore[arg-type]
            if _wants_json():
                return problem_response(invalid, request.path)
            return _problem_page(422, "Controleer uw invoer", "Kies een cijfer van 1 tot en met 10.",
                                 "Please check your input", "Choose a score from 1 to 10.",
                                 problems=invalid.extra["invalid_params"])
    service: Sessions = current_app.extensions["sessions"]
    session_id, person_id = uuid.UUID(claims.subject["session_id"]), uuid.UUID(claims.subject["person_id"])
    session: Row | None = None
    try:
        with _one_transaction() as conn:
            session = _session(conn, session_id)
            if session is not None and _past_answering(action, session):
                return _refused("expired")
            if not db.claim_link(conn, claims.jti, action):
                return _refused("used")
            result = _perform(service, conn, action, session_id, person_id, evaluation)
    except HTTPException as error:
        return _action_error(error, session)
    if _wants_json():
        return jsonify({"action": action, **result})
    return _page(200, result["title_nl"], result["text_nl"], result["title_en"], result["text_en"], session=session)


def _perform(service: Sessions, conn: Conn, action: str, session_id: uuid.UUID, person_id: uuid.UUID,
             evaluation: dict[str, Any]) -> dict[str, Any]:

    if action == "confirm":
        reg = service.registrations.register(session_id, person_id, by_participant=True)
        if reg["status"] == "registered":
            return {"status": "registered", "registration_id": str(reg["id"]), "title_nl": "U bent aangemeld",
                    "text_nl": "Tot dan! U ontvangt vooraf nog een herinnering.", "title_en": "You are registered",
                    "text_en": "See you there; you will get a reminder beforehand."}
        position = int(reg["position"])
        return {"status": "waitlisted", "registration_id": str(reg["id"]), "position": position,
                "title_nl": "U staat op de wachtlijst",
                "text_nl": f"De sessie is vol. U staat op plaats {position} van de wachtlijst; komt er een plaats "
                           "vrij, dan krijgt u die automatisch en hoort u het per e-mail.",
                "title_en": "You are on the waiting list",
                "text_en": f"The session is full. You are number {position} on the waiting list; if a place frees "
                           "up it is yours automatically and you will hear by e-mail."}
    if action == "cancel":
        live = db.live_registration(conn, session_id, person_id)
        if live is None:
            # Invited but not registered: "I cannot attend" is the invitation's answer (not a reminder's cause).
            service.registrations.decline(session_id, person_id)
            return {"status": "declined", "title_nl": "U heeft de uitnodiging afgeslagen",
                    "text_nl": "Dank voor het laten weten. U krijgt geen herinneringen meer voor deze sessie.",
                    "title_en": "You have declined the invitation",
                    "text_en": "Thank you for letting us know. You will get no more reminders for this session."}
        reg = service.registrations.cancel_registration(live["id"], by_participant=True)
        return {"status": "cancelled", "registration_id": str(reg["id"]), "late": bool(reg["cancel_late"]),
                "title_nl": "U heeft afgezegd", "text_nl": "Jammer dat u er niet bij kunt zijn. Dank voor het "
                "laten weten.", "title_en": "You have cancelled", "text_en": "Sorry you cannot make it; thank you "
                "for letting us know."}
    out = service.evaluations.evaluate(session_id, person_id, evaluation["score"], evaluation.get("comment"),
                                       by_participant=True)
    return {"status": "evaluated", "evaluation_id": str(out["id"]), "score": out["score"],
            "title_nl": "Dank voor uw evaluatie", "text_nl": "Uw beoordeling is ontvangen.",
            "title_en": "Thank you for your evaluation", "text_en": "Your rating has been received."}
