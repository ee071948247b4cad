"""What the notifications pages share: the service, paging, Dutch-first labels and form errors."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from marshmallow import ValidationError

from services.common.i18n import label, t
from services.common.pages import PAGE_SIZE as PAGE_SIZE  # the notifications pages take these from here
from services.common.pages import page_number as page_number
from services.common.pages import pages_of as pages_of
from services.notifications.service import Notifications

KIND_LABELS: dict[str, tuple[str, str]] = {
    "intake_invitation": ("Uitnodiging intakegesprek", "Intake invitation"),
    "intake_confirmation": ("Bevestiging intakegesprek", "Intake confirmation"),
    "admission": ("Toelating", "Admission"),
    "decline": ("Afwijzing", "Decline"),
    "session_invitation": ("Uitnodiging sessie", "Session invitation"),
    "facilitator_assignment": ("Opdracht begeleider", "Facilitator assignment"),
    "session_reminder": ("Herinnering sessie", "Session reminder"),
    "session_rescheduled": ("Sessie verplaatst", "Session rescheduled"),
    "session_cancelled": ("Sessie geannuleerd", "Session cancelled"),
    "waitlist_promotion": ("Plaats vrij van wachtlijst", "Waiting list promotion"),
    "invitation_reminder": ("Herinnering uitnodiging (nog geen antwoord)", "Invitation reminder (no answer yet)"),
    "waitlist_placement": ("Op de wachtlijst geplaatst", "Placed on the waiting list"),
    "registration_cancelled": ("Aanmelding geannuleerd", "Registration cancelled"),
    "session_transfer": ("Verplaatst naar andere sessie", "Moved to another session"),
    "evaluation_request": ("Verzoek om evaluatie", "Evaluation request"),
    "progress_digest": ("Voortgangsbericht", "Progress digest"),
    "drip": ("Inspiratiemail (campagne)", "Drip mail (campaign)"),
    "alert_below_minimum": ("Signaal: te weinig aanmeldingen", "Alert: below minimum"),
    "alert_repeated_no_show": ("Signaal: herhaald niet verschenen", "Alert: repeated no-show"),
    "alert_company_at_risk": ("Signaal: bedrijf dreigt af te haken", "Alert: company at risk"),
    "alert_unknown_staff": ("Signaal: begeleider onbekend", "Alert: unknown facilitator"),
}
AUDIENCE_LABELS = {
    "director": ("Directeur", "Director"), "participant": ("Deelnemer", "Participant"),
    "facilitator": ("Begeleider", "Facilitator"), "coordinator": ("Regiocoördinator", "Coordinator"),
    "person": ("Deelnemer of begeleider", "Participant or facilitator"),
}
# Delivery states with the badge kind that carries their meaning (the text says it, the colour helps).
DELIVERY_STATES = {
    "scheduled": ("Gepland", "Scheduled", "neutral"), "sending": ("Wordt verstuurd", "Sending", "active"),
    "sent": ("Verstuurd", "Sent", "success"), "failed": ("Mislukt", "Failed", "danger"),
    "suppressed": ("Niet verstuurd (afgemeld)", "Not sent (unsubscribed)", "inactive"),
    "cancelled": ("Geannuleerd", "Cancelled", "warning"),
    "unaddressed": ("Niet verstuurd: niemand om naar te sturen", "Not sent: nobody to send it to", "danger"),
}
CAMPAIGN_STATES = {
    "active": ("Actief", "Active", "success"), "paused": ("Gepauzeerd", "Paused", "warning"),
    "stopped": ("Gestopt", "Stopped", "inactive"),
}
JOB_LEVEL_LABELS = {
    "manager": ("Leidinggevende", "Manager"), "supervisor": ("Uitvoerder", "Supervisor"),
    "foreman": ("Voorman", "Foreman"), "employee": ("Medewerker", "Employee"), "other": ("Anders", "Other"),
}
ROLE_LABELS = {"coordinator": ("Regiocoördinator", "Coordinator"), "facilitator": ("Begeleider", "Facilitator"),
               "fund_admin": ("Fondsbeheerder", "Fund administrator")}
LANGUAGE_LABELS = {"nl": ("Nederlands", "Dutch"), "en": ("Engels", "English")}
# Why a mail was cancelled or waits (the delivery's last_error, written in English by the worker), Dutch first.
REASON_LABELS = {
    "session cancelled": ("De sessie is geannuleerd", "The session was cancelled"),
    "registration cancelled": ("De aanmelding is geannuleerd", "The registration was cancelled"),
    "invitee answered": ("De genodigde heeft al geantwoord", "The invitee has answered"),
    "session started before the reminder": ("De sessie begon vóór de herinnering",
                                            "The session started before the reminder"),
    "session starts before a reminder would be due": ("De sessie begint voordat een herinnering zinvol is",
                                                      "The session starts before a reminder would be due"),
    "counted from when the invitation went out": ("Wacht: telt vanaf het versturen van de uitnodiging",
                                                  "Waiting: counted from when the invitation went out"),
    "the invitation has not gone out yet": ("Wacht: de uitnodiging is nog niet verstuurd",
                                            "Waiting: the invitation has not gone out yet"),
    "session held": ("Sessie heeft plaatsgevonden", "Session held"),
    "company withdrew": ("Bedrijf is gestopt", "Company withdrew"),
    "person removed": ("Deelnemer afgemeld door het bedrijf", "Participant removed"),
    "person erased": ("Gegevens gewist", "Data erased"),
    "person withdrawn or removed": ("Deelnemer of bedrijf gestopt", "Participant or company stopped"),
    "facilitator taken off the session": ("Begeleider van de sessie gehaald", "Facilitator taken off the session"),
    "session moved too close for a reminder": ("Sessie te dichtbij verplaatst voor een herinnering",
                                               "Session moved too close for a reminder"),
    "campaign stopped": ("Campagne gestopt", "Campaign stopped"),
    "no longer in this campaign": ("Niet meer in deze campagne", "No longer in this campaign"),
    "company no longer taking part": ("Bedrijf doet niet meer mee", "Company no longer taking part"),
    "no contact data for this person (yet)": ("Wacht op de contactgegevens", "Waiting for the contact details"),
    "session not known (yet)": ("Wacht op de sessiegegevens", "Waiting for the session's details"),
}

# marshmallow's messages, Dutch first (the pages show both languages' meaning in the chosen one).
MESSAGES = {
    "Missing data for required field.": ("Vul dit veld in.", "Fill in this field."),
    "Field may not be null.": ("Vul dit veld in.", "Fill in this field."),
    "Not a valid email address.": ("Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl.",
                                   "Enter a valid e-mail address, like name@example.com."),
    "Not a valid integer.": ("Vul een heel getal in.", "Enter a whole number."),
    "Shorter than minimum length 1.": ("Vul dit veld in.", "Fill in this field."),
    "a coordinator needs at least one region": ("Kies minstens één regio voor een regiocoördinator.",
                                                "Choose at least one region for a coordinator."),
    "regions must be unique": ("Noem elke regio maar één keer.", "Name each region only once."),
    "must not contain control characters": ("Gebruik één regel tekst, zonder tabs of regeleinden.",
                                            "Use one line of text, without tabs or line breaks."),
}


def service() -> Notifications:
    found: Notifications = current_app.extensions["notifications"]
    return found


def reason(text: str | None) -> str:
    """Why a mail was cancelled or waits, in the page's language; an unknown text (an SMTP error) as it is."""
    return label(REASON_LABELS, text)


def message(text: str) -> str:
    """One marshmallow message in the page's language (range/length messages get a general Dutch text)."""
    if text in MESSAGES:
        return t(*MESSAGES[text])
    if text.startswith("Must be one of"):
        return t("Kies een van de mogelijkheden.", "Choose one of the options.")
    bounds = re.match(r"Must be greater than or equal to (-?\d+) and less than or equal to (-?\d+)\.", text)
    if bounds:
        low, high = bounds.groups()
        return t(f"Vul een getal van {low} tot en met {high} in.", f"Enter a number from {low} to {high}.")
    if text.startswith(("Must be greater", "Must be less")):
        return t("Dit getal valt buiten het toegestane bereik.", "This number is out of range.")
    between = re.match(r"Length must be between 1 and (\d+)\.", text)
    if between:
        n = between.group(1)
        return t(f"Vul dit veld in, met hoogstens {n} tekens.", f"Fill in this field, with at most {n} characters.")
    longer = re.match(r"(?:Longer than maximum length|Length must be at most) (\d+)\.", text)
    if longer:
        n = longer.group(1)
        return t(f"Deze tekst is te lang: hoogstens {n} tekens.", f"This text is too long: at most {n} characters.")
    return text


def field_errors(error: ValidationError | dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten marshmallow's (nested) messages to {input name: first message} for the page's fields."""
    messages = error.messages if isinstance(error, ValidationError) else error
    out: dict[str, str] = {}
    if not isinstance(messages, dict):
        return {prefix or "_schema": message(str(messages[0] if isinstance(messages, list) else messages))}
    for key, value in messages.items():
        name = f"{prefix}{key}" if not prefix else f"{prefix}-{key}"
        if isinstance(value, dict):
            out.update(field_errors(value, name))
        elif isinstance(value, list) and value:
            out.setdefault(name, message(str(value[0])))
        else:
            out.setdefault(name, message(str(value)))
    return out
