#!/usr/bin/env bash
# Installs whatever the platform and its tests need and is not there yet:
# Debian's PostgreSQL server, Java 17 + Maven (for Kafka's jars), the Kafka
# jars from Maven Central, and a virtual environment with the project.
# Safe to run again: each step is skipped when its result is present.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '[bootstrap] %s\n' "$*" >&2; }

need_apt=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
command -v runuser >/dev/null 2>&1 || need_apt+=(util-linux)
# Pages: npm installs the NL Design System CSS and htmx; the browser tests drive
# Debian's Chromium (Playwright cannot download its own browser here).
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
[ -x /usr/bin/chromium ] || need_apt+=(chromium fonts-dejavu-core)
# Dutch UI strings for Chromium, so date and time inputs read 03-12-2026 and 14:30 in the tests.
[ -f /usr/lib/chromium/locales/nl.pak ] || need_apt+=(chromium-l10n)
# The one origin for pages and APIs.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
  # Debian starts a cluster of its own on 5432; the platform runs its own
  # cluster on its own port, so the packaged one is not needed.
  if [[ " ${need_apt[*]} " == *" postgresql "* ]]; then
    $SUDO service postgresql stop >/dev/null 2>&1 || true
  fi
fi

# As root the platform runs PostgreSQL as the unprivileged `postgres` user
# (initdb refuses root); Debian's package creates it, a bare image may not.
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  log "creating the postgres system user"
  useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

if ! ls deploy/kafka/target/libs/kafka_2.13-*.jar >/dev/null 2>&1; then
  log "resolving Apache Kafka jars from Maven Central (mvn)"
  (cd deploy/kafka && mvn -q -B package)
fi

# The identity provider: Keycloak's distribution from Maven Central, built once (kc.sh build) so that
# every start is an optimized one.
if ! ls deploy/keycloak/target/dist/keycloak-*/bin/kc.sh >/dev/null 2>&1; then
  log "resolving Keycloak (keycloak-quarkus-dist) from Maven Central (mvn)"
  (cd deploy/keycloak && mvn -q -B package)
fi

PY="${PYTHON:-python3}"
stamp=".venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  log "creating .venv and installing the project with its test extras"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# Front-end assets the pages serve locally (deploy/web/package-lock.json);
# reinstalled when the lock file changes, like the venv above.
web_stamp="deploy/web/node_modules/.installed-$(sha1sum deploy/web/package-lock.json | cut -c1-12)"
if [ ! -f "$web_stamp" ]; then
  log "installing the pages' front-end assets (npm ci in deploy/web)"
  (cd deploy/web && npm ci --no-audit --no-fund --loglevel=error)
  touch "$web_stamp"
fi

# Keycloak's build phase (about 40 s, once): stamped inside the distribution, so it reruns only when
# the build options in deploy/identity.py change.
.venv/bin/python -c "from deploy.identity import build; build()"

# Validators of the deployment files (python -m deploy.manifests, tests/unit/test_deploy_validation.py),
# built with Go from the Go module proxy into .local/bin, never fetched at run time:
#   - kustomize, pinned, so the rendering CI checks does not depend on whichever kubectl is on PATH;
#   - kubevalidate (deploy/tools/kubevalidate): the API server's create validation, offline;
#   - composeconfig (deploy/tools/composeconfig): compose-go, the loader of `docker compose config`.
# The Kubernetes JSON schemas come with the dev dependencies (kubernetes-validate, PyPI).
# Each tool is stamped beside it (.local/bin/.<name>-<key>): rebuilt only when its key (a pinned version,
# or a hash of the tool's own sources) changes.
stamped() { [ -x ".local/bin/$1" ] && [ -f ".local/bin/.$1-$2" ]; }
stamp() { rm -f ".local/bin/.$1"-*; touch ".local/bin/.$1-$2"; }
# build_go_tool NAME WHAT: our own tool in deploy/tools/NAME, keyed by its go.mod, go.sum and main.go.
build_go_tool() {
  local name="$1" what="$2" dir="deploy/tools/$1" key
  key="$(cat "$dir/go.mod" "$dir/go.sum" "$dir/main.go" | sha1sum | cut -c1-12)"
  stamped "$name" "$key" && return 0
  log "building $name ($what, Go module proxy) into .local/bin"
  mkdir -p .local/bin
  (cd "$dir" && GOFLAGS=-buildvcs=false go build -o "$ROOT/.local/bin/$name" .)
  stamp "$name" "$key"
}

KUSTOMIZE_VERSION=v5.5.0
if ! stamped kustomize "$KUSTOMIZE_VERSION"; then
  log "building kustomize $KUSTOMIZE_VERSION (Go module proxy) into .local/bin"
  mkdir -p .local/bin
  GOBIN="$ROOT/.local/bin" GOFLAGS=-buildvcs=false go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  stamp kustomize "$KUSTOMIZE_VERSION"
fi
# kubevalidate (deploy/tools/kubevalidate): the API server's validation from k8s.io/kubernetes, an extra
# check on top of the strict schemas (`python -m deploy.manifests --api-server`). Its first build takes
# about 5 CPU-minutes and 1.3 GB, a sixth of CI's time budget on two cores, so it is built only on request:
# PROGADMIN_API_VALIDATION=1 deploy/bootstrap.sh. Go's build cache makes a rebuild seconds.
if [ "${PROGADMIN_API_VALIDATION:-0}" = 1 ]; then
  build_go_tool kubevalidate "k8s.io/kubernetes validation"
fi
build_go_tool composeconfig "compose-go"
