"""Validate the deployment files without a cluster or a container engine.

    python -m deploy.manifests [--api-server]   # Kubernetes (deploy/k8s) and compose (deploy/compose.yaml)

Kubernetes: `kustomize build deploy/k8s` (= `kubectl kustomize`) renders what `kubectl apply -k` would send, and every
object is checked against the Kubernetes JSON schemas in their strict form (an unknown field is an
error, as with kubectl's default server-side strict field validation; wrong types, missing required
fields and bad enum values are errors too). kubeconform would do the same with the same schemas, but
it downloads them from GitHub at run time, which CI cannot reach; the PyPI package
kubernetes-validate carries them (the yannh/instrumenta lineage, strict and standalone) for each
release, so they come with the dev dependencies. Strimzi's KafkaTopic has a schema of our own
(deploy/k8s/schemas/kafkatopic.json, transcribed from Strimzi's API classes). A kind with no schema
is an error, never a silent pass. With --api-server the built-in objects then go through the API
server's own create validation, compiled from k8s.io/kubernetes (deploy/tools/kubevalidate, built on
request: PROGADMIN_API_VALIDATION=1 deploy/bootstrap.sh, since its first build costs about 5
CPU-minutes, too much of CI's budget): strict decoding, defaulting and the checks no schema can
express (a selector that does not match its pod template, a volume
mount naming no volume, enum values such as an HPA metric type, label and name syntax).

Compose: .local/bin/composeconfig (deploy/tools/composeconfig, built by deploy/bootstrap.sh) loads
the file with compose-go, the loader inside `docker compose config`: the compose-spec schema,
interpolation, merges and the consistency checks.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
K8S_DIR = ROOT / "deploy" / "k8s"
COMPOSE_FILE = ROOT / "deploy" / "compose.yaml"
COMPOSECONFIG = ROOT / ".local" / "bin" / "composeconfig"
# Pinned (deploy/bootstrap.sh), so what CI renders does not depend on the kubectl on PATH.
KUSTOMIZE = ROOT / ".local" / "bin" / "kustomize"
# The API server's own validation, offline (deploy/tools/kubevalidate, built by deploy/bootstrap.sh).
KUBEVALIDATE = ROOT / ".local" / "bin" / "kubevalidate"
# The oldest Kubernetes release the manifests must run on (autoscaling/v2, policy/v1 and
# seccompProfile are all older); the schemas of that release are used.
KUBERNETES_VERSION = "1.30"
OWN_SCHEMAS = {("kafka.strimzi.io", "KafkaTopic"): K8S_DIR / "schemas" / "kafkatopic.json"}
# The schemas type a quantity (cpu, memory, sizeLimit) as "string or number" only; the API server
# parses it (resource.ParseQuantity), so `memory: lots` passes a schema and fails at apply. Same grammar.
_QUANTITY = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$")


class ToolMissing(RuntimeError):
    """A validator is not installed (run deploy/bootstrap.sh)."""


def kustomize(folder: Path = K8S_DIR) -> list[dict[str, Any]]:
    """The objects `kubectl apply -k folder` would send (kubectl embeds this same kustomize)."""
    if not KUSTOMIZE.exists():
        raise ToolMissing(f"{KUSTOMIZE} is missing: run deploy/bootstrap.sh")
    done = subprocess.run([str(KUSTOMIZE), "build", str(folder)], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise ValueError(f"kustomize build {folder} failed: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@functools.cache
def _kubernetes_registry(version: str) -> tuple[Path, Any]:
    """The folder of the strict schemas of `version` and a registry holding their shared definitions."""
    try:
        import kubernetes_validate
        from referencing import Registry, Resource
    except ImportError as exc:
        raise ToolMissing("kubernetes-validate is not installed (pip install -e '.[dev]')") from exc
    folder = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{version}.0-local-strict"
    if not folder.is_dir():
        raise ToolMissing(f"kubernetes-validate has no schemas for Kubernetes {version}")
    definitions = Resource.from_contents(json.loads((folder / "_definitions.json").read_text()))
    return folder, definitions @ Registry()


def _schema_errors(validator: Any, obj: dict[str, Any], name: str) -> list[str]:
    return [f"{name}: {'.'.join(map(str, e.path)) or '(top)'}: {e.message}"
            for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.path)))]


def object_errors(obj: dict[str, Any], version: str = KUBERNETES_VERSION) -> list[str]:
    """Everything wrong with one object, as `<kind>/<name>: <path>: <message>` lines; [] when valid."""
    name = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
    group, _, api = str(obj.get("apiVersion", "")).rpartition("/")
    own = OWN_SCHEMAS.get((group, str(obj.get("kind"))))
    if own is not None:
        return _schema_errors(jsonschema.Draft202012Validator(json.loads(own.read_text())), obj, name)
    folder, registry = _kubernetes_registry(version)
    # kubernetes-validate's file names: <kind>-<group without its domain>-<version>.json.
    file = folder / f"{str(obj.get('kind')).lower()}-{group.split('.')[0] + '-' if group else ''}{api}.json"
    if not file.exists():
        return [f"{name}: no schema for {obj.get('apiVersion')} {obj.get('kind')} in Kubernetes {version}"]
    validator = jsonschema.Draft202012Validator(json.loads(file.read_text()), registry=registry)
    return _schema_errors(validator, obj, name) + [f"{name}: {error}" for error in quantity_errors(obj)]


def quantity_errors(value: Any, path: str = "") -> list[str]:
    """Resource quantities that Kubernetes would not parse, anywhere in an object."""
    errors = []
    if isinstance(value, dict):
        for key, inner in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key in ("requests", "limits") and isinstance(inner, dict):
                errors += [f"{where}.{k}: {q!r} is not a quantity" for k, q in inner.items()
                           if not _QUANTITY.match(str(q))]
            elif key == "sizeLimit" and not _QUANTITY.match(str(inner)):
                errors.append(f"{where}: {inner!r} is not a quantity")
            else:
                errors += quantity_errors(inner, where)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            errors += quantity_errors(inner, f"{path}.{i}")
    return errors


def apiserver_errors(objects: list[dict[str, Any]]) -> list[str]:
    """What the API server's create validation says of the built-in objects (strict decoding first)."""
    if not KUBEVALIDATE.exists():
        raise ToolMissing(f"{KUBEVALIDATE} is missing: run deploy/bootstrap.sh")
    done = subprocess.run([str(KUBEVALIDATE)], input=yaml.safe_dump_all(objects), capture_output=True,
                          text=True, timeout=60)
    lines = done.stdout.splitlines()
    errors = [line.removeprefix("error ") for line in lines if line.startswith("error ")]
    if done.returncode not in (0, 1) or (done.returncode == 1) != bool(errors):
        raise RuntimeError(f"kubevalidate failed: {done.stdout}{done.stderr}")
    # Every object is accounted for: validated, or skipped as a kind the API server does not build in.
    checked = int(re.search(r"^checked (\d+) objects", done.stdout, re.M).group(1))  # type: ignore[union-attr]
    skipped = sum(line.startswith("skipped") for line in lines)
    builtin = [o for o in objects if "." not in str(o.get("apiVersion", "")).partition("/")[0]
               or str(o.get("apiVersion", "")).split("/")[0].endswith(".k8s.io")]
    if checked + skipped != len(objects) or skipped != len(objects) - len(builtin):
        raise RuntimeError(f"kubevalidate checked {checked} and skipped {skipped} of {len(objects)} objects")
    return [f"apiserver: {error}" for error in errors]


def k8s_errors(objects: list[dict[str, Any]], api_server: bool = False) -> list[str]:
    """Schema errors per object, then (when asked: kubevalidate is built on request) what the API server adds."""
    errors = [error for obj in objects for error in object_errors(obj)]
    return errors + apiserver_errors(objects) if api_server else errors


def compose_config(path: Path = COMPOSE_FILE, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The resolved compose project (like `docker compose config --format json`); ValueError if invalid."""
    if not COMPOSECONFIG.exists():
        raise ToolMissing(f"{COMPOSECONFIG} is missing: run deploy/bootstrap.sh")
    argv = [str(COMPOSECONFIG), *(f"-env={k}={v}" for k, v in (env or {}).items()), str(path)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise ValueError(done.stderr.strip())
    project: dict[str, Any] = json.loads(done.stdout)
    return project


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.manifests", description=__doc__)
    parser.add_argument("--api-server", action="store_true",
                        help="also run the API server's validation (build it first: "
                             "PROGADMIN_API_VALIDATION=1 deploy/bootstrap.sh)")
    args = parser.parse_args(argv)
    objects = kustomize()
    errors = k8s_errors(objects, api_server=args.api_server)
    for error in errors:
        print(f"k8s: {error}", file=sys.stderr)
    checks = "strict schemas" + (", the API server's validation" if args.api_server else "")
    print(f"k8s: {len(objects)} objects from {K8S_DIR.relative_to(ROOT)}, {len(errors)} errors "
          f"({checks} of Kubernetes {KUBERNETES_VERSION})")
    try:
        services = compose_config()["services"]
        print(f"compose: {COMPOSE_FILE.relative_to(ROOT)} valid, {len(services)} services")
    except ValueError as exc:
        print(f"compose: {exc}", file=sys.stderr)
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
