"""Template previews: every mail kind, rendered in Dutch and English from the sample contexts (samples.py)."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from services.common.pages import render_page
from services.common.signin import require_page_roles
from services.notifications.domain import KINDS, LANGUAGES
from services.notifications.pages.common import AUDIENCE_LABELS, KIND_LABELS, LANGUAGE_LABELS, label, service
from services.notifications.rendering import template_names

blueprint = Blueprint("template_pages", __name__)


@blueprint.get("/templates")
@require_page_roles("fund_admin")  # as GET /api/v1/templates
def templates() -> Response:
    names = template_names()
    kinds = [{"kind": k.name, "label": label(KIND_LABELS, k.name), "audience": label(AUDIENCE_LABELS, k.audience),
              "optional": k.optional, "calendar": k.calendar is not None,
              "languages": [label(LANGUAGE_LABELS, lang) for kind, lang in names if kind == k.name]}
             for k in KINDS.values()]
    return render_page("pages/templates.html.j2", kinds=kinds)


@blueprint.get("/templates/<kind>")
@require_page_roles("fund_admin")  # as GET /api/v1/templates/{kind}/preview
def preview(kind: str) -> Response:
    if kind not in KINDS:
        abort(404)
    renderings = []
    for language in LANGUAGES:
        rendered, attachments = service().preview(kind, language)
        renderings.append({"language": language, "language_label": label(LANGUAGE_LABELS, language),
                           "subject": rendered.subject, "text": rendered.text, "html": rendered.html,
                           "attachments": attachments})
    k = KINDS[kind]
    return render_page("pages/template_preview.html.j2", kind=kind, title=label(KIND_LABELS, kind),
                       audience=label(AUDIENCE_LABELS, k.audience), optional=k.optional, renderings=renderings)
