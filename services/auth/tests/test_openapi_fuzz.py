"""schemathesis over auth's OpenAPI against the real process: no 5xx, and every response is
one the schema documents (status, content type, body). Bounded: a few examples per route."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from itertools import product
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rechat_shared.testing.processes import ServiceProcess

APIOperation = schemathesis.APIOperation[Any, Any, Any, Any]
Case = schemathesis.Case[Any]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
async def fuzzed_auth(
    start_auth_process: Callable[[str], Awaitable[ServiceProcess]],
) -> ServiceProcess:
    return await start_auth_process("fuzz")


@pytest.fixture(scope="module")
async def admin_headers(fuzzed_auth: ServiceProcess) -> dict[str, str]:
    """The first account (an admin), so protected routes get past authentication."""
    async with httpx.AsyncClient(base_url=fuzzed_auth.url) as client:
        response = await client.post(
            "/api/auth/register",
            json={"email": "fuzz-admin@example.com", "password": "fuzzing admin", "name": "F"},
        )
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
async def member_headers(
    fuzzed_auth: ServiceProcess, admin_headers: dict[str, str]
) -> dict[str, str]:
    """A second account, made a member by the admin, signed in after the change."""
    account = {"email": "fuzz-member@example.com", "password": "fuzzing member", "name": "M"}
    async with httpx.AsyncClient(base_url=fuzzed_auth.url) as client:
        registered = await client.post("/api/auth/register", json=account)
        assert registered.status_code == 201
        user_id = registered.json()["user"]["id"]
        promoted = await client.patch(
            f"/api/admin/users/{user_id}", json={"role": "user"}, headers=admin_headers
        )
        assert promoted.status_code == 200
        client.cookies.clear()
        session = await client.post(
            "/api/auth/login", json={"email": account["email"], "password": account["password"]}
        )
    assert session.json()["user"]["role"] == "user"
    return {"Authorization": f"Bearer {session.json()['access_token']}"}


def has_inputs(operation: APIOperation) -> bool:
    return bool(len(operation.body) or len(operation.query) or len(operation.path_parameters))


@pytest.mark.parametrize("caller", ["admin", "member"])
def test_openapi_conformance(
    fuzzed_auth: ServiceProcess,
    admin_headers: dict[str, str],
    member_headers: dict[str, str],
    caller: str,
) -> None:
    headers = admin_headers if caller == "admin" else member_headers
    schema = schemathesis.openapi.from_url(f"{fuzzed_auth.url}/openapi.json")
    operations: list[APIOperation] = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 15

    calls: Counter[str] = Counter()
    for operation, mode in product(operations, GenerationMode):
        if mode is GenerationMode.NEGATIVE and not has_inputs(operation):
            continue  # nothing to make invalid

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=12,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def conforms(case: Case) -> None:
            calls[case.operation.label] += 1
            case.call_and_validate(
                base_url=fuzzed_auth.url, headers=headers, checks=CHECKS, timeout=10
            )

        conforms()
    assert len(calls) == len(operations)
    assert sum(calls.values()) > 10 * len(operations)
