"""The navigation per role: which pages a signed-in person sees, across services.

Links go through `settings.public_urls[service]` (the service's base URL at
the one origin, e.g. http://127.0.0.1:8080/sessions) so the menu works from
any service's page. A person with several roles gets each role's items once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.common.config import Settings


@dataclass(frozen=True)
class NavItem:
    service: str
    path: str  # relative to the service's root
    nl: str
    en: str


NAV_BY_ROLE: dict[str, tuple[NavItem, ...]] = {
    "fund_admin": (
        NavItem("enrolment", "/programmes", "Programma's", "Programmes"),
        NavItem("enrolment", "/companies", "Bedrijven", "Companies"),
        NavItem("enrolment", "/audit", "Auditlog", "Audit log"),
        NavItem("enrolment", "/persons", "Privacy", "Privacy"),
        NavItem("sessions", "/sessions", "Sessies", "Sessions"),
        NavItem("notifications", "/deliveries", "Mail", "Mail"),
        NavItem("reporting", "/dashboard", "Rapportage", "Reporting"),
    ),
    "coordinator": (
        NavItem("sessions", "/calendar", "Kalender", "Calendar"),
        NavItem("sessions", "/sessions", "Sessies", "Sessions"),
        NavItem("sessions", "/evaluations", "Evaluaties", "Evaluations"),
        NavItem("sessions", "/alerts", "Signalen", "Alerts"),
    ),
    "facilitator": (
        NavItem("sessions", "/my-sessions", "Mijn sessies", "My sessions"),
    ),
    "reporting_consumer": (
        NavItem("reporting", "/dashboard", "Dashboard", "Dashboard"),
        NavItem("reporting", "/final-report", "Eindrapport", "Final report"),
        NavItem("reporting", "/subscriptions", "Abonnementen", "Subscriptions"),
    ),
}

ROLE_NAMES = {
    "fund_admin": ("Fondsbeheerder", "Fund administrator"),
    "coordinator": ("Regiocoördinator", "Regional coordinator"),
    "facilitator": ("Begeleider", "Facilitator"),
    "reporting_consumer": ("Rapportage-afnemer", "Reporting consumer"),
}


@dataclass(frozen=True)
class NavLink:
    href: str
    nl: str
    en: str
    current: bool


def service_url(settings: Settings, service: str, path: str = "/") -> str:
    """A page of `service` at the origin; relative to the origin when no public URL is known."""
    base = settings.public_urls.get(service, "").rstrip("/")
    return f"{base}{path}"


def nav_links(settings: Settings, roles: Iterable[str], current_service: str, current_path: str) -> list[NavLink]:
    """The menu for someone with `roles`; the item for the page being shown is marked current."""
    seen: set[tuple[str, str]] = set()
    links: list[NavLink] = []
    for role in roles:
        for item in NAV_BY_ROLE.get(role, ()):
            if (item.service, item.path) in seen:
                continue
            seen.add((item.service, item.path))
            current = item.service == current_service and (
                current_path == item.path or current_path.startswith(item.path + "/"))
            links.append(NavLink(service_url(settings, item.service, item.path), item.nl, item.en, current))
    return links


def home_url(settings: Settings, roles: Iterable[str]) -> str:
    """Where a person starts: the first item of their first role with pages."""
    for role in roles:
        items = NAV_BY_ROLE.get(role)
        if items:
            return service_url(settings, items[0].service, items[0].path)
    return service_url(settings, "enrolment", "/")
