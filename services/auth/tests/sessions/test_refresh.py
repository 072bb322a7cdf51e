"""Refresh-token rotation, reuse detection (the family is revoked) and logout."""

from __future__ import annotations

import asyncio

import httpx

from rechat_auth.testing import PASSWORD, Account, MakeUser


async def sign_in(client: httpx.AsyncClient, account: Account) -> str:
    response = await client.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    return response.cookies["rechat_refresh"]


async def refresh(client: httpx.AsyncClient, token: str | None) -> httpx.Response:
    client.cookies.clear()
    if token:
        client.cookies.set("rechat_refresh", token, path="/api/auth")
    return await client.post("/api/auth/refresh")


async def test_refresh_rotates_the_cookie(client: httpx.AsyncClient, member: Account) -> None:
    first = await sign_in(client, member)
    response = await refresh(client, first)
    assert response.status_code == 200
    second = response.cookies["rechat_refresh"]
    assert second != first
    session = response.json()
    assert session["user"]["id"] == member.id
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {session['access_token']}"}
    )
    assert me.status_code == 200
    assert (await refresh(client, second)).status_code == 200


async def test_reusing_a_used_token_revokes_the_whole_family(
    client: httpx.AsyncClient, member: Account
) -> None:
    stolen = await sign_in(client, member)
    other_device = await sign_in(client, member)
    successor = (await refresh(client, stolen)).cookies["rechat_refresh"]
    replay = await refresh(client, stolen)
    assert replay.status_code == 401
    assert replay.json()["error"] == "refresh_token_reused"
    # the legitimate successor dies with its family; another session lives on
    assert (await refresh(client, successor)).status_code == 401
    assert (await refresh(client, other_device)).status_code == 200


async def test_missing_or_unknown_refresh_token_is_401(client: httpx.AsyncClient) -> None:
    for token in (None, "made-up-token"):
        response = await refresh(client, token)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_refresh_token"


async def test_deactivated_user_cannot_refresh(
    client: httpx.AsyncClient, member: Account, admin: Account
) -> None:
    token = await sign_in(client, member)
    deactivate = await client.patch(
        f"/api/admin/users/{member.id}", json={"active": False}, headers=admin.headers
    )
    assert deactivate.status_code == 200
    response = await refresh(client, token)
    assert response.status_code == 401  # deactivation revoked every refresh token too


async def test_refresh_reads_the_current_role(
    client: httpx.AsyncClient, make_user: MakeUser, admin: Account
) -> None:
    waiting = await make_user("pending")
    token = await sign_in(client, waiting)
    await client.patch(
        f"/api/admin/users/{waiting.id}", json={"role": "user"}, headers=admin.headers
    )
    # the role change revoked the sessions: sign in again and the new role shows
    assert (await refresh(client, token)).status_code == 401
    token = await sign_in(client, waiting)
    assert (await refresh(client, token)).json()["user"]["role"] == "user"


async def test_logout_revokes_the_family_and_clears_the_cookie(
    client: httpx.AsyncClient, member: Account
) -> None:
    token = await sign_in(client, member)
    client.cookies.set("rechat_refresh", token, path="/api/auth")
    response = await client.post("/api/auth/logout")
    assert response.status_code == 204
    cleared = response.headers["set-cookie"]
    assert cleared.startswith('rechat_refresh=""') or "Max-Age=0" in cleared
    assert (await refresh(client, token)).status_code == 401
    # logging out without a session is harmless
    client.cookies.clear()
    assert (await client.post("/api/auth/logout")).status_code == 204


async def test_two_refreshes_with_one_token_at_once_succeed_once(
    client: httpx.AsyncClient, member: Account
) -> None:
    token = await sign_in(client, member)
    client.cookies.clear()
    cookie = {"Cookie": f"rechat_refresh={token}"}
    results = await asyncio.gather(
        client.post("/api/auth/refresh", headers=cookie),
        client.post("/api/auth/refresh", headers=cookie),
    )
    statuses = sorted(result.status_code for result in results)
    assert statuses == [200, 401]
    winner = next(result for result in results if result.status_code == 200)
    loser = next(result for result in results if result.status_code == 401)
    assert loser.json()["error"] == "refresh_token_reused"
    # the second presentation counts as a replay: the winner's successor is revoked too
    assert (await refresh(client, winner.cookies["rechat_refresh"])).status_code == 401
