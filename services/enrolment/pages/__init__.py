"""Enrolment's pages for the fund administrator (and, read-only, coordinators in their regions).

Thin views: read the form, load it with the API's schema, call the same use
case the API calls, then redirect with a message (or show the form again
with the errors at the fields). Access rules come from `services.enrolment.access`,
the same functions the API uses.
"""

from services.enrolment.pages import audit, companies, enrolments, participation, privacy, programmes
from services.enrolment.pages.base import blueprint

__all__ = ["audit", "blueprint", "companies", "enrolments", "participation", "privacy", "programmes"]
