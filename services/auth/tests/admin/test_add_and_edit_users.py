"""Admin > Users as Open WebUI has it: Add User, the Edit User dialog (name, email, role,
password), and signing a user out on every device."""

from __future__ import annotations

import httpx

from rechat_auth.testing import PASSWORD, Account, MakeUser, Running


async def test_add_user_with_role_and_sign_in(client: httpx.AsyncClient, admin: Account) -> None:
    await client.patch("/api/admin/settings", json={"signup_open": False}, headers=admin.headers)
    body = {
        "name": "Ben",
        "email": "Ben@Example.com",
        "password": "a long secret",
        "role": "admin",
    }
    created = await client.post("/api/admin/users", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text  # sign-up being closed does not stop it
    assert (created.json()["email"], created.json()["role"]) == ("ben@example.com", "admin")
    login = await client.post(
        "/api/auth/login", json={"email": "ben@example.com", "password": "a long secret"}
    )
    assert login.status_code == 200
    again = await client.post("/api/admin/users", json=body, headers=admin.headers)
    assert again.status_code == 409
    assert again.json()["error"] == "email_taken"
    for bad in ({**body, "email": "x"}, {**body, "role": "root"}, {**body, "password": "short"}):
        response = await client.post("/api/admin/users", json=bad, headers=admin.headers)
        assert response.status_code == 422, bad


async def test_edit_name_and_email_keeps_the_session(
    client: httpx.AsyncClient, member: Account, admin: Account, make_user: MakeUser
) -> None:
    url = f"/api/admin/users/{member.id}"
    edited = await client.patch(
        url, json={"name": "Renamed", "email": "new.address@example.com"}, headers=admin.headers
    )
    assert edited.status_code == 200
    assert (edited.json()["name"], edited.json()["email"]) == ("Renamed", "new.address@example.com")
    assert (await client.get("/api/auth/me", headers=member.headers)).status_code == 200
    login = await client.post(
        "/api/auth/login", json={"email": "new.address@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200
    other = await make_user("user")
    clash = await client.patch(url, json={"email": other.email}, headers=admin.headers)
    assert clash.status_code == 409
    assert clash.json()["error"] == "email_taken"
    unknown = await client.patch(url, json={"nickname": "x"}, headers=admin.headers)
    assert unknown.status_code == 422


async def test_sign_out_everywhere_ends_tokens_and_sessions(
    running: Running, member: Account, admin: Account
) -> None:
    client = running.client
    login = await client.post("/api/auth/login", json={"email": member.email, "password": PASSWORD})
    assert login.status_code == 200
    signed_out = await client.post(f"/api/admin/users/{member.id}/sign-out", headers=admin.headers)
    assert signed_out.status_code == 204
    fresh = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await client.get("/api/auth/me", headers=fresh)).status_code == 401
    assert (await client.post("/api/auth/refresh")).status_code == 401
    # the account itself still works: signing in again opens a new session
    again = await client.post("/api/auth/login", json={"email": member.email, "password": PASSWORD})
    assert again.status_code == 200
    missing = await client.post("/api/admin/users/nobody/sign-out", headers=admin.headers)
    assert missing.status_code == 404
