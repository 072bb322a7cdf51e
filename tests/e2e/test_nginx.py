"""Debian's nginx with the project's config (deploy/nginx, paths templated) in front of the
running services: the SPA loads, each /api prefix reaches its service, and an answer streams
through token by token."""

from __future__ import annotations

import gzip
import itertools
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from rechat_cli.spa import ensure_built
from rechat_cli.testing import (
    Journey,
    RunningRechat,
    answer_text,
    free_service_ports,
    scratch_database,
    service_port_arguments,
)
from rechat_shared.testing.infra import (
    MARIADB_ADMIN_URL,
    RABBITMQ_URL,
    REDIS_URL,
    delete_rabbit_names,
    delete_redis_prefix,
)
from rechat_shared.testing.processes import answers_200, free_port, wait_until_ready

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "nginx" / "rechat.conf.template"
INFRA = ("DATABASE_URL", "RABBITMQ_URL", "REDIS_URL", "RABBITMQ_PREFIX", "REDIS_PREFIX")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.slow

MAIN_CONF = """daemon off;
worker_processes 1;
user {user};
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/rechat.conf;
}}
"""


def render(tmp: Path, variables: dict[str, str]) -> Path:
    """The template as envsubst fills it in the web image, plus a main config for this test."""
    filled = re.sub(
        r"\$\{(RECHAT_[A-Z_]+)\}", lambda m: variables[m.group(1)], TEMPLATE.read_text()
    )
    (tmp / "rechat.conf").write_text(filled)
    main = tmp / "nginx.conf"
    user = "root" if os.geteuid() == 0 else os.environ.get("USER", "nobody")
    main.write_text(MAIN_CONF.format(tmp=tmp, user=user))
    return main


@pytest.fixture(scope="module")
async def stack_env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, str]]:
    """Real MariaDB, RabbitMQ and Redis, under names no other test uses."""
    run = uuid.uuid4().hex[:8]
    rabbit_prefix, redis_prefix = f"nginx{run}.", f"rechat-test:nginx{run}:"
    data = tmp_path_factory.mktemp("nginx-stack")
    async with scratch_database(MARIADB_ADMIN_URL) as database_url:
        env = {k: v for k, v in os.environ.items() if k not in INFRA}
        env.update(
            RECHAT_DATA_DIR=str(data / "data"),
            DATABASE_URL=database_url,
            RABBITMQ_URL=RABBITMQ_URL,
            RABBITMQ_PREFIX=rabbit_prefix,
            REDIS_URL=REDIS_URL,
            REDIS_PREFIX=redis_prefix,
            LOG_FORMAT="text",
            NO_COLOR="1",
        )
        yield env
    await delete_rabbit_names(RABBITMQ_URL, rabbit_prefix)
    await delete_redis_prefix(REDIS_URL, redis_prefix)


@pytest.fixture(scope="module")
def service_ports(
    stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, int]]:
    """`rechat dev` in processes mode: each service in its own process on a known port."""
    assert ensure_built(ROOT / "web"), "the web app could not be built (npm output above)"
    ports = free_service_ports()
    args = ["--no-build", *service_port_arguments(ports)]
    log = tmp_path_factory.mktemp("rechat") / "rechat.log"
    rechat = RunningRechat(free_port(), stack_env, log, ROOT, args=args)
    rechat.start()
    try:
        yield ports
    finally:
        print(rechat.log_tail(200))  # shown by pytest when a test failed
        assert rechat.stop() == 0, rechat.log_tail()


@pytest.fixture(scope="module")
def nginx_url(
    service_ports: dict[str, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Debian's nginx running the project's config in front of those services."""
    tmp = tmp_path_factory.mktemp("nginx")
    ports = service_ports
    listen = free_port()
    config = render(
        tmp,
        {
            "RECHAT_AUTH_UPSTREAM": f"127.0.0.1:{ports['auth']}",
            "RECHAT_GATEWAY_UPSTREAM": f"127.0.0.1:{ports['chat-gateway']}",
            "RECHAT_HISTORY_UPSTREAM": f"127.0.0.1:{ports['history']}",
            "RECHAT_LISTEN_PORT": f"127.0.0.1:{listen}",
            "RECHAT_WEB_ROOT": str(ROOT / "web" / "dist"),
            "RECHAT_IMAGE_HOSTS": "images.example.com",
            "RECHAT_RESOLVER": "127.0.0.1",  # never asked: the upstreams are addresses
        },
    )
    checked = subprocess.run([NGINX, "-t", "-c", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    nginx = subprocess.Popen([NGINX, "-c", str(config)], stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{listen}"
    try:
        # ready when it answers through to the gateway; the wait follows the process
        def stderr() -> str:  # readable without blocking once nginx has exited
            if nginx.poll() is None or nginx.stderr is None:
                return ""
            return nginx.stderr.read().decode(errors="replace")

        wait_until_ready(nginx, answers_200(url + "/healthz"), name="nginx", log_tail=stderr)
        yield url
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)


@pytest.fixture(scope="module")
def admin(nginx_url: str) -> Journey:
    """The first account (an admin: later sign-ups may wait for approval)."""
    journey = Journey(nginx_url)
    assert journey.sign_up()["user"]["role"] == "admin"
    return journey


def test_the_spa_loads_with_security_headers_gzip_and_fallback(nginx_url: str) -> None:
    page = httpx.get(nginx_url + "/", timeout=10)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    # images only from here and the allowed hosts: a remote image in an answer cannot phone
    # home on render, even if the renderer let one through
    assert "img-src 'self' data: blob: images.example.com;" in policy
    assert page.headers["cache-control"] == "no-cache"

    script = re.search(r'src="(/assets/[^"]+\.js)"', page.text)
    assert script, page.text
    asset = httpx.get(nginx_url + script.group(1), headers={"accept-encoding": "gzip"}, timeout=10)
    assert asset.status_code == 200
    assert asset.headers["content-encoding"] == "gzip"
    assert "max-age=31536000" in asset.headers["cache-control"]
    assert gzip.decompress(asset.content) if asset.content[:2] == b"\x1f\x8b" else asset.content

    deep_link = httpx.get(nginx_url + "/c/00000000-0000-0000-0000-000000000000", timeout=10)
    assert deep_link.status_code == 200
    assert deep_link.text == page.text  # the SPA routes it


def test_each_api_prefix_reaches_its_service(nginx_url: str, admin: Journey) -> None:
    auth_config = httpx.get(nginx_url + "/api/auth/config", timeout=10)
    assert auth_config.json()["has_users"] is True  # only auth answers this
    with admin.client() as client:
        users = client.get("/api/admin/users").json()  # auth
        assert users["total"] >= 1
        apps = client.get("/api/apps").json()  # chat-gateway
        assert any(app["name"] == "Demo (Dify emulator)" for app in apps)
        conversations = client.get("/api/conversations").json()  # history
        assert set(conversations) >= {"items", "next_cursor"}
        unknown = client.get("/api/nothing-here")
        assert unknown.status_code == 404
        assert unknown.json()["error"] == "not_found"
        internal = client.get("/internal/conversations/x")
        assert internal.status_code == 404


def test_an_answer_streams_through_nginx_token_by_token(admin: Journey) -> None:
    app = admin.demo_app()
    # 12 tokens, 20 per second: about 0.6 s of generation
    events = admin.chat(app["id"], "Count for me [[tokens:12]][[tps:20]]")
    assert events[-1].event == "done", events[-1]
    deltas = [event for event in events if event.event == "delta"]
    assert answer_text(events) == "".join(f"t{i} " for i in range(12))
    assert len(deltas) >= 6, [d.data for d in deltas]
    arrivals = [delta.arrived for delta in deltas]
    assert arrivals[-1] - arrivals[0] >= 0.3  # spread over the generation...
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert sum(gap >= 0.02 for gap in gaps) >= 4  # ...in separate arrivals, not one burst


def client_from(nginx_url: str, source: str) -> httpx.Client:
    """A client whose connections come from `source` (another loopback address)."""
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=nginx_url, transport=transport, timeout=30)


def login(client: httpx.Client, email: str, password: str, forwarded_for: str) -> int:
    response = client.post(
        "/api/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


def test_a_forged_forwarded_for_gets_no_fresh_login_budget(nginx_url: str) -> None:
    """Per-address throttling counts the address nginx saw, whatever the client claims."""
    owner = Journey(nginx_url)
    owner.sign_up()
    with client_from(nginx_url, "127.0.0.2") as attacker:
        answers = [
            login(attacker, f"sprayed-{index}@example.com", "guess 1234", f"203.0.113.{index}")
            for index in range(55)
        ]
        assert answers[:50] == [401] * 50
        assert set(answers[50:]) == {429}
        # a made-up address buys the attacker nothing, not even with the right password
        assert login(attacker, owner.email, owner.password, "203.0.113.200") == 429
    with client_from(nginx_url, "127.0.0.3") as someone_else:
        # nor can the attacker spend another address's budget by naming it
        assert login(someone_else, owner.email, owner.password, "127.0.0.2") == 200
