"""Enrolment use cases: each writes its state change, its events and its audit row in one transaction.

The use cases are grouped by domain thing (programmes, companies, an enrolment's lifecycle with the
gate, participation, privacy); `Enrolment` is all of them behind one object the HTTP layer calls.
"""

from __future__ import annotations

from services.enrolment.companies import Companies
from services.enrolment.lifecycle import Lifecycle
from services.enrolment.overview import Overview
from services.enrolment.participation import Participation
from services.enrolment.privacy import Privacy
from services.enrolment.programmes import Programmes
from services.enrolment.use_cases import today

__all__ = ["Enrolment", "today"]


class Enrolment(Programmes, Companies, Lifecycle, Participation, Privacy, Overview):
    """The enrolment service's use cases."""
