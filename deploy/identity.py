"""The local identity provider: a real Keycloak, from its distribution on Maven Central.

`deploy/bootstrap.sh` resolves `org.keycloak:keycloak-quarkus-dist` with mvn
into `deploy/keycloak/target/dist` and runs `kc.sh build` once, so each start
here skips Quarkus' build phase (`start --optimized`). The realm (roles,
region groups, clients, demo users) is imported from `deploy/keycloak/realm.json`
on the first start of a data directory; its `${...}` placeholders are filled
from the environment by Keycloak itself, so secrets and the origin are never
written into the file.

Used by the local stack (`deploy/stack.py`) and by the test harness, so the
platform and its tests sign in against the same server.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy.infra import ROOT, InfraError, java_bin, wait_for_port

KEYCLOAK_DIR = ROOT / "deploy" / "keycloak"
REALM_FILE = KEYCLOAK_DIR / "realm.json"
BUILD_OPTIONS = ("--db=dev-file", "--health-enabled=true")
DEMO_USERS = {
    "beheerder": "fund_admin",
    "coordinator-noord": "coordinator (Noord)",
    "coordinator-midden": "coordinator (Midden)",
    "coordinator-zuid": "coordinator (Zuid)",
    "begeleider": "facilitator",
    "rapportage": "reporting_consumer",
}
DEMO_CONSUMERS = ("reporting-board", "reporting-bi")


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def keycloak_home() -> Path:
    found = sorted((KEYCLOAK_DIR / "target" / "dist").glob("keycloak-*/bin/kc.sh"))
    if not found:
        raise InfraError(f"Keycloak missing in {KEYCLOAK_DIR / 'target/dist'}: run deploy/bootstrap.sh "
                         "(it resolves keycloak-quarkus-dist from Maven Central with mvn)")
    return found[-1].parent.parent


def build(home: Path | None = None) -> None:
    """Run Keycloak's build phase once (about 40 s), so every start is an optimized one."""
    home = home or keycloak_home()
    stamp = home / "lib" / ".progadmin-built"
    if stamp.exists() and stamp.read_text() == " ".join(BUILD_OPTIONS):
        return
    result = subprocess.run([str(home / "bin" / "kc.sh"), "build", *BUILD_OPTIONS], capture_output=True,
                            text=True, env={**os.environ, "JAVA_HOME": str(Path(java_bin()).resolve().parent.parent)})
    if result.returncode != 0:
        raise InfraError(f"kc.sh build failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    stamp.write_text(" ".join(BUILD_OPTIONS))


@dataclass
class KeycloakServer:
    """One Keycloak process with its own database (an H2 file in `datadir`) and the progadmin realm."""

    datadir: Path
    port: int
    management_port: int
    origin: str
    realm: str = "progadmin"
    client_id: str = "progadmin-web"
    client_secret: str = "progadmin-web-development-secret"
    consumer_secret: str = "progadmin-consumer-development-secret"
    demo_password: str = "progadmin-demo"
    admin_user: str = "admin"
    admin_password: str = "progadmin-admin"
    audience: str = "progadmin"
    heap: str = "640m"
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_in_s: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.url}/realms/{self.realm}"

    def settings_env(self) -> dict[str, str]:
        """The `PROGADMIN_OIDC_*` variables that point the services at this provider."""
        return {"PROGADMIN_OIDC_ISSUER": self.issuer, "PROGADMIN_OIDC_CLIENT_ID": self.client_id,
                "PROGADMIN_OIDC_CLIENT_SECRET": self.client_secret, "PROGADMIN_OIDC_AUDIENCE": self.audience}

    def start(self, *, timeout: float = 360, log_path: Path | None = None) -> None:
        home = keycloak_home()
        build(home)
        self.datadir.mkdir(parents=True, exist_ok=True)
        # --import-realm reads <home>/data/import; the file's placeholders are ours, so one copy serves
        # every instance (each fills them from its own environment).
        imports = home / "data" / "import"
        imports.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REALM_FILE, imports / "progadmin.json")
        env = {
            **os.environ,
            "JAVA_HOME": str(Path(java_bin()).resolve().parent.parent),
            # Keycloak sizes its heap from the machine's memory unless told; keep it small and fixed.
            "JAVA_OPTS_KC_HEAP": f"-Xms128m -Xmx{self.heap}",
            # C1 only: a third faster to start on two cores; a login server never needs C2's peak speed here.
            "JAVA_OPTS_APPEND": "-XX:TieredStopAtLevel=1",
            "KC_BOOTSTRAP_ADMIN_USERNAME": self.admin_user,
            "KC_BOOTSTRAP_ADMIN_PASSWORD": self.admin_password,
            "PROGADMIN_OIDC_REALM": self.realm,
            "PROGADMIN_OIDC_CLIENT_ID": self.client_id,
            "PROGADMIN_OIDC_CLIENT_SECRET": self.client_secret,
            "PROGADMIN_OIDC_AUDIENCE": self.audience,
            "PROGADMIN_ORIGIN": self.origin.rstrip("/"),
            "PROGADMIN_DEMO_CONSUMER_SECRET": self.consumer_secret,
            "PROGADMIN_DEMO_PASSWORD": self.demo_password,
        }
        argv = [str(home / "bin" / "kc.sh"), "start", "--optimized", "--http-enabled=true",
                "--http-host=127.0.0.1", f"--http-port={self.port}", f"--hostname={self.url}",
                "--hostname-strict=false", f"--http-management-port={self.management_port}",
                f"--db-url=jdbc:h2:file:{self.datadir / 'keycloakdb'};NON_KEYWORDS=VALUE",
                "--import-realm", "--log-level=WARN,org.keycloak.services:INFO"]
        log_path = log_path or self.datadir / "keycloak.log"
        started = time.monotonic()
        with open(log_path, "ab") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True, cwd=str(self.datadir))
        try:
            wait_for_port(self.port, timeout, self.proc)
            self._wait_ready(started + timeout)
        except InfraError as exc:
            self.stop()
            tail = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""
            raise InfraError(f"Keycloak did not start: {exc}\n{tail}") from exc
        self.started_in_s = time.monotonic() - started

    def _wait_ready(self, deadline: float) -> None:
        ready = f"http://127.0.0.1:{self.management_port}/health/ready"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise InfraError(f"Keycloak exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(ready, timeout=2) as resp:
                    if resp.status == 200:
                        with urllib.request.urlopen(f"{self.issuer}/.well-known/openid-configuration",
                                                    timeout=5):
                            return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise InfraError("Keycloak was not ready in time")

    def stop(self, timeout: float = 30) -> None:
        if self.proc is None:
            return
        # kc.sh forwards SIGTERM to its JVM; signalling the whole group also reaches the JVM if it does not.
        if self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    # -- small OAuth2 / admin helpers (tests, the demo loader, the README's commands) -------------------

    def _post_form(self, url: str, form: dict[str, str], token: str | None = None) -> dict[str, Any]:
        data = urllib.parse.urlencode(form).encode()
        req = urllib.request.Request(url, data=data, method="POST")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return dict(json.loads(resp.read()))

    def client_credentials_token(self, client_id: str, secret: str | None = None) -> str:
        """An access token for a reporting consumer's own client (client-credentials grant)."""
        body = self._post_form(f"{self.issuer}/protocol/openid-connect/token",
                               {"grant_type": "client_credentials", "client_id": client_id,
                                "client_secret": secret or self.consumer_secret})
        return str(body["access_token"])

    def admin_token(self) -> str:
        body = self._post_form(f"{self.url}/realms/master/protocol/openid-connect/token",
                               {"grant_type": "password", "client_id": "admin-cli",
                                "username": self.admin_user, "password": self.admin_password})
        return str(body["access_token"])

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Call Keycloak's admin REST API on this realm (`path` below /admin/realms/<realm>)."""
        req = urllib.request.Request(f"{self.url}/admin/realms/{self.realm}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode())
        req.add_header("Authorization", f"Bearer {self.admin_token()}")
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            return json.loads(raw) if raw else None
