"""The audit trail page: who changed what, newest first, filtered and paged on the server."""

from __future__ import annotations

from flask import Response, request

from services.common.pages import render_page
from services.common.signin import require_page_roles
from services.enrolment import access
from services.enrolment import schemas as s
from services.enrolment.pages import forms
from services.enrolment.pages.base import PAGE_SIZE, blueprint, pages_of, service
from services.enrolment.pages.labels import ACTIONS, options


@blueprint.get("/audit")
@require_page_roles(*access.WRITERS)
def audit() -> Response:
    filters = {k: v.strip() for k, v in request.args.items()
               if k in ("subject_type", "subject_id", "action") and v.strip()}
    query, problem = forms.list_query(s.AuditQuery(), filters)
    page = query["page"]
    rows, total = service().overview.audit_trail(query, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return render_page("audit.html.j2", entries=rows, total=total, page=page, pages=pages_of(total), filters=filters,
                       problem=problem, subject_types=options("subject_type"), actions=options("action", list(ACTIONS)))
