"""`make containers-check`: every image of deploy/ built with podman, the stack of
docker-compose.yml started in its order with its env and secrets, and checked through nginx.

The base images are stand-ins made from Debian packages (standins.py): no container registry is
reachable here. The stack runs twice over the same infrastructure containers: first as compose
runs it, then with the ReChat containers recreated under the security settings of deploy/k8s
(read-only root, their uid, every capability dropped, emptyDir mounts as the only writable
places, nginx reaching the services by their cluster names). Everything is torn down at the end;
the images stay in the check's own podman store as a cache.

Not collected by `make test` (its name is not test_*): `make containers-check` runs it.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from compose import Compose, Stack, image_healthcheck
from podman import Podman
from standins import ensure_standins

from rechat_cli.testing import Journey, answer_text
from rechat_shared.testing.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S = ROOT / "deploy" / "k8s"
EMULATOR = {"base_url": "http://dify-emulator:8090/v1", "api_key": "app-emulator-chat"}
RECHAT = ("migrate", "auth", "chat-gateway", "history", "dify-worker", "web")
CLUSTER_DOMAIN = "rechat.svc.cluster.local"
# The values only the infrastructure may hold, by the variable that carries them to it.
INFRA_ONLY = ("MARIADB_ROOT_PASSWORD",)

pytestmark = pytest.mark.timeout(3600)


def say(config: pytest.Config, line: str) -> None:
    """A line on the terminal as the run goes (the figures of docs/DEPLOYMENT.md)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"containers-check: {line}")


@pytest.fixture(scope="module")
def podman(pytestconfig: pytest.Config) -> Podman:
    podman = Podman.ensure()
    started = time.monotonic()
    ensure_standins(podman)
    say(pytestconfig, f"stand-ins ready in {time.monotonic() - started:.0f} s")
    return podman


@pytest.fixture(scope="module")
def project_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What an operator puts in .env, with fresh secrets; the signing key as the docs make it."""
    folder = tmp_path_factory.mktemp("compose")
    key = folder / "auth_signing_key.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key)], check=True)
    os.chown(key, 10001, 10001)
    key.chmod(0o600)
    return {
        "RECHAT_SECRET_KEY": secrets.token_urlsafe(48),
        "MARIADB_PASSWORD": secrets.token_urlsafe(24),
        "MARIADB_ROOT_PASSWORD": secrets.token_urlsafe(24),
        "RABBITMQ_PASSWORD": secrets.token_urlsafe(24),
        "AUTH_SIGNING_KEY_PATH": str(key),
        "RECHAT_HTTP_PORT": str(free_port()),
        "RABBITMQ_MANAGEMENT_PORT": str(free_port()),
        "RECHAT_WORKER_REPLICAS": "2",
        "RECHAT_VERSION": "check",
    }


@pytest.fixture(scope="module")
def stack(
    podman: Podman, project_env: dict[str, str], pytestconfig: pytest.Config
) -> Iterator[Stack]:
    compose = Compose(COMPOSE_FILE, project_env, profiles={"demo"})
    stack = Stack(podman, compose)
    stack.down()  # whatever an interrupted run left
    try:
        started = time.monotonic()
        stack.build_all()
        say(pytestconfig, f"images built in {time.monotonic() - started:.0f} s ({stack.log})")
        started = time.monotonic()
        stack.up()
        stack.wait_all_healthy()
        say(pytestconfig, f"stack up and healthy in {time.monotonic() - started:.0f} s")
        yield stack
    finally:
        for name in stack.started.get("web", []) + stack.started.get("auth", []):
            print(f"--- {name}\n{stack.logs(name, 30)}")
        started = time.monotonic()
        stack.down()
        # Images that earlier builds left untagged (the current ones' layers stay, as the cache).
        podman.run("image", "prune", "--force", check=False, timeout=1800)
        say(pytestconfig, f"torn down in {time.monotonic() - started:.0f} s")


def wait_for(url: str, within: float = 120) -> httpx.Response:
    """The first answer from `url` that is not a proxy error, however long the machine needs."""
    deadline = time.monotonic() + within
    while True:
        try:
            response = httpx.get(url, timeout=5)
            if response.status_code < 500:
                return response
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer in {within:.0f} s"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def web_url(stack: Stack, project_env: dict[str, str]) -> str:
    url = f"http://127.0.0.1:{project_env['RECHAT_HTTP_PORT']}"
    assert wait_for(url + "/healthz").status_code == 200
    return url


@pytest.fixture(scope="module")
def admin(web_url: str) -> Journey:
    journey = Journey(web_url)
    assert journey.sign_up()["user"]["role"] == "admin"  # the first account
    return journey


@pytest.fixture(scope="module")
def app_id(admin: Journey) -> str:
    """The bundled emulator registered as a Dify app through the admin API."""
    with admin.client() as client:
        created = client.post(
            "/api/admin/apps", json={"name": "Emulator", "mode": "chat", **EMULATOR}
        )
    assert created.status_code == 201, created.text
    app: dict[str, Any] = created.json()
    return str(app["id"])


def turn(journey: Journey, app_id: str, tokens: int = 8) -> dict[str, Any]:
    """A streamed chat turn through nginx, then the same turn read back from history."""
    events = journey.chat(app_id, f"Count for me [[tokens:{tokens}]][[tps:40]]", within=60)
    assert events[-1].event == "done", events[-1]
    assert answer_text(events) == "".join(f"t{i} " for i in range(tokens))
    assert sum(event.event == "delta" for event in events) >= 2  # streamed, not one block
    conversation_id = next(e.data["conversation_id"] for e in events if "conversation_id" in e.data)
    stored = journey.wait_for_answer(conversation_id, within=60)
    assert [m["role"] for m in stored] == ["user", "assistant"]
    assert stored[1]["status"] == "done"
    assert any(c["id"] == conversation_id for c in journey.conversations())
    return {"conversation_id": conversation_id, "messages": stored}


def environ(stack: Stack, container: str) -> dict[str, str]:
    raw = stack.podman.run("exec", container, "cat", "/proc/1/environ").stdout
    return dict(item.partition("=")[::2] for item in raw.split("\0") if item)


def address(stack: Stack, container: str) -> str:
    networks = stack.podman.inspect("container", container)["NetworkSettings"]["Networks"]
    ip: str = networks[stack.network]["IPAddress"]
    return ip


# --- the stack as compose runs it ----------------------------------------------------------------


def test_every_service_image_keeps_its_healthcheck(stack: Stack) -> None:
    """Built with --format docker: the HEALTHCHECK of the Dockerfiles survives."""
    for name in ("auth", "chat-gateway", "history", "dify-worker", "dify-emulator", "web"):
        image = stack.podman.inspect("image", stack.compose.services[name].image)
        assert image_healthcheck(image)["Test"][0] in ("CMD", "CMD-SHELL"), name


def test_sign_up_through_nginx(admin: Journey) -> None:
    assert admin.token


def test_security_headers_and_a_csp_that_allows_the_spa(web_url: str) -> None:
    page = httpx.get(web_url + "/", timeout=10)
    api = httpx.get(web_url + "/api/auth/config", timeout=10)
    for response in (page, api):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in response.headers["permissions-policy"]
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    csp = page.headers["content-security-policy"]
    assert re.search(r"script-src 'self'[;\s]", csp), csp
    # script-src 'self' allows no inline script: every script of the page is a file we serve.
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page.text, flags=re.DOTALL)
    assert scripts
    for attributes, body in scripts:
        source = re.search(r'src="([^"]+)"', attributes)
        assert source, f"inline script blocked by the CSP: {body[:80]}"
        assert not body.strip(), body[:80]
        served = httpx.get(web_url + source.group(1), timeout=10)
        assert served.status_code == 200, source.group(1)
        assert "javascript" in served.headers["content-type"]


def test_a_streamed_turn_with_the_registered_emulator_is_stored(
    admin: Journey, app_id: str
) -> None:
    turn(admin, app_id)


def test_each_container_holds_only_the_secrets_it_needs(
    stack: Stack, project_env: dict[str, str]
) -> None:
    """No env_file hands the infrastructure's passwords to the ReChat containers."""
    database_password = project_env["MARIADB_PASSWORD"]
    for name in ("auth", "chat-gateway", "history", "dify-worker", "web", "dify-emulator"):
        for container in stack.started[name]:
            values = environ(stack, container)
            for variable in INFRA_ONLY:
                assert project_env[variable] not in "\n".join(values.values()), (
                    container,
                    variable,
                )
            holds_database = any(database_password in value for value in values.values())
            assert holds_database == (name in ("auth", "chat-gateway", "history")), container
            if name in ("web", "dify-emulator"):
                assert project_env["RECHAT_SECRET_KEY"] not in "\n".join(values.values())


def test_a_restarted_service_is_reached_again_without_restarting_nginx(
    stack: Stack, admin: Journey, web_url: str
) -> None:
    web = stack.started["web"][0]
    web_started = stack.podman.inspect("container", web)["State"]["StartedAt"]
    history = stack.container("history")
    old = address(stack, history)
    new = re.sub(r"\.\d+$", ".250", old)
    assert new != old
    stack.remove("history", index=1)
    stack.start(stack.compose.services["history"], ["--ip", new], index=1)
    stack.wait_healthy(stack.compose.services["history"], history)
    assert address(stack, history) == new
    deadline = time.monotonic() + 90  # nginx keeps an answer of its resolver 10 s
    with admin.client() as client:
        while (status := client.get("/api/conversations").status_code) != 200:
            assert status in (502, 504), status
            assert time.monotonic() < deadline, "nginx never reached history's new address"
            time.sleep(1)
    assert stack.podman.inspect("container", web)["State"]["StartedAt"] == web_started


# --- the same images under the Kubernetes security settings --------------------------------------


def k8s_containers() -> dict[str, dict[str, Any]]:
    """deploy/k8s's containers by name, each with its pod's spec beside it."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc["kind"] in ("Deployment", "Job"):
                pod = doc["spec"]["template"]["spec"]
                for container in pod["containers"]:
                    found[container["name"]] = {"pod": pod, "container": container}
    return found


def k8s_value(variable: dict[str, Any]) -> str:
    """An env entry's value, given or from a ConfigMap of deploy/k8s."""
    if "value" in variable:
        return str(variable["value"])
    ref = variable["valueFrom"]["configMapKeyRef"]
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == ref["name"]:
                return str(doc["data"][ref["key"]])
    raise KeyError(ref)


def k8s_arguments(name: str) -> list[str]:
    """podman's words for the pod's and container's securityContext and emptyDir mounts."""
    entry = k8s_containers()[name]
    pod, container = entry["pod"], entry["container"]
    context = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    args = ["--user", f"{context['runAsUser']}:{context['runAsGroup']}"]
    if context.get("readOnlyRootFilesystem"):
        args += ["--read-only", "--read-only-tmpfs=false"]
    for capability in context.get("capabilities", {}).get("drop", []):
        args += ["--cap-drop", capability]
    if context.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    empty = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
    for mount in container.get("volumeMounts", []):
        if mount["name"] in empty:
            # an emptyDir: a fresh volume for the container's life (as podman fills a new volume,
            # with the image's folder: empty, and owned as in the image; runc keeps that mode on a
            # tmpfs, so a tmpfs would be unwritable for the container's user)
            args += ["--volume", mount["mountPath"]]
    if name == "web":  # its upstreams are the services' cluster names, as in the manifest
        for variable in container.get("env", []):
            args += ["--env", f"{variable['name']}={k8s_value(variable)}"]
    elif name != "migrate":
        args += ["--network-alias", f"{name}.{CLUSTER_DOMAIN}"]
    return args


@pytest.fixture(scope="module")
def k8s_stack(stack: Stack, web_url: str, app_id: str) -> Stack:
    """The ReChat containers recreated under deploy/k8s's settings, over the same infrastructure."""
    for name in reversed(RECHAT):
        stack.remove(name)
    stack.up({name: k8s_arguments(name) for name in RECHAT}, only=set(RECHAT))
    stack.wait_all_healthy()
    assert wait_for(web_url + "/healthz").status_code == 200
    return stack


def test_under_the_k8s_settings_a_turn_still_streams_and_is_stored(
    k8s_stack: Stack, admin: Journey, app_id: str
) -> None:
    turn(admin, app_id, tokens=5)
    assert len(admin.conversations()) >= 2  # the earlier turn survived the recreation


@pytest.mark.parametrize("name", ["auth", "chat-gateway", "history", "dify-worker", "web"])
def test_under_the_k8s_settings_the_container_is_confined(k8s_stack: Stack, name: str) -> None:
    expected = k8s_containers()[name]["pod"]["securityContext"]["runAsUser"]
    for container in k8s_stack.started[name]:
        run = k8s_stack.podman.run
        assert run("exec", container, "id", "-u").stdout.strip() == str(expected)
        status = run("exec", container, "cat", "/proc/1/status").stdout
        assert re.search(r"^CapEff:\s+0+$", status, flags=re.MULTILINE), status
        assert re.search(r"^NoNewPrivs:\s+1$", status, flags=re.MULTILINE), status
        denied = run("exec", container, "touch", "/rechat-write-test", check=False)
        assert denied.returncode != 0
        assert "Read-only file system" in denied.stderr
        assert run("exec", container, "touch", "/tmp/rechat-write-test").returncode == 0
