"""The Kubernetes manifests and the compose file validate, would run, and keep their promises.

Validation is the real thing without a cluster (deploy/manifests.py): `kubectl kustomize`, then the
strict Kubernetes JSON schemas; compose-go (the loader of `docker compose config`) for compose. Each
validator is shown to refuse a broken file, so a check that cannot fail is caught; a missing
validator is an error here, never a skip. The rest holds the layout to what issue 13 asks: probes on
webs and workers, disruption budgets, autoscaling, network policies per service, per-service
secrets that make a valid configuration, and PROMETHEUS_MULTIPROC_DIR.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy import manifests
from services.common import broker
from services.common.config import SECRET_USERS, SERVICES, Settings
from services.common.topics import STRIMZI_CLUSTER

K8S = manifests.K8S_DIR


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    return manifests.kustomize()


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def pod_spec(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    spec: dict[str, Any] = find(objects, "Deployment", name)["spec"]["template"]["spec"]
    return spec


# -- validation ------------------------------------------------------------------------------------


def test_k8s_manifests_validate_against_the_strict_kubernetes_schemas(rendered: list[dict[str, Any]]) -> None:
    assert manifests.k8s_errors(rendered) == []
    kinds = [o["kind"] for o in rendered]
    for kind, count in [("Deployment", 8), ("Service", 4), ("HorizontalPodAutoscaler", 4),
                        ("PodDisruptionBudget", 8), ("Ingress", 6)]:
        assert kinds.count(kind) == count, kind
    topics = [o for o in rendered if o["kind"] == "KafkaTopic"]
    assert topics and all(o["metadata"]["namespace"] == "kafka" for o in topics)  # where Strimzi watches
    assert {o["metadata"]["namespace"] for o in rendered if o["kind"] not in ("KafkaTopic", "Namespace")} == {
        "progadmin"}


def test_the_k8s_validator_refuses_broken_manifests(tmp_path: Path) -> None:
    """A copy of deploy/k8s with one fault of each kind, rendered and checked like the real one."""
    folder = tmp_path / "k8s"
    shutil.copytree(K8S, folder)
    docs = list(yaml.safe_load_all((folder / "enrolment.yaml").read_text()))
    web = next(d for d in docs if d["kind"] == "Deployment")
    container = web["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbe"]["httpGet"]["pth"] = "/readyz"  # unknown field
    web["spec"]["replicas"] = "two"  # wrong type
    container["resources"]["limits"]["memory"] = "lots"  # not a quantity
    pdb = next(d for d in docs if d["kind"] == "PodDisruptionBudget")
    del pdb["spec"]["selector"]["matchLabels"]
    pdb["spec"]["selector"]["matchExpressions"] = [{"key": "app", "operator": "In", "values": "web"}]  # not a list
    docs.append({"apiVersion": "autoscaling/v2beta1", "kind": "HorizontalPodAutoscaler",  # removed in 1.25
                 "metadata": {"name": "old"}, "spec": {}})
    (folder / "enrolment.yaml").write_text(yaml.safe_dump_all(docs))
    topics = list(yaml.safe_load_all((folder / "topics.yaml").read_text()))
    topics[1]["spec"]["replica"] = 3
    (folder / "topics.yaml").write_text(yaml.safe_dump_all([t for t in topics if t]))

    errors = "\n".join(manifests.k8s_errors(manifests.kustomize(folder)))
    assert "Deployment/enrolment-web: spec.template.spec.containers.0.readinessProbe.httpGet: " \
           "Additional properties are not allowed ('pth' was unexpected)" in errors
    assert "Deployment/enrolment-web: spec.replicas: 'two' is not of type 'integer'" in errors
    assert "spec.selector.matchExpressions.0.values: 'web' is not of type 'array'" in errors
    assert "HorizontalPodAutoscaler/old: no schema for autoscaling/v2beta1" in errors
    assert "enrolment-web: spec.template.spec.containers.0.resources.limits.memory: 'lots' is not a quantity" in errors
    assert "('replica' was unexpected)" in errors


def test_compose_loads_like_docker_compose_config() -> None:
    project = manifests.compose_config()
    assert project["name"] == "progadmin" and len(project["services"]) == 20


@pytest.mark.parametrize("fault, message", [
    ({"enrolment-web": {"helthcheck": {"test": ["CMD", "true"]}}}, "services.enrolment-web.helthcheck"),
    ({"enrolment-web": {"depends_on": {"enrolment-db": {"condition": "service_healthy"}}}}, "enrolment-db"),
    ({"enrolment-web": {"healthcheck": {"test": ["CMD", "true"], "retries": "many"}}}, "retries"),
    ({"enrolment-worker": {"depends_on": {"topics": {"condition": "service_done"}}}}, "condition"),
])
def test_the_compose_validator_refuses_broken_files(tmp_path: Path, fault: dict[str, Any], message: str) -> None:
    raw = yaml.safe_load((manifests.COMPOSE_FILE).read_text())
    # Anchors are resolved by the YAML load; the broken copy keeps every other service as it is.
    for service, change in fault.items():
        raw["services"][service] = {**raw["services"][service], **change}
    for name in ("keycloak", "origin", "postgres"):  # their relative paths point into deploy/
        raw["services"][name].pop("volumes", None)
    broken = tmp_path / "compose.yaml"
    broken.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match=message):
        manifests.compose_config(broken)


# -- Kubernetes: what runs --------------------------------------------------------------------------


def test_webs_and_workers_have_probes_and_migrations_first(rendered: list[dict[str, Any]]) -> None:
    for svc in SERVICES:
        web, worker = pod_spec(rendered, f"{svc}-web"), pod_spec(rendered, f"{svc}-worker")
        (web_c,), (worker_c,) = web["containers"], worker["containers"]
        assert web_c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert web_c["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "http"}
        # The worker's own health server (services/common/worker.py, PROGADMIN_WORKER_HEALTH_PORT).
        env = {e["name"]: e.get("value") for e in worker_c["env"]}
        assert worker_c["ports"] == [{"name": "health", "containerPort": int(env["PROGADMIN_WORKER_HEALTH_PORT"])}]
        assert worker_c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
        assert worker_c["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "health"}
        assert worker_c["command"] == ["python", "-m", f"services.{svc}.worker"]
        for spec in (web, worker):
            assert [c["command"] for c in spec["initContainers"]] == [
                ["python", "-m", "services.common.migrate", svc]]
            assert spec.get("restartPolicy", "Always") == "Always"


def test_every_deployment_has_a_disruption_budget_and_every_web_an_autoscaler(
        rendered: list[dict[str, Any]]) -> None:
    for svc in SERVICES:
        for component in ("web", "worker"):
            deployment = find(rendered, "Deployment", f"{svc}-{component}")
            pdb = find(rendered, "PodDisruptionBudget", f"{svc}-{component}")
            assert pdb["spec"]["selector"] == deployment["spec"]["selector"]
        # At least two pods each: a budget over a single pod blocks every node drain.
        assert find(rendered, "Deployment", f"{svc}-worker")["spec"]["replicas"] >= 2
        # The web's count is the autoscaler's alone (a count in the file would reset it on every apply).
        assert "replicas" not in find(rendered, "Deployment", f"{svc}-web")["spec"]
        hpa = find(rendered, "HorizontalPodAutoscaler", f"{svc}-web")
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"{svc}-web"}
        assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        web = pod_spec(rendered, f"{svc}-web")["containers"][0]
        assert web["resources"]["requests"]["cpu"]  # a CPU target needs a CPU request


def test_pods_run_unprivileged_read_only_and_bounded(rendered: list[dict[str, Any]]) -> None:
    for deployment in (o for o in rendered if o["kind"] == "Deployment"):
        spec = deployment["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] != 0
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"] + spec["initContainers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
            assert container["resources"]["requests"]["memory"] and container["resources"]["limits"]["memory"]


def test_web_metrics_of_every_gunicorn_worker_go_to_an_emptydir(rendered: list[dict[str, Any]]) -> None:
    for svc in SERVICES:
        spec = pod_spec(rendered, f"{svc}-web")
        container = spec["containers"][0]
        folder = next(e["value"] for e in container["env"] if e["name"] == "PROMETHEUS_MULTIPROC_DIR")
        mount = next(m for m in container["volumeMounts"] if m["mountPath"] == folder)
        volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
        assert "emptyDir" in volume
    assert 'rm -f \\"$PROMETHEUS_MULTIPROC_DIR\\"/*.db' in (K8S.parent / "Dockerfile").read_text()


def egress_of(rendered: list[dict[str, Any]], labels: dict[str, str]) -> list[dict[str, Any]]:
    """Every egress rule of every policy that selects pods with these labels."""
    rules = []
    for policy in (o for o in rendered if o["kind"] == "NetworkPolicy"):
        wanted = policy["spec"]["podSelector"].get("matchLabels", {})
        if wanted.items() <= labels.items() and "Egress" in policy["spec"]["policyTypes"]:
            rules += policy["spec"].get("egress", [])
    return rules


def test_network_policies_give_each_service_only_its_own_database_and_kafka(
        rendered: list[dict[str, Any]]) -> None:
    deny = find(rendered, "NetworkPolicy", "progadmin-default-deny")["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny and "egress" not in deny
    databases: dict[str, set[str]] = {}
    for svc in SERVICES:
        for component in ("web", "worker"):
            labels = find(rendered, "Deployment", f"{svc}-{component}")["spec"]["template"]["metadata"]["labels"]
            assert deny["podSelector"]["matchLabels"].items() <= labels.items()
            rules = egress_of(rendered, labels)
            by_port = {p["port"]: rule["to"] for rule in rules for p in rule["ports"]}
            assert [peer["podSelector"]["matchLabels"]["k8s-app"] for peer in by_port[53]] == ["kube-dns"]
            (kafka,) = by_port[9093]
            assert kafka["podSelector"]["matchLabels"]["strimzi.io/cluster"] == STRIMZI_CLUSTER
            assert kafka["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "kafka"}
            (database,) = by_port[5432]
            databases.setdefault(svc, set()).add(database["ipBlock"]["cidr"])
            keycloak = [peer for rule in rules for peer in rule["to"]
                        if peer.get("podSelector", {}).get("matchLabels") == {"app": "keycloak"}]
            assert bool(keycloak) == (component == "web")  # token checks happen in the webs
        assert len(databases[svc]) == 1
    assert len({cidr for cidrs in databases.values() for cidr in cidrs}) == len(SERVICES)
    for svc in SERVICES:
        web_policy = find(rendered, "NetworkPolicy", f"{svc}-web")["spec"]
        (peer,) = web_policy["ingress"][0]["from"]
        assert peer["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "ingress-nginx"}


def example_secrets() -> dict[str, dict[str, str]]:
    docs = yaml.safe_load_all((K8S / "secret.example.yaml").read_text())
    return {d["metadata"]["name"]: d["stringData"] for d in docs if d and d["kind"] == "Secret"}


def container_env(container: dict[str, Any], config: dict[str, str], secrets: dict[str, dict[str, str]],
                  svc: str) -> dict[str, str]:
    """What the container's process sees: the ConfigMap, its literal values, its Secret's keys."""
    assert all("secretRef" not in source for source in container.get("envFrom", []))
    env = dict(config)
    for var in container["env"]:
        if "value" in var:
            env[var["name"]] = var["value"]
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            assert ref["name"] == f"progadmin-{svc}", (svc, container["name"], var["name"])
            env[var["name"]] = secrets[ref["name"]][ref["key"]]
    return env


def test_each_container_reads_only_its_own_secret_and_that_is_enough_to_start(
        rendered: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    config = find(rendered, "ConfigMap", "progadmin-config")["data"]
    secrets = example_secrets()
    assert set(secrets) == {f"progadmin-{svc}" for svc in SERVICES}
    for name, users in SECRET_USERS.items():  # a secret only in the Secrets of the services that use it
        assert {svc for svc in SERVICES if name in secrets[f"progadmin-{svc}"]} == set(users), name
    for svc in SERVICES:
        for component in ("web", "worker"):
            spec = pod_spec(rendered, f"{svc}-{component}")
            for container in spec["initContainers"] + spec["containers"]:
                env = container_env(container, config, secrets, svc)
                for key in [k for k in os.environ if k.startswith("PROGADMIN_")]:
                    monkeypatch.delenv(key)
                for key, value in env.items():
                    monkeypatch.setenv(key, value)
                settings = Settings.from_env(svc)  # production: refuses a missing secret
                assert settings.env == "production" and settings.database_url.startswith(f"postgresql://{svc}:")
                assert "sslmode=verify-full" in settings.database_url
                if container["name"] != "migrate":
                    assert broker.client_config(settings)["security_protocol"] == "SASL_SSL"
                if component == "worker":
                    assert "PROGADMIN_OIDC_CLIENT_SECRET" not in env  # workers sign no one in


def test_kafka_ca_is_mounted_where_the_settings_look(rendered: list[dict[str, Any]]) -> None:
    cafile = Path(find(rendered, "ConfigMap", "progadmin-config")["data"]["PROGADMIN_KAFKA_SSL_CAFILE"])
    for deployment in (o for o in rendered if o["kind"] == "Deployment"):
        spec = deployment["spec"]["template"]["spec"]
        mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["mountPath"] == str(cafile.parent))
        volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
        assert volume["configMap"]["name"] == "progadmin-kafka-ca"


# -- compose: what runs -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    services: dict[str, Any] = manifests.compose_config()["services"]
    return services


def test_compose_runs_a_three_broker_cluster(project: dict[str, Any]) -> None:
    brokers = sorted(name for name in project if name.startswith("kafka-"))
    assert brokers == ["kafka-1", "kafka-2", "kafka-3"]
    for name in brokers:
        env = project[name]["environment"]
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
        assert env["KAFKA_NODE_ID"] == name[-1] and env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
    for svc in SERVICES:
        for process in ("web", "worker"):
            env = project[f"{svc}-{process}"]["environment"]
            assert env["PROGADMIN_KAFKA_BOOTSTRAP"] == "kafka-1:9092,kafka-2:9092,kafka-3:9092"
            assert env["PROGADMIN_TOPIC_REPLICATION"] == "3"


def test_compose_checks_health_and_starts_in_order(project: dict[str, Any]) -> None:
    one_shots = {"topics", *(f"{svc}-migrate" for svc in SERVICES)}
    for name, service in project.items():
        if name in one_shots:
            assert service["restart"] == "no", name
        else:
            assert service["healthcheck"]["test"], name
            assert service["restart"] == "unless-stopped", name
        for dependency, how in service.get("depends_on", {}).items():
            wanted = "service_completed_successfully" if dependency in one_shots else "service_healthy"
            if dependency != "smtp-relay":  # a mail that cannot go out yet is retried
                assert how["condition"] == wanted, (name, dependency)
    for svc in SERVICES:
        assert project[f"{svc}-migrate"]["command"] == ["python", "-m", "services.common.migrate", svc]
        assert project[f"{svc}-migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert set(project[f"{svc}-web"]["depends_on"]) == {f"{svc}-migrate"}
        assert {f"{svc}-migrate", "topics"} <= set(project[f"{svc}-worker"]["depends_on"])
        port = project[f"{svc}-worker"]["environment"]["PROGADMIN_WORKER_HEALTH_PORT"]
        assert f"http://127.0.0.1:{port}/livez" in " ".join(project[f"{svc}-worker"]["healthcheck"]["test"])
        assert "/readyz" in " ".join(project[f"{svc}-web"]["healthcheck"]["test"])
        web = project[f"{svc}-web"]
        assert web["environment"]["PROMETHEUS_MULTIPROC_DIR"] in {t.split(":")[0] for t in web["tmpfs"]}


def test_compose_gives_each_service_only_its_own_secrets(project: dict[str, Any]) -> None:
    for svc in SERVICES:
        for process in ("migrate", "web", "worker"):
            env = project[f"{svc}-{process}"]["environment"]
            urls = {k for k in env if k.endswith("_DATABASE_URL")}
            assert urls == {f"PROGADMIN_{svc.upper()}_DATABASE_URL"}, (svc, process)
            for name, users in SECRET_USERS.items():
                if svc not in users:
                    assert name not in env, (svc, process, name)
    env = project["notifications-worker"]["environment"]
    assert {"PROGADMIN_SMTP_USERNAME", "PROGADMIN_SMTP_PASSWORD", "PROGADMIN_LINK_SECRET"} <= set(env)


def test_the_four_service_files_have_one_shape() -> None:
    """Only names, secret keys and extra egress (SMTP, webhooks) differ between the services' files."""
    def shape(svc: str) -> list[Any]:
        text = (K8S / f"{svc}.yaml").read_text().replace(svc.upper(), "SVC").replace(svc, "svc")
        docs = [d for d in yaml.safe_load_all(text) if d]
        for doc in docs:
            for container in doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
                container["env"] = [e for e in container["env"] if "value" in e]  # secret keys differ
            for container in doc.get("spec", {}).get("template", {}).get("spec", {}).get("initContainers", []):
                container.pop("env")
            if doc["kind"] == "NetworkPolicy" and doc["metadata"]["name"] == "svc-egress":
                doc["spec"]["egress"] = doc["spec"]["egress"][1:2]  # the database's address differs
        return docs
    for svc in SERVICES[1:]:
        assert shape(svc) == shape(SERVICES[0]), svc
