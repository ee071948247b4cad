"""Four identical rooms over one common room (issue 15): every service has the same layout, a README on the
same canvas, and a domain module without I/O, so the shape cannot drift."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from services.common.config import SERVICES

ROOT = Path(__file__).resolve().parents[2]
# A module (`name.py`) or a package / folder (`name/`) of that name in every service.
LAYOUT = ("app", "api", "pages", "schemas", "domain", "service", "handlers", "db", "worker", "settings",
          "migrations", "templates")
CANVAS = ["Purpose", "Owns (tables)", "Publishes", "Consumes", "API", "Pages", "Worker loops", "Settings",
          "Layout", "Tests"]
# What a rule must not reach for: the web, the database, the broker, mail, the network, or another layer.
IO = ("flask", "flask_smorest", "werkzeug", "psycopg", "psycopg_pool", "kafka", "jinja2", "smtplib", "socket",
      "requests", "urllib", "http", "services.common.db", "services.common.problems", "services.common.outbox",
      "services.common.broker", "services.common.web", "services.common.auth")
LAYERS = ("db", "api", "service", "handlers", "pages", "worker", "app")


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_common_layout(service: str) -> None:
    folder = ROOT / "services" / service
    missing = [name for name in LAYOUT
               if not (folder / f"{name}.py").is_file() and not (folder / name).is_dir()]
    assert not missing, f"services/{service} lacks {missing} (the layout every service shares: {LAYOUT})"
    assert not [name for name in LAYOUT if (folder / f"{name}.py").is_file() and (folder / name).is_dir()]


@pytest.mark.parametrize("service", SERVICES)
def test_every_readme_is_on_the_same_canvas(service: str) -> None:
    text = (ROOT / "services" / service / "README.md").read_text(encoding="utf-8")
    assert text.startswith(f"# {service} — canvas\n")
    headings = re.findall(r"(?m)^## (.+?)\s*$", text)
    assert headings == CANVAS, f"services/{service}/README.md: ## headings {headings}, the canvas is {CANVAS}"
    for heading, body in zip(CANVAS, re.split(r"(?m)^## .+$", text)[1:], strict=True):
        assert body.strip(), f"services/{service}/README.md: '{heading}' is empty"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _io_imports(path: Path, service: str) -> list[str]:
    own_layers = tuple(f"services.{service}.{layer}" for layer in LAYERS)
    return sorted(name for name in _imports(path)
                  if any(name == bad or name.startswith(bad + ".") for bad in (*IO, *own_layers)))


@pytest.mark.parametrize("service", SERVICES)
def test_domain_rules_do_no_io(service: str) -> None:
    offending = _io_imports(ROOT / "services" / service / "domain.py", service)
    assert not offending, f"services/{service}/domain.py imports {offending}: rules only, no I/O"


def test_the_purity_check_sees_an_http_exception_or_sql_in_a_rule_module(tmp_path: Path) -> None:
    rules = tmp_path / "domain.py"
    rules.write_text("from werkzeug.exceptions import Conflict\nfrom services.common import adoption\n"
                     "from services.sessions import db\nimport psycopg\n")
    assert _io_imports(rules, "sessions") == ["psycopg", "services.sessions.db", "werkzeug.exceptions",
                                              "werkzeug.exceptions.Conflict"]
