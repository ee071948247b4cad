"""The privacy page: find a person by e-mail address and download everything the four services hold about them.

The download is the API's complete export (services.common.privacy), gathered with the signed-in fund
administrator's own token. When one service cannot give its part nothing is downloaded: the page says
which service failed, so nobody hands a data subject an export that only looks complete.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from flask import Response, request

from services.common.i18n import t
from services.common.pages import render_page
from services.common.privacy import ExportIncomplete, caller_token
from services.common.signin import require_page_roles
from services.enrolment import schemas as s
from services.enrolment.pages.base import PAGE_SIZE, blueprint, page_number, pages_of, service

SERVICE_NAMES = {"enrolment": ("Inschrijving", "Enrolment"), "sessions": ("Sessies", "Sessions"),
                 "notifications": ("Mail", "Mail"), "reporting": ("Rapportage", "Reporting")}


@blueprint.get("/persons")
@require_page_roles("fund_admin")
def persons() -> Response:
    email = request.args.get("email", "").strip()
    problem, total = None, 0
    rows: list[dict[str, Any]] = []
    if email:
        if not 3 <= len(email) <= 254 or "@" not in email:
            problem = t("Vul een volledig e-mailadres in.", "Enter a complete e-mail address.")
        else:
            rows, total = service().privacy.find_persons(email, PAGE_SIZE, (page_number() - 1) * PAGE_SIZE)
    return render_page("privacy.html.j2", email=email, problem=problem, persons=rows, total=total,
                       page=page_number(), pages=pages_of(total))


@blueprint.get("/persons/<uuid:person_id>/export.json")
@require_page_roles("fund_admin")
def export_download(person_id: UUID) -> Response:
    try:
        document = service().privacy.export_everywhere(person_id, caller_token(), s.PersonExport().dump)
    except ExportIncomplete as exc:
        failed = str(exc.extra.get("service", ""))
        name = t(*SERVICE_NAMES.get(failed, (failed, failed)))
        return render_page("privacy.html.j2", status=exc.code or 502, email="", persons=[], total=0, page=1,
                           pages=1, problem=None, failed=name, failed_detail=exc.description)
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="persoonsgegevens-{person_id}.json"'})
