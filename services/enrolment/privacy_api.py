"""`GET /api/v1/persons/<id>/complete-export`: everything the four services hold about a person, in one document.

Enrolment's own `/export` (api.py) stays its own section; this route adds the other three services'
(services.common.privacy). Fund administrators only, as every privacy route.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from services.common.auth import require_roles
from services.common.privacy import CompleteExportOut, caller_token
from services.enrolment import schemas as s
from services.enrolment.service import Enrolment

blueprint = Blueprint("complete_export", __name__, url_prefix="/api/v1/persons",
                      description="Privacy: what every service holds about a person, gathered by one request")


@blueprint.get("/<uuid:person_id>/complete-export")
@require_roles("fund_admin")
@blueprint.response(200, CompleteExportOut)
def complete_export(person_id: uuid.UUID) -> dict[str, Any]:
    """Everything the four services hold about a person, a section per service (a data subject's access request).

    404 for an unknown person; 502 or 503 naming the service when one of them cannot give its part:
    the export is never handed out incomplete.
    """
    service: Enrolment = current_app.extensions["enrolment"]
    return service.privacy.export_everywhere(person_id, caller_token(), s.PersonExport().dump)
