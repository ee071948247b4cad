"""The pages kit: one layout, navigation, style, language and error pages for every service.

`install_pages(app, settings)` (called by `create_service_app`) gives an app:
- templates from `services/<service>/templates/` first, then the shared
  `services/common/templates/` (`layout.html.j2`, `macros.html.j2`, `error.html.j2`);
- `/static/<file>` (services/common/static) and `/static/vendor/<file>` (the
  npm packages in deploy/web/node_modules that the pages need, nothing else);
- `/auth/lang?to=en&next=/path`: sets the `lang` cookie and goes back;
- template globals (`t`, `nav`, `principal`, `url_with`, ...) and Dutch filters;
- HTML error pages for page routes; `/api/...` keeps problem+json.

Views return `render_page("companies.html.j2", companies=...)`.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Flask, Response, abort, current_app, g, redirect, render_template, request, send_file
from jinja2 import ChoiceLoader, FileSystemLoader
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.security import safe_join
from werkzeug.wrappers import Response as WerkzeugResponse

from services.common import context, i18n
from services.common.config import Settings
from services.common.nav import ROLE_NAMES, home_url, nav_links, service_url
from services.common.schemas import MAX_PAGE

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"
NODE_MODULES = ROOT / "deploy" / "web" / "node_modules"
FUND_NAME = "A+O fonds"
PRODUCT_NAME = "progadmin"
ONE_YEAR = 365 * 24 * 3600
# Rows on one page of a list, in every service.
PAGE_SIZE = 25

# The only npm files the stack serves: the pages' CSS, its font, htmx, and axe for the tests.
VENDOR_FILES = frozenset({
    "@utrecht/component-library-css/dist/index.css",
    "@utrecht/design-tokens/dist/theme.css",
    "@fontsource-variable/noto-sans/wght.css",
    "htmx.org/dist/htmx.min.js",
    "axe-core/axe.min.js",
})
VENDOR_PREFIXES = (("@fontsource-variable/noto-sans/files/", ".woff2"),)

blueprint = Blueprint("pages", __name__)


def install_pages(app: Flask, settings: Settings) -> None:
    """Give `app` the shared layout, assets, language switch, template helpers and HTML error pages."""
    service_templates = ROOT / "services" / settings.service / "templates"
    loaders = [FileSystemLoader(str(service_templates))] if service_templates.is_dir() else []
    app.jinja_loader = ChoiceLoader([*loaders, FileSystemLoader(str(TEMPLATES_DIR))])
    # Flask escapes only *.html; our templates are *.html.j2.
    app.jinja_env.autoescape = _autoescape
    app.jinja_env.globals.update(
        t=i18n.t, lang=i18n.current_language, nav=_nav, principal=_principal, role_name=_role_name,
        url_with=url_with, here=current_url, service_url=lambda service, path="/": service_url(
            current_app.config["SETTINGS"], service, path), home=_home, static_url=static_url,
        vendor_url=vendor_url, lang_switch_url=lang_switch_url, product_name=PRODUCT_NAME,
        fund_name=lambda: current_app.config.get("FUND_NAME", FUND_NAME), correlation_id=context.correlation_id.get,
        csrf_field_value=_csrf_value,
    )
    app.jinja_env.filters.update(
        date_nl=i18n.date_nl, datetime_nl=i18n.datetime_nl, time_nl=i18n.time_nl, number_nl=i18n.number_nl,
        percent_nl=i18n.percent_nl,
    )
    # Flask's own /static route serves our folder (its default folder does not exist).
    app.static_folder = str(STATIC_DIR)
    app.config.setdefault("SEND_FILE_MAX_AGE_DEFAULT", 300)
    app.config.setdefault("WEB_ASSETS_DIR", str(NODE_MODULES))
    app.register_blueprint(blueprint)
    _error_pages(app)


def render_page(template: str, status: int = 200, **ctx: Any) -> Response:
    """A page from `template` (which extends layout.html.j2) as an HTML response."""
    return Response(render_template(template, **ctx), status=status, mimetype="text/html")


def _autoescape(name: str | None) -> bool:
    if name is None:
        return True
    return name.endswith((".html", ".htm", ".xml", ".svg", ".html.j2", ".svg.j2", ".xml.j2"))


# --- template helpers -------------------------------------------------------

def _principal() -> Any:
    """The signed-in person (services.common.auth.Principal) or None, also on pages without a role check."""
    if "page_principal" not in g:
        _load_principal()
    return g.get("page_principal")


def _nav() -> list[Any]:
    principal = _principal()
    if principal is None:
        return []
    settings: Settings = current_app.config["SETTINGS"]
    return nav_links(settings, sorted(principal.roles, key=_role_order), settings.service, request.path)


def _role_order(role: str) -> int:
    order = list(ROLE_NAMES)
    return order.index(role) if role in order else len(order)


def _role_name(role: str) -> str:
    nl, en = ROLE_NAMES.get(role, (role, role))
    return i18n.t(nl, en)


def _home() -> str:
    principal = _principal()
    settings: Settings = current_app.config["SETTINGS"]
    return home_url(settings, sorted(principal.roles, key=_role_order) if principal else ())


def _csrf_value() -> str:
    """The CSRF token when the sign-in's CSRFProtect is installed, else ''."""
    generate = current_app.jinja_env.globals.get("csrf_token")
    return str(generate()) if callable(generate) else ""


def page_number(param: str = "page") -> int:
    """The page a list asks for (`?page=`): 1 when absent or nonsense, never beyond the API's last page."""
    value = request.args.get(param, "1")
    # ASCII digits only: "²".isdigit() is True but int() refuses it (a 500 before).
    if not (value.isascii() and value.isdigit()):
        return 1
    digits = value.lstrip("0")
    if not digits:
        return 1
    # A long number is past the last page; int() of 4,300 digits or more would raise.
    return MAX_PAGE if len(digits) > 9 else min(int(digits), MAX_PAGE)


def pages_of(total: int, size: int = PAGE_SIZE) -> int:
    """How many pages `total` rows fill (an empty list is one empty page)."""
    return max(1, -(-total // size))


def current_url() -> str:
    """This page's path and query at the origin (with the service prefix)."""
    query = request.query_string.decode("latin-1")
    return request.script_root + request.path + (f"?{query}" if query else "")


def url_with(**changes: Any) -> str:
    """This page with some query parameters changed (None removes one); keeps filters when paging."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in changes]
    args += [(k, str(v)) for k, v in changes.items() if v is not None and v != ""]
    query = urlencode(args)
    return request.script_root + request.path + (f"?{query}" if query else "")


def static_url(filename: str) -> str:
    return f"{request.script_root}/static/{filename}"


def vendor_url(filename: str) -> str:
    return f"{request.script_root}/static/vendor/{filename}"


def lang_switch_url(to: str) -> str:
    return f"{request.script_root}/auth/lang?" + urlencode({"to": to, "next": current_url()})


# --- routes -----------------------------------------------------------------

@blueprint.get("/static/vendor/<path:filename>")
def vendor(filename: str) -> Response:
    allowed = filename in VENDOR_FILES or any(
        filename.startswith(prefix) and filename.endswith(suffix) and "/" not in filename[len(prefix):]
        for prefix, suffix in VENDOR_PREFIXES)
    path = safe_join(current_app.config["WEB_ASSETS_DIR"], filename) if allowed else None
    if path is None or not Path(path).is_file():
        abort(404)
    return send_file(path, max_age=ONE_YEAR if filename.endswith(".woff2") else 3600)


@blueprint.get("/auth/lang")
def switch_language() -> WerkzeugResponse:
    """Set the language cookie and return to the page (only a path on this origin)."""
    to = request.args.get("to", i18n.DEFAULT_LANGUAGE)
    if to not in i18n.LANGUAGES:
        to = i18n.DEFAULT_LANGUAGE
    response = redirect(safe_next(request.args.get("next", "")), code=303)
    response.set_cookie(i18n.LANG_COOKIE, to, max_age=ONE_YEAR, path="/", samesite="Lax",
                        secure=request.is_secure, httponly=True)
    return response


def safe_next(target: str) -> str:
    """`target` when it is a path on this origin; else the site root. Blocks `//evil`, `/\\evil`, `https:`."""
    fallback = request.script_root + "/" if request else "/"
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\r\n\t\\"):
        return fallback
    return target


# --- error pages --------------------------------------------------------------

ERRORS: dict[int, tuple[str, str, str, str]] = {
    400: ("Dit verzoek klopt niet", "Controleer wat u heeft ingevuld en probeer het opnieuw.",
          "Bad request", "Check what you entered and try again."),
    403: ("Geen toegang", "U bent aangemeld, maar uw rol geeft geen toegang tot deze pagina. Ga naar uw "
          "startpagina, of vraag de fondsbeheerder om toegang als u deze pagina nodig heeft.",
          "No access", "You are signed in, but your role does not give access to this page. Go to your home "
          "page, or ask the fund administrator for access if you need this page."),
    404: ("Pagina niet gevonden", "Deze pagina bestaat niet (meer). Controleer het adres, of ga naar uw "
          "startpagina en zoek het daar op.",
          "Page not found", "This page does not exist (any more). Check the address, or go to your home page "
          "and look it up there."),
    405: ("Dit kan zo niet", "Deze actie kan niet op deze manier worden uitgevoerd. Ga terug en gebruik de "
          "knoppen op de pagina.",
          "Not allowed", "This action cannot be done this way. Go back and use the buttons on the page."),
    409: ("Dit kan nu niet", "De gegevens zijn intussen veranderd. Vernieuw de pagina en probeer het opnieuw.",
          "Not possible now", "The data has changed in the meantime. Reload the page and try again."),
    500: ("Er ging iets mis", "Er ging bij ons iets mis; uw wijziging is mogelijk niet opgeslagen. Probeer het "
          "over een paar minuten opnieuw. Blijft het misgaan? Geef dan de foutcode hieronder door aan de beheerder.",
          "Something went wrong", "Something went wrong on our side; your change may not have been saved. Try "
          "again in a few minutes. If it keeps failing, pass the error code below to the administrator."),
}
CSRF_TEXT = ("Formulier verlopen", "Het formulier is verlopen of al verstuurd. Ga terug, vernieuw de pagina en "
             "vul het formulier opnieuw in.", "Form expired", "The form has expired or was already sent. Go back, "
             "reload the page and fill in the form again.")


def is_api_request() -> bool:
    """API paths and clients that ask only for JSON get problem+json."""
    if request.path == "/api" or request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json", "application/problem+json"])
    return best is not None and best != "text/html" and "text/html" not in request.accept_mimetypes.values()


def _error_pages(app: Flask) -> None:
    # The kit's handlers (problem+json: web.py for Exception, flask-smorest for
    # HTTPException) stay the ones for APIs; pages get HTML.
    registered = app.error_handler_spec.get(None, {}).get(None, {})
    for kind in (HTTPException, Exception):
        app.register_error_handler(kind, _page_or_api(registered.get(kind) or registered.get(Exception)))


def _page_or_api(api_handler: Any) -> Any:
    def handle(error: Exception) -> Any:
        if is_api_request() and api_handler is not None:
            return api_handler(error)
        if not isinstance(error, HTTPException):
            log.exception("unhandled error on page %s %s", request.method, request.path)
            error = InternalServerError()
        return error_page(error)

    return handle


def error_page(error: HTTPException) -> Response:
    status = error.code or 500
    if type(error).__name__ == "CSRFError":
        texts = CSRF_TEXT
    else:
        texts = ERRORS.get(status) or ERRORS[500 if status >= 500 else 400]
    try:
        return render_page("error.html.j2", status=status, code=status, title=i18n.t(texts[0], texts[2]),
                           text=i18n.t(texts[1], texts[3]))
    except Exception:  # the error page itself must never fail
        log.exception("error page could not be rendered")
        return Response(f"{texts[0]} / {texts[2]}\n\n{texts[1]}\n\n{texts[3]}\n", status=status,
                        mimetype="text/plain")


def _load_principal() -> None:
    """Show the menu on error pages too, when the sign-in is installed."""
    try:
        signin = importlib.import_module("services.common.signin")  # absent until the sign-in lands
        g.page_principal = signin.page_principal()
    except Exception:
        g.page_principal = None
