"""schemathesis over history's OpenAPI against the real process: no 5xx, and responses match
their documented schemas. Bounded: a dozen examples per route and generation mode."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import product
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from pydantic import SecretStr
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from sqlalchemy.ext.asyncio import AsyncEngine

from rechat_history.testing import KeyRing, new_id
from rechat_shared.security import SERVICE_TOKEN_HEADER, service_token
from rechat_shared.settings import DEFAULT_SECRET_KEY
from rechat_shared.testing.processes import ServiceProcess

CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]
FUZZER = "fuzz-admin"


@pytest.fixture
def jwks_url(keyring: KeyRing) -> Iterator[str]:
    """Auth's JWKS endpoint, played by a tiny HTTP server with the test key."""
    document = json.dumps(keyring.jwks()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()
    thread.join()


@pytest.fixture
async def fuzzed_history(
    service_process: Callable[..., ServiceProcess],
    engine: AsyncEngine,
    ingest: Any,
    script: Any,
    jwks_url: str,
    keyring: KeyRing,
    redis_url: str,
    redis_prefix: str,
) -> ServiceProcess:
    keyring.redis_url, keyring.redis_prefix = redis_url, redis_prefix
    conversation = new_id()
    await ingest(list(script.turn(FUZZER, conversation, "seeded question", "seeded answer")))
    return service_process(
        "rechat_history",
        env={
            "HISTORY_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "HISTORY_MIGRATE_ON_START": "false",
            "HISTORY_CONSUME_EVENTS": "false",
            "AUTH_JWKS_URL": jwks_url,
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": redis_prefix,
            "RECHAT_SECRET_KEY": DEFAULT_SECRET_KEY,
            "LOG_FORMAT": "text",
        },
        name="history-fuzz",
    )


def has_inputs(operation: schemathesis.APIOperation) -> bool:
    return bool(len(operation.body) or len(operation.query) or len(operation.path_parameters))


@pytest.mark.parametrize("role", ["admin", "user"])
def test_openapi_no_server_errors(
    fuzzed_history: ServiceProcess, keyring: KeyRing, role: str
) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed_history.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    headers = {
        **keyring.headers(FUZZER, role),
        SERVICE_TOKEN_HEADER: service_token(SecretStr(DEFAULT_SECRET_KEY), "history"),
    }
    calls: Counter[str] = Counter()
    for operation, mode in product(operations, GenerationMode):
        if mode is GenerationMode.NEGATIVE and not has_inputs(operation):
            continue

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=12,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def survives(case: schemathesis.Case) -> None:
            calls[case.operation.label] += 1
            case.call_and_validate(
                base_url=fuzzed_history.url, headers=headers, checks=CHECKS, timeout=10
            )

        survives()
    assert len(calls) == len(operations)
    assert sum(calls.values()) > 8 * len(operations)
