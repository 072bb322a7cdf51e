"""Password guessing from outside: a stranger's failures never lock the owner out of where they
sign in from, and a stolen access token buys no unlimited guesses at the current password."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from rechat_auth.testing import PASSWORD, Account, MakeUser, Running, StartAuth

OWNER_ADDRESS = "198.51.100.7"


@asynccontextmanager
async def client_at(running: Running, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from `address` (as the socket's peer)."""
    transport = httpx.ASGITransport(app=running.app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def login_at(running: Running, address: str, email: str, password: str) -> int:
    async with client_at(running, address) as client:
        response = await client.post("/api/auth/login", json={"email": email, "password": password})
    return response.status_code


async def test_strangers_failures_never_block_the_owner_where_they_signed_in(
    start_auth: StartAuth, password_hash: str
) -> None:
    async with start_auth() as running:
        async with client_at(running, OWNER_ADDRESS) as owner:
            registered = await owner.post(
                "/api/auth/register",
                json={"email": "victim@example.com", "password": PASSWORD, "name": "V"},
            )
        assert registered.status_code == 201
        assert await login_at(running, OWNER_ADDRESS, "victim@example.com", PASSWORD) == 200

        # one stranger, with case and whitespace variants of the address: 5 guesses, then 429
        variants = ["victim@example.com", " VICTIM@example.com", "Victim@Example.com "]
        answers = [
            await login_at(running, "203.0.113.5", variants[attempt % 3], "guess 1234")
            for attempt in range(8)
        ]
        assert answers == [401] * 5 + [429] * 3
        # the right password from the stranger's address is throttled too...
        assert await login_at(running, "203.0.113.5", "victim@example.com", PASSWORD) == 429
        # ...but the owner, where they signed in before, is not
        assert await login_at(running, OWNER_ADDRESS, "victim@example.com", PASSWORD) == 200

        # many strangers, one guess each: past 20 the account refuses places it never saw
        for index in range(20):
            await login_at(running, f"203.0.114.{index}", "victim@example.com", "guess 1234")
        assert await login_at(running, "203.0.115.1", "victim@example.com", PASSWORD) == 429
        assert await login_at(running, OWNER_ADDRESS, " Victim@example.com", PASSWORD) == 200


async def test_the_current_password_check_is_throttled(
    client: httpx.AsyncClient, member: Account
) -> None:
    def change(current: str) -> dict[str, str]:
        return {"current_password": current, "new_password": "a brand new password"}

    for attempt in range(5):
        wrong = await client.post(
            "/api/auth/me/password", json=change(f"guess {attempt}"), headers=member.headers
        )
        assert wrong.status_code == 400
    throttled = await client.post(
        "/api/auth/me/password", json=change(PASSWORD), headers=member.headers
    )
    assert throttled.status_code == 429
    assert throttled.json()["error"] == "login_throttled"
    assert int(throttled.headers["Retry-After"]) > 0


async def test_a_right_current_password_clears_the_count(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    account = await make_user("user")
    body = {"current_password": "guess", "new_password": "a brand new password"}
    for _ in range(4):
        await client.post("/api/auth/me/password", json=body, headers=account.headers)
    right = {"current_password": PASSWORD, "new_password": "a brand new password"}
    assert (
        await client.post("/api/auth/me/password", json=right, headers=account.headers)
    ).status_code == 204
