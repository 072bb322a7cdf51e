"""Every error, including validation and routing errors, renders in the one envelope."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from rechat_shared.errors import EmailTaken, TooManyRequests, install_error_handlers


class Body(BaseModel):
    name: str


def make_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/things")
    async def create(body: Body) -> dict[str, str]:
        if body.name == "taken":
            raise EmailTaken()
        if body.name == "fast":
            raise TooManyRequests("Slow down", retry_after=7)
        return {"name": body.name}

    return app


async def test_envelope_for_business_validation_and_routing_errors() -> None:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        conflict = await client.post("/things", json={"name": "taken"})
        assert conflict.status_code == 409
        assert conflict.json() == {"error": "email_taken", "detail": EmailTaken.default_detail}

        limited = await client.post("/things", json={"name": "fast"})
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "7"

        invalid = await client.post("/things", json={"name": 3})
        assert invalid.status_code == 422
        assert invalid.json()["error"] == "validation_error"
        assert invalid.json()["detail"].startswith("name:")

        missing = await client.get("/nowhere")
        assert missing.status_code == 404
        assert missing.json()["error"] == "not_found"
