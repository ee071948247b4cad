"""The one origin is the same everywhere: deploy/proxy.py (local stack), compose, Kubernetes.

The routes of deploy/nginx/compose.conf and deploy/k8s/ingress.yaml are compared with
deploy/proxy.py's render() by where each kind of path ends up (service, path, prefix); compose.conf
is also run in Debian's nginx against stub services; compose.yaml and the k8s manifests are checked
for the sign-in settings every service needs.
"""

from __future__ import annotations

import grp
import http.client
import json
import os
import pwd
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy import proxy
from deploy.infra import free_port
from services.common.config import SERVICES
from services.common.pages import VENDOR_FILES, VENDOR_PREFIXES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NGINX_DIR = DEPLOY / "nginx"
Route = tuple[str, str, str]  # (service, path the service sees, X-Forwarded-Prefix)


def sample_paths() -> list[str]:
    paths = ["/", "/auth/login?next=/sessions/", "/auth/callback", "/static/css/app.css"]
    for svc in SERVICES:
        paths += [f"/{svc}/", f"/{svc}/pages/1?x=2", f"/{svc}/api/v1/things", f"/api/{svc}/v1/things/7"]
    return paths


# -- nginx configurations, read -------------------------------------------------------------------


def locations(conf: str) -> list[tuple[bool, str, str]]:
    """(exact, path, body) of every `location`, braces inside quoted strings skipped."""
    found = []
    for match in re.finditer(r"location\s+(=\s+)?(\S+)\s*\{", conf):
        depth, i, quote = 1, match.end(), ""
        while depth:
            ch = conf[i]
            if quote:
                quote = "" if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            else:
                depth += {"{": 1, "}": -1}.get(ch, 0)
            i += 1
        found.append((bool(match.group(1)), match.group(2), conf[match.end():i - 1]))
    return found


def nginx_route(conf: str, url: str, default_prefix: str = "") -> Route | str | None:
    """Where nginx sends `url`: exact match first, then the longest prefix (no regex locations here)."""
    path = url.split("?")[0]
    locs = [loc for loc in locations(conf) if not loc[1].startswith("@")]
    exact = [loc for loc in locs if loc[0] and loc[1] == path]
    prefix = sorted((loc for loc in locs if not loc[0] and path.startswith(loc[1])), key=lambda loc: -len(loc[1]))
    if not exact and not prefix:
        return None
    _, loc_path, body = (exact or prefix)[0]
    if (ret := re.search(r"return\s+(\d+)\s+(\S+);", body)) is not None:
        return f"{ret.group(1)} {ret.group(2)}"
    target = re.search(r"proxy_pass\s+http://([a-z]+)(/\S*)?;", body)
    assert target is not None, body
    header = re.search(r'proxy_set_header\s+X-Forwarded-Prefix\s+("[^"]*"|\S+);', body)
    forwarded = header.group(1).strip('"') if header else default_prefix
    uri = target.group(2)
    return target.group(1), (url if uri is None else uri + url[len(loc_path):]), forwarded


def local_conf() -> str:
    return proxy.render(8080, {svc: 8081 + i for i, svc in enumerate(SERVICES)}, Path("/tmp/x"), None)


def compose_conf() -> str:
    return (NGINX_DIR / "compose.conf").read_text()


def test_compose_origin_routes_like_the_local_stack() -> None:
    local, compose = local_conf(), compose_conf()
    for url in [*sample_paths(), *(f"/{svc}" for svc in SERVICES), "/nope", "/api/", "/api/other/v1"]:
        assert nginx_route(compose, url) == nginx_route(local, url), url
    assert nginx_route(compose, "/sessions/calendar?w=2") == ("sessions", "/calendar?w=2", "/sessions")
    assert nginx_route(compose, "/api/reporting/v1/feed") == ("reporting", "/api/v1/feed", "")


def test_compose_origin_sends_every_forwarded_header_from_every_location() -> None:
    # A location with a proxy_set_header of its own inherits none from the server level.
    headers = (NGINX_DIR / "proxy-headers.conf").read_text()
    for name in ("Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port"):
        assert re.search(rf"^proxy_set_header {name} ", headers, re.M), name
    for _exact, path, body in locations(compose_conf()):
        if "proxy_pass" in body:
            assert "include /etc/nginx/progadmin/proxy-headers.conf;" in body, path
            assert "X-Forwarded-Prefix" in body, path  # set (or blanked) everywhere, never the client's
    upstreams = dict(re.findall(r"upstream (\w+) \{[^}]*server ([\w-]+):8080 resolve;", compose_conf()))
    assert upstreams == {svc: f"{svc}-web" for svc in SERVICES}


# -- compose.conf in a real nginx -----------------------------------------------------------------


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    service = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = json.dumps({"service": self.service, "path": self.path, "headers": dict(self.headers)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[int]:
    """nginx with compose.conf, its upstreams pointed at stub services that echo what they get."""
    stubs, ports = [], {}
    for svc in SERVICES:
        server = ThreadingHTTPServer(("127.0.0.1", 0), type(f"Echo_{svc}", (Echo,), {"service": svc}))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        stubs.append(server)
        ports[svc] = server.server_address[1]
    listen = free_port()
    conf = re.sub(r"^resolver .*$", "", compose_conf(), flags=re.M)  # Docker's DNS is not here
    conf = re.sub(r"server (\w+)-web:8080 resolve;", lambda m: f"server 127.0.0.1:{ports[m.group(1)]};", conf)
    conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{listen};")
    conf = conf.replace("/etc/nginx/progadmin/", f"{NGINX_DIR}/")
    with tempfile.TemporaryDirectory(prefix="progadmin-origin-") as tmp:
        runtime = Path(tmp)
        user = ""
        if os.geteuid() == 0:  # as root nginx's workers run as nobody, which must write the temp paths
            nobody = pwd.getpwnam("nobody")
            user = f"user nobody {grp.getgrgid(nobody.pw_gid).gr_name};"
            os.chown(runtime, nobody.pw_uid, nobody.pw_gid)
        (runtime / "site.conf").write_text(conf)
        temps = " ".join(f"{kind}_temp_path {runtime / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                             "uwsgi", "scgi"))
        (runtime / "nginx.conf").write_text(
            f"{user} worker_processes 1; pid {runtime / 'nginx.pid'}; error_log stderr warn;\n"
            f"events {{ worker_connections 64; }}\nhttp {{ {temps} include {runtime / 'site.conf'}; }}\n")
        argv = [proxy.nginx_bin(), "-e", "stderr", "-p", str(runtime), "-c", str(runtime / "nginx.conf")]
        checked = subprocess.run([*argv, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        proc = subprocess.Popen([*argv, "-g", "daemon off;"], stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    http.client.HTTPConnection("127.0.0.1", listen, timeout=1).connect()
                    break
                except OSError:
                    assert proc.poll() is None and time.monotonic() < deadline, "nginx did not start"
                    time.sleep(0.05)
            yield listen
        finally:
            proc.terminate()
            proc.wait(10)
            for server in stubs:
                server.shutdown()


def call(port: int, method: str, url: str, headers: dict[str, str] | None = None
         ) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, url, headers=headers or {})
    resp = conn.getresponse()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()


def test_compose_origin_proxies_like_render_says(origin: int) -> None:
    local = local_conf()
    for url in sample_paths():
        status, _, body = call(origin, "GET", url, {"X-Forwarded-Prefix": "/forged"})
        assert status == 200, url
        got = json.loads(body)
        expected = nginx_route(local, url)
        assert isinstance(expected, tuple), url
        svc, path, prefix = expected
        assert (got["service"], got["path"]) == (svc, path), url
        assert got["headers"].get("X-Forwarded-Prefix", "") == prefix, url


def test_compose_origin_tells_the_services_where_the_browser_is(origin: int) -> None:
    _, _, body = call(origin, "GET", "/sessions/calendar")
    headers = json.loads(body)["headers"]
    assert headers["Host"] == headers["X-Forwarded-Host"] == f"127.0.0.1:{origin}"
    assert (headers["X-Forwarded-Port"], headers["X-Forwarded-Proto"]) == (str(origin), "http")
    _, _, body = call(origin, "GET", "/api/enrolment/v1/companies", {"Host": "progadmin.test"})
    headers = json.loads(body)["headers"]
    assert (headers["X-Forwarded-Host"], headers["X-Forwarded-Port"]) == ("progadmin.test", str(origin))


def test_compose_origin_redirects_bare_prefixes_and_refuses_big_bodies(origin: int) -> None:
    status, headers, _ = call(origin, "GET", "/notifications")
    assert status == 308 and headers["location"].endswith("/notifications/")
    assert call(origin, "GET", "/nope")[0] == 404
    conn = http.client.HTTPConnection("127.0.0.1", origin, timeout=10)
    conn.putrequest("POST", "/api/enrolment/v1/companies")
    conn.putheader("Content-Length", str(17 * 1024 * 1024))
    conn.endheaders()  # nginx answers from the length alone
    resp = conn.getresponse()
    assert resp.status == 413 and resp.getheader("Content-Type") == "application/problem+json"
    assert json.loads(resp.read())["status"] == 413


# -- compose.yaml ---------------------------------------------------------------------------------


def interpolate(value: Any) -> Any:
    """Compose's `${VAR:-default}` (nested too) with an empty environment: the defaults."""
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    if not isinstance(value, str):
        return value
    inner = re.compile(r"\$\{[A-Z0-9_]+(?::-([^${}]*))?\}")
    while inner.search(value):
        value = inner.sub(lambda m: m.group(1) or "", value)
    return value.replace("$$", "$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return interpolate(yaml.safe_load((DEPLOY / "compose.yaml").read_text()))["services"]


def test_every_service_process_in_compose_signs_in_at_the_one_origin(compose: dict[str, Any]) -> None:
    keycloak = compose["keycloak"]
    kc_env, command = keycloak["environment"], keycloak["command"]
    hostname = next(arg.split("=", 1)[1] for arg in command if arg.startswith("--hostname="))
    origin = kc_env["PROGADMIN_ORIGIN"]
    assert origin == "http://127.0.0.1:8080" and hostname == "http://127.0.0.1:8180"
    for svc in SERVICES:
        for name in (f"{svc}-web", f"{svc}-worker"):
            env = compose[name]["environment"]
            assert env["PROGADMIN_ORIGIN"] == origin, name
            for other in SERVICES:
                assert env[f"PROGADMIN_{other.upper()}_PUBLIC_URL"] == f"{origin}/{other}", name
            assert env["PROGADMIN_OIDC_ISSUER"] == f"{hostname}/realms/{kc_env['PROGADMIN_OIDC_REALM']}", name
            assert env["PROGADMIN_OIDC_DISCOVERY_URL"] == (
                f"http://keycloak:8080/realms/{kc_env['PROGADMIN_OIDC_REALM']}/.well-known/openid-configuration")
            for key in ("PROGADMIN_OIDC_CLIENT_ID", "PROGADMIN_OIDC_CLIENT_SECRET", "PROGADMIN_OIDC_AUDIENCE"):
                assert env[key] == kc_env[key], (name, key)  # what the realm was imported with
            assert env["PROGADMIN_SESSION_SECRET"] and env["PROGADMIN_DEV_TOKENS"] == "false", name
        assert compose[f"{svc}-web"]["environment"]["PROGADMIN_SERVICE"] == svc


def test_compose_keycloak_imports_the_realm_with_every_placeholder_filled(compose: dict[str, Any]) -> None:
    keycloak = compose["keycloak"]
    assert keycloak["image"].startswith("quay.io/keycloak/keycloak:26.")
    command = keycloak["command"]
    assert "--import-realm" in command and (command[0] == "start-dev" or command[:2] == ["start", "--optimized"])
    assert "--hostname-backchannel-dynamic=true" in command and "--http-port=8080" in command
    assert "./keycloak/realm.json:/opt/keycloak/data/import/progadmin.json:ro" in keycloak["volumes"]
    placeholders = set(re.findall(r"\$\{([A-Z0-9_]+)", (DEPLOY / "keycloak" / "realm.json").read_text()))
    assert placeholders and placeholders <= set(keycloak["environment"])
    assert keycloak["ports"] == ["127.0.0.1:8180:8080"]


def test_compose_origin_is_nginx_with_the_static_config(compose: dict[str, Any]) -> None:
    origin = compose["origin"]
    assert origin["image"].startswith("nginx:")
    assert set(origin["volumes"]) == {"./nginx/compose.conf:/etc/nginx/conf.d/default.conf:ro",
                                      "./nginx/proxy-headers.conf:/etc/nginx/progadmin/proxy-headers.conf:ro"}
    assert origin["ports"] == ["127.0.0.1:8080:8080"]
    assert set(origin["depends_on"]) == {f"{svc}-web" for svc in SERVICES}


# -- Kubernetes -----------------------------------------------------------------------------------


def k8s(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((DEPLOY / "k8s" / name).read_text()) if doc]


def ingress_route(ingresses: list[dict[str, Any]], url: str) -> Route | None:
    """Where ingress-nginx sends `url`: exact paths first, then the regexes (anchored, case-blind)."""
    path, _, query = url.partition("?")
    candidates = []
    for ing in ingresses:
        notes = ing["metadata"].get("annotations", {})
        for rule in ing["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                candidates.append((p, notes))
    for p, notes in sorted(candidates, key=lambda c: (c[0]["pathType"] != "Exact", -len(c[0]["path"]))):
        if p["pathType"] == "Exact":
            match = re.fullmatch(re.escape(p["path"]), path)
        else:
            match = re.match(p["path"] if p["pathType"] == "ImplementationSpecific" else re.escape(p["path"]),
                             path, re.I)
        if match:
            rewrite = notes.get("nginx.ingress.kubernetes.io/rewrite-target")
            seen = match.expand(rewrite.replace("$", "\\")) if rewrite else path
            return (p["backend"]["service"]["name"], seen + (f"?{query}" if query else ""),
                    notes.get("nginx.ingress.kubernetes.io/x-forwarded-prefix", ""))
    return None


def test_ingress_routes_like_the_local_stack() -> None:
    ingresses, local = k8s("ingress.yaml"), local_conf()
    for url in [*sample_paths(), "/nope"]:
        assert ingress_route(ingresses, url) == nginx_route(local, url), url
    config = k8s("configmap.yaml")[0]["data"]
    host = config["PROGADMIN_ORIGIN"].removeprefix("https://")
    for ing in ingresses:
        assert ing["spec"]["ingressClassName"] == "nginx"
        assert ing["spec"]["tls"] == [{"hosts": [host], "secretName": "progadmin-tls"}]
        assert [rule["host"] for rule in ing["spec"]["rules"]] == [host]


def test_k8s_gives_every_service_the_origin_and_its_sign_in() -> None:
    config = k8s("configmap.yaml")[0]["data"]
    origin = config["PROGADMIN_ORIGIN"]
    assert origin.startswith("https://") and config["PROGADMIN_OIDC_ISSUER"].startswith("https://")
    assert "PROGADMIN_DEV_TOKENS" not in config and config["PROGADMIN_ENV"] == "production"
    for svc in SERVICES:
        assert config[f"PROGADMIN_{svc.upper()}_PUBLIC_URL"] == f"{origin}/{svc}"
    secrets = {doc["metadata"]["name"]: doc.get("stringData", {}) for doc in k8s("secret.example.yaml")}
    for svc in SERVICES:
        assert {"PROGADMIN_SESSION_SECRET", "PROGADMIN_OIDC_CLIENT_SECRET"} <= set(secrets[f"progadmin-{svc}"])
        web = next(d for d in k8s(f"{svc}.yaml") if d["metadata"]["name"] == f"{svc}-web")
        container = web["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e for e in container["env"]}
        # The pages' client secret: the web reads it from its own service's Secret (workers never).
        assert env["PROGADMIN_OIDC_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"] == {
            "name": f"progadmin-{svc}", "key": "PROGADMIN_OIDC_CLIENT_SECRET"}
        sources = [next(iter(s.values()))["name"] for s in container["envFrom"]]
        assert sources == ["progadmin-config"]  # secrets key by key, never a whole Secret
    kustomization = k8s("kustomization.yaml")[0]
    expected = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert set(kustomization["resources"]) == expected


def test_image_carries_every_asset_the_pages_serve() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    copied = re.findall(r"^COPY --from=assets /web/node_modules/(\S+) \./deploy/web/node_modules/(\S+)$",
                        dockerfile, re.M)
    assert copied and all(src == dst for src, dst in copied)
    for served in [*VENDOR_FILES, *(prefix for prefix, _ in VENDOR_PREFIXES)]:
        assert any(served.startswith(f"{pkg}/") for pkg, _ in copied), served
    assert "npm ci" in dockerfile and "realm.json" not in dockerfile.split("FROM python")[1]
    assert "--config /app/deploy/gunicorn.conf.py" in dockerfile


def test_every_proxied_location_of_the_local_origin_carries_the_forwarded_headers() -> None:
    """nginx drops server-level proxy_set_header in a location that sets its own; render() repeats them."""
    import re

    from deploy.proxy import render

    config = render(8080, {"enrolment": 1, "sessions": 2}, Path("/tmp/x"), None)
    for block in re.findall(r"location /(?:enrolment|sessions)/ \{(.*?)\}", config, re.S):
        for header in ("Host", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-For", "X-Forwarded-Prefix"):
            assert f"proxy_set_header {header} " in block, header
