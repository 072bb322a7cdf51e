"""The caller's own account: read (pending too), rename and password change (members only)."""

from __future__ import annotations

import asyncio

import httpx

from rechat_auth.testing import PASSWORD, Account, MakeUser, Running, UserEvents


async def test_read_me(client: httpx.AsyncClient, member: Account) -> None:
    response = await client.get("/api/auth/me", headers=member.headers)
    assert response.status_code == 200
    assert set(response.json()) == {
        "id",
        "email",
        "name",
        "role",
        "active",
        "created_at",
        "last_login_at",
        "avatar_url",
    }
    assert response.json()["email"] == member.email


async def test_pending_reads_me_but_gets_403_where_a_user_is_needed(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    waiting = await make_user("pending")
    assert (await client.get("/api/auth/me", headers=waiting.headers)).status_code == 200
    rename = await client.patch("/api/auth/me", json={"name": "x"}, headers=waiting.headers)
    assert rename.status_code == 403
    assert rename.json()["error"] == "account_pending"
    change = await client.post(
        "/api/auth/me/password",
        json={"current_password": PASSWORD, "new_password": "another password"},
        headers=waiting.headers,
    )
    assert change.status_code == 403


async def test_deactivated_user_gets_403_at_once(
    client: httpx.AsyncClient, member: Account, admin: Account
) -> None:
    await client.patch(
        f"/api/admin/users/{member.id}", json={"active": False}, headers=admin.headers
    )
    fresh = await client.post("/api/auth/login", json={"email": member.email, "password": PASSWORD})
    assert fresh.status_code == 403
    # a token minted before the change meets the disabled flag at once
    stale = await client.get("/api/auth/me", headers=member.headers)
    assert stale.status_code == 403
    assert stale.json()["error"] == "account_disabled"


async def test_rename(client: httpx.AsyncClient, member: Account) -> None:
    response = await client.patch(
        "/api/auth/me", json={"name": "  Grace  "}, headers=member.headers
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Grace"
    too_long = await client.patch("/api/auth/me", json={"name": "g" * 101}, headers=member.headers)
    assert too_long.status_code == 422


async def test_password_change_needs_the_current_password(
    client: httpx.AsyncClient, member: Account
) -> None:
    response = await client.post(
        "/api/auth/me/password",
        json={"current_password": "not it at all", "new_password": "brand new password"},
        headers=member.headers,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "wrong_password"
    short = await client.post(
        "/api/auth/me/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=member.headers,
    )
    assert short.status_code == 422


async def test_password_change_ends_other_sessions_but_keeps_this_one(
    running: Running, member: Account, user_events: UserEvents
) -> None:
    client = running.client
    credentials = {"email": member.email, "password": PASSWORD}
    other = (await client.post("/api/auth/login", json=credentials)).cookies["rechat_refresh"]
    client.cookies.clear()
    mine = await client.post("/api/auth/login", json=credentials)
    headers = {"Authorization": f"Bearer {mine.json()['access_token']}"}
    changed = await client.post(
        "/api/auth/me/password",
        json={"current_password": PASSWORD, "new_password": "brand new password"},
        headers=headers,
    )
    assert changed.status_code == 204
    # every access token issued so far is void; this device refreshes, the other cannot
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401
    assert (await client.post("/api/auth/refresh")).status_code == 200
    client.cookies.clear()
    client.cookies.set("rechat_refresh", other, path="/api/auth")
    assert (await client.post("/api/auth/refresh")).status_code == 401
    client.cookies.clear()
    assert (await client.post("/api/auth/login", json=credentials)).status_code == 401
    new_credentials = {**credentials, "password": "brand new password"}
    assert (await client.post("/api/auth/login", json=new_credentials)).status_code == 200
    (event,) = await user_events.wait_for(member.id, 1)
    assert event.change == "updated"


async def test_a_burst_beyond_the_redis_pool_waits_instead_of_failing(
    client: httpx.AsyncClient, member: Account
) -> None:
    responses = await asyncio.gather(
        *(client.get("/api/auth/me", headers=member.headers) for _ in range(150))
    )
    assert {response.status_code for response in responses} == {200}


async def test_a_pending_account_learns_whom_to_contact(
    client: httpx.AsyncClient, make_user: MakeUser, admin: Account
) -> None:
    waiting = await make_user("pending")
    response = await client.get("/api/auth/me/admin", headers=waiting.headers)
    assert response.status_code == 200, response.text
    contact = response.json()
    assert set(contact) == {"name", "email"}
    # The longest-serving active admin: this test's admin unless an older one exists.
    listed = await client.get(
        "/api/admin/users", params={"q": contact["email"]}, headers=admin.headers
    )
    (found,) = [u for u in listed.json()["items"] if u["email"] == contact["email"]]
    assert (found["role"], found["active"], found["name"]) == ("admin", True, contact["name"])
    assert (await client.get("/api/auth/me/admin")).status_code == 401
