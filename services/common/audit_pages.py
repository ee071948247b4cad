"""The audit trail page (`/audit`) of sessions, notifications and reporting: the same page as enrolment's.

Fund administrators only, newest first, filtered and paged on the server. A tab row leads to the
trail of each of the four services (each service shows its own rows only: its own database).
Actions and subject kinds are named in Dutch first; a code the labels do not know yet is shown as it is.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, Flask, Response, current_app, request
from flask_smorest import Api
from marshmallow import ValidationError

from services.common import audit
from services.common.i18n import label, t
from services.common.nav import ROLE_NAMES
from services.common.pages import PAGE_SIZE, pages_of, render_page
from services.common.signin import require_page_roles

SERVICE_NAMES = {"enrolment": ("Inschrijving", "Enrolment"), "sessions": ("Sessies", "Sessions"),
                 "notifications": ("Mail", "Mail"), "reporting": ("Rapportage", "Reporting")}
SUBJECT_TYPES = {
    "session": ("Sessie", "Session"), "registration": ("Aanmelding", "Registration"),
    "calendar_feed": ("Agendakoppeling", "Calendar feed"), "company": ("Bedrijf", "Company"),
    "person": ("Persoon", "Person"), "staff": ("Medewerker", "Staff member"), "campaign": ("Campagne", "Campaign"),
    "subscription": ("Abonnement", "Subscription"), "session_series": ("Reeks sessies", "Series of sessions"),
    "invitation": ("Uitnodiging", "Invitation"), "retention_rule": ("Bewaartermijn", "Retention period"),
    "enrolment": ("Inschrijving", "Enrolment"), "programme": ("Programma", "Programme"),
}
ACTIONS = {
    "session.schedule": ("Sessie gepland", "Session scheduled"),
    "session.reschedule": ("Sessie verplaatst of gewijzigd", "Session rescheduled or changed"),
    "session.confirm": ("Sessie bevestigd", "Session confirmed"),
    "session.cancel": ("Sessie geannuleerd", "Session cancelled"),
    "session.invite": ("Uitnodigingen verstuurd", "Invitations sent"),
    "session.attendance": ("Aanwezigheid vastgelegd", "Attendance recorded"),
    "session.close": ("Sessie afgesloten", "Session closed"),
    "session.below_minimum": ("Onder het minimum gesignaleerd", "Below minimum signalled"),
    "session.decision": ("Besluit over doorgaan vastgelegd", "Go/no-go decision recorded"),
    "series.schedule": ("Reeks sessies gepland", "Series of sessions scheduled"),
    "invitation.decline": ("Uitnodiging afgeslagen", "Invitation declined"),
    "registration.create": ("Aangemeld", "Registered"),
    "registration.cancel": ("Afgezegd", "Cancelled"),
    "evaluation.submit": ("Evaluatie ingevuld", "Evaluation submitted"),
    "calendar_feed.create": ("Agendakoppeling gemaakt", "Calendar feed created"),
    "calendar_feed.revoke": ("Agendakoppeling ingetrokken", "Calendar feed revoked"),
    "enrolment.withdrew": ("Bedrijf teruggetrokken", "Company withdrew"),
    "person.erased": ("Persoonsgegevens gewist", "Personal data erased"),
    "person.erase": ("Persoonsgegevens gewist", "Personal data erased"),
    "person.export": ("Persoonsgegevens opgevraagd", "Personal data exported"),
    "person.export_all": ("Alle persoonsgegevens opgevraagd", "All personal data exported"),
    "retention.applied": ("Bewaartermijn toegepast", "Retention period applied"),
    "staff.created": ("Medewerker toegevoegd", "Staff member added"),
    "staff.updated": ("Medewerker gewijzigd", "Staff member changed"),
    "staff.deleted": ("Medewerker verwijderd", "Staff member removed"),
    "campaign.created": ("Campagne gemaakt", "Campaign created"),
    "campaign.active": ("Campagne hervat", "Campaign resumed"),
    "campaign.paused": ("Campagne gepauzeerd", "Campaign paused"),
    "campaign.stopped": ("Campagne gestopt", "Campaign stopped"),
    "suppression.added": ("Afgemeld voor mail", "Unsubscribed from mail"),
    "suppression.removed": ("Weer aangemeld voor mail", "Subscribed to mail again"),
    "subscription.create": ("Abonnement gemaakt", "Subscription created"),
    "subscription.delete": ("Abonnement verwijderd", "Subscription deleted"),
    "subscription.activate": ("Abonnement geactiveerd", "Subscription activated"),
    "subscription.deactivate": ("Abonnement gepauzeerd", "Subscription deactivated"),
    "subscription.rotate_secret": ("Geheim vervangen", "Secret rotated"),
    "subscription.redeliver": ("Opnieuw bezorgd", "Redelivered"),
    "subscription.replay": ("Opnieuw afgespeeld", "Replayed"),
    "company_report_link.create": ("Link naar bedrijfsrapport uitgegeven", "Company report link issued"),
}
DETAIL_NAMES = {"removed": ("verwijderd", "removed"), "retention_days": ("bewaartermijn (dagen)", "retention (days)"),
                "reason": ("reden", "reason"), "invited": ("uitgenodigd", "invited"), "late": ("te laat", "late"),
                "rows": ("gevonden rijen", "rows found"), "kind": ("soort", "kind"), "what": ("wat", "what"),
                "role": ("rol", "role"), "registered": ("aangemeld", "registered"),
                "decision": ("besluit", "decision"), "outcome": ("uitkomst", "outcome"),
                "count": ("aantal", "count"), "interval_weeks": ("elke zoveel weken", "every so many weeks"),
                "region": ("regio", "region"), "attended": ("aanwezig", "attended"),
                "no_shows": ("niet verschenen", "no-shows"), "excused": ("afgemeld", "excused"),
                "unrecorded": ("niet vastgelegd", "not recorded")}
# For the API's readers; the page names the subject (a retention rule by its name) and says the rest in words.
HIDDEN_DETAILS = ("table", "cleared", "older_than", "what", "expires_at")


def _is_id(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


def details_text(details: dict[str, Any]) -> str:
    """An audit row's details in words; ids and long lists stay out (the row names its subject)."""
    parts = []
    for key, value in details.items():
        if value is None or key.endswith("_id") or key in HIDDEN_DETAILS or isinstance(value, dict | list) \
                or _is_id(key):  # e.g. attendance per registration id: the subject's page has the names
            continue
        if isinstance(value, bool):
            value = t("ja", "yes") if value else t("nee", "no")
        elif key == "role" and value in ROLE_NAMES:
            value = t(*ROLE_NAMES[str(value)]).lower()
        parts.append(f"{label(DETAIL_NAMES, key)}: {value}")
    return ", ".join(parts)


def page_blueprint(service: str) -> Blueprint:
    """The `/audit` page of `service`."""
    blueprint = Blueprint(f"{service}_audit_pages", __name__)

    @blueprint.get("/audit")
    @require_page_roles("fund_admin")
    def audit_trail() -> Response:
        filters = {k: v.strip() for k, v in request.args.items() if k in audit.FILTERS and v.strip()}
        number = request.args.get("page", "1")
        problem = None
        try:
            query = audit.AuditQuery().load({**filters, "page": number if number.isdigit() else "1",
                                             "page_size": str(PAGE_SIZE)})
        except ValidationError as exc:
            problem = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.messages.items())  # type: ignore[union-attr]
            filters, query = {}, audit.AuditQuery().load({"page": "1", "page_size": str(PAGE_SIZE)})
        with current_app.config["POOL"].connection() as conn:
            rows, total = audit.entries(conn, query, PAGE_SIZE, (query["page"] - 1) * PAGE_SIZE)
            subject_types, actions = audit.kinds(conn)
        return render_page(
            "audit_trail.html.j2", service=service, services=SERVICE_NAMES, entries=rows, total=total,
            page=query["page"], pages=pages_of(total), filters=filters, problem=problem,
            subject_types=[(c, label(SUBJECT_TYPES, c)) for c in subject_types],
            actions=[(c, label(ACTIONS, c)) for c in actions],
            action_label=lambda c: label(ACTIONS, c), subject_label=lambda c: label(SUBJECT_TYPES, c),
            details_text=details_text)

    return blueprint


def register(app: Flask, api: Api, service: str) -> None:
    """Give `service` the audit trail's API route and page (enrolment has its own of both)."""
    api.register_blueprint(audit.api_blueprint())
    app.register_blueprint(page_blueprint(service))
