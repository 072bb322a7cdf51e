"""schemathesis over the gateway's OpenAPI against the real process (real MariaDB, Redis and
RabbitMQ, the Dify emulator), as an admin and as a user: no 5xx, and every response is one the
schema documents. Bounded: a few examples per route and caller.

The routes that answer with an event stream (send, resume, regenerate) are left out: with no
worker in this test an accepted turn streams until its deadline. tests/chat/test_validation.py
covers their refusals, the pipeline tests their streams."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import product
from typing import Any

import httpx
import jwt
import pytest
import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from rechat_shared.testing.emulator import RunningEmulator
from rechat_shared.testing.processes import ServiceProcess
from rechat_shared.testing.tokens import mark_live

from .conftest import KID, SECRET, mint_headers

CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]
STREAMING = {"/api/chat/messages", "/api/chat/messages/{message_id}/stream"}


@pytest.fixture
def peers_url(signing_key: Ed25519PrivateKey) -> Iterator[str]:
    """The gateway's two peers, played by a tiny HTTP server: auth's JWKS endpoint (the test
    key) and history's internal API, which knows no conversation (a fuzzed id is nobody's)."""
    public = jwt.algorithms.OKPAlgorithm.to_jwk(signing_key.public_key(), as_dict=True)
    document = json.dumps({"keys": [{**public, "kid": KID, "use": "sig", "alg": "EdDSA"}]})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/internal/conversations/"):
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"error": "conversation_not_found", "detail": "unknown"}')
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def fuzzed_gateway(
    service_process: Callable[..., ServiceProcess],
    mariadb_url: str,
    redis_url: str,
    redis_prefix: str,
    rabbitmq_url: str,
    rabbit_prefix: str,
    peers_url: str,
) -> ServiceProcess:
    return service_process(
        "rechat_gateway",
        env={
            "GATEWAY_DATABASE_URL": mariadb_url,
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": redis_prefix,
            "RABBITMQ_URL": rabbitmq_url,
            "RABBITMQ_PREFIX": f"{rabbit_prefix}gwfuzz.",
            "AUTH_JWKS_URL": f"{peers_url}/jwks.json",
            "HISTORY_INTERNAL_URL": peers_url,
            "RECHAT_SECRET_KEY": SECRET.get_secret_value(),
            "LOG_FORMAT": "text",
        },
        ready_path="/readyz",
        name="gateway-fuzz",
    )


def test_openapi_no_server_errors(
    fuzzed_gateway: ServiceProcess,
    signing_key: Ed25519PrivateKey,
    dify_emulator: RunningEmulator,
    redis_url: str,
    redis_prefix: str,
) -> None:
    callers = {}
    for role in ("admin", "user"):
        user_id = f"fuzz-{role}-{uuid.uuid4().hex[:6]}"
        mark_live(redis_url, redis_prefix, user_id)
        callers[role] = mint_headers(signing_key, user_id, role)
    app = httpx.post(
        f"{fuzzed_gateway.url}/api/admin/apps",
        json={
            "name": "Fuzz",
            "base_url": dify_emulator.base_url,
            "api_key": dify_emulator.keys["chat"],
        },
        headers=callers["admin"],
        timeout=10,
    )
    assert app.status_code == 201, app.text

    schema = schemathesis.openapi.from_url(f"{fuzzed_gateway.url}/openapi.json")
    operations = [
        result.ok()  # type: ignore[union-attr]
        for result in schema.get_all_operations()
        if result.ok().path not in STREAMING  # type: ignore[union-attr]
        and not result.ok().path.endswith("/regenerate")  # type: ignore[union-attr]
    ]
    assert len(operations) >= 8
    calls: Counter[str] = Counter()
    started = time.monotonic()
    for operation, mode, role in product(operations, GenerationMode, callers):
        headers = callers[role]

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=6,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def conforms(case: Any) -> None:
            calls[case.operation.label] += 1
            case.call_and_validate(
                base_url=fuzzed_gateway.url,
                headers=headers,  # noqa: B023 - called at once, within this iteration
                checks=CHECKS,
                timeout=15,
            )

        conforms()
    assert len(calls) == len(operations)
    print(f"{sum(calls.values())} calls in {time.monotonic() - started:.1f} s")
