"""Registration: validation, normalised unique emails, first account admin, sign-up rules."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from rechat_auth.admin.repository import AuthSettingsRepository
from rechat_auth.testing import Account, Running, UserEvents

GOOD = {"email": "Ada@Example.COM", "password": "long enough pw", "name": "Ada"}


async def register(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    # json.dumps escapes to ASCII, so even lone surrogates ("\\ud800") reach the server
    body = json.dumps({**GOOD, **fields})
    return await client.post(
        "/api/auth/register", content=body, headers={"Content-Type": "application/json"}
    )


async def test_config_before_and_after_the_first_account(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/auth/config")).json() == {
        "signup_open": True,
        "has_users": False,
        "image_hosts": [],
    }
    assert (await register(client)).status_code == 201
    assert (await client.get("/api/auth/config")).json()["has_users"] is True


async def test_first_account_is_admin_and_signed_in(
    running: Running, user_events: UserEvents
) -> None:
    response = await register(running.client)
    assert response.status_code == 201
    session = response.json()
    assert session["token_type"] == "bearer"
    assert session["expires_in"] == 900
    assert session["user"]["email"] == "ada@example.com"  # normalised
    assert session["user"]["role"] == "admin"
    assert session["user"]["active"] is True
    assert "rechat_refresh" in response.cookies
    me = await running.client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {session['access_token']}"}
    )
    assert me.json() == session["user"]
    (event,) = await user_events.wait_for(session["user"]["id"], 1)
    assert (event.change, event.role, event.active) == ("created", "admin", True)


async def test_later_accounts_get_the_default_role(
    client: httpx.AsyncClient, admin: Account
) -> None:
    response = await register(client, email="second@example.com")
    assert response.json()["user"]["role"] == "pending"
    await client.patch("/api/admin/settings", json={"default_role": "user"}, headers=admin.headers)
    response = await register(client, email="third@example.com")
    assert response.json()["user"]["role"] == "user"


async def test_closed_signup_refuses_later_accounts(running: Running) -> None:
    first = await register(running.client)
    admin_headers = {"Authorization": f"Bearer {first.json()['access_token']}"}
    closed = await running.client.patch(
        "/api/admin/settings", json={"signup_open": False}, headers=admin_headers
    )
    assert closed.json() == {"signup_open": False, "default_role": "pending"}
    refused = await register(running.client, email="late@example.com")
    assert refused.status_code == 403
    assert refused.json()["error"] == "signup_closed"
    assert (await running.client.get("/api/auth/config")).json()["signup_open"] is False


async def test_first_account_allowed_even_when_signup_closed(running: Running) -> None:
    async with running.runtime.sessions() as session:
        settings = await AuthSettingsRepository(session).get()
        settings.signup_open = False
        await session.commit()
    assert (await running.client.get("/api/auth/config")).json()["signup_open"] is True
    response = await register(running.client)
    assert response.status_code == 201
    assert response.json()["user"]["role"] == "admin"


async def test_a_registered_email_is_answered_as_a_sign_in(client: httpx.AsyncClient) -> None:
    """No "email taken" that would tell strangers who has an account: the owner's password
    signs them in, any other gets login's one answer (and counts as a failed login)."""
    first = await register(client)
    assert first.status_code == 201
    again = await register(client, email=" ADA@example.com ")
    assert again.status_code == 201
    assert again.json()["user"]["id"] == first.json()["user"]["id"]
    stranger = await register(client, email="ada@example.com", password="a different one")
    assert stranger.status_code == 401
    assert stranger.json() == {
        "error": "invalid_credentials",
        "detail": "Invalid email or password",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "two@@example.com"),
        ("email", "a@b..c"),
        ("email", "x@localhost"),
        ("email", ""),
        ("password", "short"),
        ("password", "12345678"),
        ("password", " " * 8),
        ("password", "password1"),
        ("password", "x" * 257),
        ("name", ""),
        ("name", "n" * 101),
        ("name", "\ud800"),
        ("name", "nul\x00byte"),
        ("name", "invoice\u202egpj.exe"),
    ],
)
async def test_bad_input_is_422_in_the_envelope(
    client: httpx.AsyncClient, field: str, value: str
) -> None:
    response = await register(client, **{field: value})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert body["detail"].startswith(field)


async def test_boundary_lengths_are_accepted(client: httpx.AsyncClient) -> None:
    response = await register(
        client, password="".join(chr(33 + (i * 7) % 90) for i in range(256)), name="n" * 100
    )
    assert response.status_code == 201
    assert (await register(client, email="b@example.com", password="pq7!x#2z")).status_code == 201


async def test_intranet_email_domains_are_accepted(client: httpx.AsyncClient) -> None:
    for email in ("ada@intranet.local", "bob@mail.corp", "eve@fileserver"):
        response = await register(client, email=email)
        assert response.status_code == 201, response.text
        assert response.json()["user"]["email"] == email


async def test_concurrent_first_sign_ups_make_exactly_one_admin(running: Running) -> None:
    responses = await asyncio.gather(
        *(register(running.client, email=f"racer{index}@example.com") for index in range(4))
    )
    assert [response.status_code for response in responses] == [201] * 4
    roles = sorted(response.json()["user"]["role"] for response in responses)
    assert roles == ["admin", "pending", "pending", "pending"]
