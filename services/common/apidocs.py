"""Swagger UI served from the `swagger-ui-bundle` wheel, so the docs page works offline."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

_PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>{title} — API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{url: "{spec}", dom_id: "#swagger-ui", deepLinking: true,
  persistAuthorization: true}});
</script></body></html>"""


def register(app: Flask, title: str, spec_url: str, page_url: str) -> None:
    assets = f"{page_url}/assets"
    bp = Blueprint("apidocs", __name__)

    @bp.get(page_url)
    def page() -> Response:
        return Response(_PAGE.format(title=title, assets=assets, spec=spec_url), mimetype="text/html")

    @bp.get(f"{assets}/<path:filename>")
    def asset(filename: str) -> Response:
        return send_from_directory(swagger_ui_path, filename, max_age=86400)

    app.register_blueprint(bp)
