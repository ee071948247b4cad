"""Browser-test helpers: serve a Flask app on a real port, screenshots, and the axe-core check.

Playwright drives Debian's Chromium (`/usr/bin/chromium`, or `$PROGADMIN_CHROMIUM`)
through `executable_path`; Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from playwright.sync_api import Page, ViewportSize
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PROGADMIN_CHROMIUM", "/usr/bin/chromium")
AXE_JS = ROOT / "deploy" / "web" / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 800},
    "tablet": {"width": 768, "height": 1024},
    "phone": {"width": 375, "height": 812},
}
BLOCKING_IMPACTS = ("serious", "critical")


def artifacts_dir() -> Path:
    """Where screenshots go: $PROGADMIN_ARTIFACTS or tests/browser/artifacts (gitignored)."""
    path = Path(os.environ.get("PROGADMIN_ARTIFACTS") or ROOT / "tests" / "browser" / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def snap(page: Page, name: str) -> Path:
    """Save a full-page PNG named `<name>.png` (e.g. "companies-phone") and return its path."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "page"
    path = artifacts_dir() / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_accessibility(page: Page, name: str = "") -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the page; fail on any serious or critical violation.

    Returns every violation (also minor/moderate ones) so a test may look closer.
    """
    if not AXE_JS.is_file():
        raise AssertionError(f"axe-core is missing at {AXE_JS}; run deploy/bootstrap.sh (npm ci in deploy/web)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => await window.axe.run(document, {
               runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
               resultTypes: ['violations']})""")
    violations: list[dict[str, Any]] = result["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    for v in violations:
        targets = [", ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"]) for n in v["nodes"]]
        print(f"axe {v['impact']}: {v['id']} on {name or page.url}: {v['help']} -> {json.dumps(targets[:5])}")
    if blocking:
        summary = "; ".join(f"{v['id']} ({v['impact']}, {len(v['nodes'])}x): {v['help']}" for v in blocking)
        raise AssertionError(f"accessibility violations on {name or page.url}: {summary}")
    return violations


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve `app` with werkzeug's threaded server on a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
