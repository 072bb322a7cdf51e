"""deploy/k8s: every manifest valid against the Kubernetes schemas, and wired as documented."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from rechat_shared.bus.topology import REQUESTS_QUEUE

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KEDA_SCHEMA = Path(__file__).resolve().parent / "schemas" / "keda-v2.schema.json"
BIN = Path(sys.executable).parent  # the virtualenv's scripts: check-jsonschema
KUBERNETES_VERSION = kubernetes_validate.latest_version()
SERVICE_PORTS = {"auth": 8001, "chat-gateway": 8002, "history": 8003, "dify-worker": 8004}

MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def all_resources() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (doc["kind"], doc["metadata"]["name"]): doc for path in MANIFESTS for doc in documents(path)
    }


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_valid_against_the_kubernetes_schema(path: Path) -> None:
    for resource in documents(path):
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_strict_validation_rejects_a_misspelt_field() -> None:
    deployment = copy.deepcopy(all_resources()[("Deployment", "auth")])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbes"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def check_keda(path: Path) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "check-jsonschema"), "--schemafile", str(KEDA_SCHEMA), str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_keda_example_is_valid_and_scales_the_worker_on_its_queue(tmp_path: Path) -> None:
    path = K8S / "keda" / "scaledobject.yaml"
    for index, resource in enumerate(documents(path)):
        single = tmp_path / f"{index}.yaml"
        single.write_text(yaml.safe_dump(resource))
        result = check_keda(single)
        assert result.returncode == 0, result.stdout + result.stderr
    scaled = next(doc for doc in documents(path) if doc["kind"] == "ScaledObject")
    assert scaled["spec"]["scaleTargetRef"]["name"] == "dify-worker"
    trigger = scaled["spec"]["triggers"][0]
    assert trigger["type"] == "rabbitmq"
    assert trigger["metadata"]["queueName"] == REQUESTS_QUEUE


def test_keda_schema_rejects_a_bad_trigger(tmp_path: Path) -> None:
    scaled = next(
        doc
        for doc in documents(K8S / "keda" / "scaledobject.yaml")
        if doc["kind"] == "ScaledObject"
    )
    scaled["spec"]["triggers"][0]["metadata"]["mode"] = "QueueSize"
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(scaled))
    assert check_keda(tmp_path / "bad.yaml").returncode != 0


@pytest.mark.parametrize("name", sorted(SERVICE_PORTS))
def test_service_deployments_probe_healthz_and_readyz(name: str) -> None:
    resources = all_resources()
    deployment = resources[("Deployment", name)]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["ports"][0]["containerPort"] == SERVICE_PORTS[name]
    assert {"configMapRef": {"name": "rechat-config"}} in container["envFrom"]
    assert {"secretRef": {"name": "rechat-secrets"}} in container["envFrom"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert resources[("Service", name)]["spec"]["selector"] == {"app.kubernetes.io/name": name}


def test_the_worker_has_an_autoscaler() -> None:
    hpa = all_resources()[("HorizontalPodAutoscaler", "dify-worker")]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "dify-worker",
    }
    assert hpa["spec"]["minReplicas"] >= 2


def test_kustomization_lists_every_manifest_but_the_example_and_pins_every_image() -> None:
    """The migration Job included: else its rechat/cli tag is never pinned (always :latest)."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert set(kustomization["resources"]) == {p.name for p in MANIFESTS} - {"secret.example.yaml"}
    pinned = {image["name"] for image in kustomization["images"]}
    used = {
        container["image"].rsplit(":", 1)[0]
        for name in kustomization["resources"]
        for doc in documents(K8S / name)
        if doc["kind"] in ("Deployment", "Job")
        for container in doc["spec"]["template"]["spec"]["containers"]
    }
    assert used == pinned


def test_web_reaches_the_services_by_their_full_cluster_names() -> None:
    """nginx resolves the upstreams itself, without the pod's DNS search domains."""
    resources = all_resources()
    web = resources[("Deployment", "web")]["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item.get("value") for item in web["env"]}
    for variable, name in (
        ("RECHAT_AUTH_UPSTREAM", "auth"),
        ("RECHAT_GATEWAY_UPSTREAM", "chat-gateway"),
        ("RECHAT_HISTORY_UPSTREAM", "history"),
    ):
        service = resources[("Service", name)]
        namespace = service["metadata"]["namespace"]
        port = service["spec"]["ports"][0]["port"]
        assert env[variable] == f"{name}.{namespace}.svc.cluster.local:{port}"


def test_only_auth_and_the_migration_job_mount_the_signing_key() -> None:
    resources = all_resources()
    mounting = set()
    for (kind, name), resource in resources.items():
        if kind not in ("Deployment", "Job"):
            continue
        volumes = resource["spec"]["template"]["spec"].get("volumes", [])
        if any(v.get("secret", {}).get("secretName") == "rechat-auth-key" for v in volumes):
            mounting.add(name)
    assert mounting == {"auth", "rechat-migrate"}
    config = resources[("ConfigMap", "rechat-config")]["data"]
    assert config["AUTH_MIGRATE_ON_START"] == "false"
