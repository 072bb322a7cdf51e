"""Error codes are defined once, by a class in `rechat_shared.errors`, and every service's
OpenAPI document describes the `{"error", "detail"}` envelope its handlers really return."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rechat_auth.app import create_app as create_auth
from rechat_gateway.app import create_app as create_gateway
from rechat_history.app import create_app as create_history
from rechat_shared.app import create_service_app
from rechat_shared.errors import ConversationNotFound, ReChatError
from rechat_worker.app import create_app as create_worker

FACTORIES: dict[str, Callable[[], FastAPI]] = {
    "auth": create_auth,
    "gateway": create_gateway,
    "history": create_history,
    "worker": create_worker,
}
ENVELOPES = {"#/components/schemas/ErrorBody", "#/components/schemas/ValidationErrorBody"}


def _subclasses(cls: type[ReChatError]) -> list[type[ReChatError]]:
    found = []
    for sub in cls.__subclasses__():
        found.extend([sub, *_subclasses(sub)])
    return found


def test_each_code_names_one_condition_and_one_class() -> None:
    classes = _subclasses(ReChatError)  # the base is abstract
    by_code: dict[str, list[str]] = {}
    for cls in classes:
        by_code.setdefault(cls.code, []).append(cls.__name__)
    assert {code: names for code, names in by_code.items() if len(names) > 1} == {}
    assert ConversationNotFound.code == "conversation_not_found"  # docs/ARCHITECTURE.md


def _error_responses(spec: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [
        (method, path, status, response)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status[0] in "45"
    ]


@pytest.mark.parametrize("service", sorted(FACTORIES))
def test_openapi_documents_the_envelope_for_every_error(service: str) -> None:
    spec = FACTORIES[service]().openapi()
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's shape, which we never send
    assert set(schemas["ErrorBody"]["required"]) == {"error", "detail"}
    errors = _error_responses(spec)
    assert errors or not spec["paths"]  # the worker serves only health and metrics
    for method, path, status, response in errors:
        ref = response["content"]["application/json"]["schema"]["$ref"]
        assert ref in ENVELOPES, (method, path, status)
        assert (ref.endswith("ValidationErrorBody")) == (status == "422"), (method, path, status)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if operation.get("security"):
                assert "401" in operation["responses"], (method, path)


async def test_what_the_envelope_documents_is_what_a_service_answers() -> None:
    """A 404 of the router, a 422 of validation and a domain error, against their schemas."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield

    app = create_service_app("probe", title="probe", lifespan=lifespan)

    @app.get("/conversations/{conversation_id}")
    async def conversation(conversation_id: str, limit: int = 10) -> dict[str, str]:
        raise ConversationNotFound()

    spec = app.openapi()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        missing = await client.get("/nowhere")
        invalid = await client.get("/conversations/c", params={"limit": "many"})
        domain = await client.get("/conversations/c")
    assert domain.json()["error"] == "conversation_not_found"
    cases = ((missing, "ErrorBody"), (invalid, "ValidationErrorBody"), (domain, "ErrorBody"))
    for response, name in cases:
        schema = spec["components"]["schemas"][name]
        body = response.json()
        assert set(schema["required"]) <= set(body), json.dumps(body)
        assert set(body) <= set(schema["properties"]), json.dumps(body)
