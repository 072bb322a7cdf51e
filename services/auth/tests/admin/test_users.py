"""Admin user management: access, listing, role and activity changes, deletion, passwords,
and the last active admin that can never go."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from rechat_auth.testing import PASSWORD, Account, MakeUser, Running, UserEvents
from rechat_auth.users.repository import UserRepository

ADMIN_ROUTES = [
    ("GET", "/api/admin/users", None),
    ("POST", "/api/admin/users", {"name": "N", "email": "n@example.com", "password": "pw-123456"}),
    ("POST", "/api/admin/users/{id}/sign-out", None),
    ("PATCH", "/api/admin/users/{id}", {"role": "user"}),
    ("DELETE", "/api/admin/users/{id}", None),
    ("POST", "/api/admin/users/{id}/password", {"password": "new password!"}),
    ("GET", "/api/admin/settings", None),
    ("GET", "/api/admin/groups", None),
    ("POST", "/api/admin/groups", {"name": "Sneaky", "member_ids": ["{id}"]}),
    ("PATCH", "/api/admin/settings", {"signup_open": False}),
]


@pytest.mark.parametrize("role", ["user", "pending"])
async def test_non_admins_get_403_on_every_admin_route(
    client: httpx.AsyncClient, make_user: MakeUser, admin: Account, role: str
) -> None:
    caller = await make_user(role)
    for method, path, body in ADMIN_ROUTES:
        response = await client.request(
            method, path.format(id=admin.id), json=body, headers=caller.headers
        )
        assert response.status_code == 403, (method, path)
    # and nothing happened to the admin
    assert (await client.get("/api/auth/me", headers=admin.headers)).json()["role"] == "admin"


async def test_anonymous_gets_401_on_admin_routes(
    client: httpx.AsyncClient, admin: Account
) -> None:
    for method, path, body in ADMIN_ROUTES:
        response = await client.request(method, path.format(id=admin.id), json=body)
        assert response.status_code == 401, (method, path)


async def test_list_search_paginate_sort(
    client: httpx.AsyncClient, make_user: MakeUser, admin: Account
) -> None:
    for name in ("carol", "alice", "bob"):
        await make_user("user", email=f"{name}@corp.example.com")
    await make_user("user", email="zed_100%@other.example.com")

    async def page(**params: str | int) -> dict[str, object]:
        response = await client.get("/api/admin/users", params=params, headers=admin.headers)
        assert response.status_code == 200
        body: dict[str, object] = response.json()
        return body

    everyone = await page()
    assert everyone["total"] == 5
    corp = await page(q="CORP", sort="email")
    assert [user["email"] for user in corp["items"]] == [  # type: ignore[attr-defined]
        "alice@corp.example.com",
        "bob@corp.example.com",
        "carol@corp.example.com",
    ]
    second = await page(q="corp", sort="-email", limit=2, offset=2)
    assert second["total"] == 3
    assert [user["email"] for user in second["items"]] == ["alice@corp.example.com"]  # type: ignore[attr-defined]
    # LIKE wildcards in the query are literal
    assert (await page(q="_100%"))["total"] == 1
    assert (await page(q="%"))["total"] == 1
    bad = await client.get(
        "/api/admin/users", params={"sort": "password_hash"}, headers=admin.headers
    )
    assert bad.status_code == 422
    too_many = await client.get("/api/admin/users", params={"limit": 101}, headers=admin.headers)
    assert too_many.status_code == 422


async def test_role_change_revokes_tokens_and_sessions_and_publishes(
    running: Running, member: Account, admin: Account, user_events: UserEvents
) -> None:
    client = running.client
    login = await client.post("/api/auth/login", json={"email": member.email, "password": PASSWORD})
    response = await client.patch(
        f"/api/admin/users/{member.id}", json={"role": "admin"}, headers=admin.headers
    )
    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    assert (await client.get("/api/auth/me", headers=member.headers)).status_code == 401
    fresh = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await client.get("/api/auth/me", headers=fresh)).status_code == 401
    assert (await client.post("/api/auth/refresh")).status_code == 401
    (event,) = await user_events.wait_for(member.id, 1)
    assert event.model_dump(include={"type", "user_id", "change", "role", "active"}) == {
        "type": "user.changed",
        "user_id": member.id,
        "change": "updated",
        "role": "admin",
        "active": True,
    }


async def test_deactivate_then_reactivate(
    client: httpx.AsyncClient, member: Account, admin: Account
) -> None:
    url = f"/api/admin/users/{member.id}"
    assert (await client.patch(url, json={"active": False}, headers=admin.headers)).json()[
        "active"
    ] is False
    assert (await client.get("/api/auth/me", headers=member.headers)).status_code == 403
    assert (await client.patch(url, json={"active": True}, headers=admin.headers)).json()["active"]
    # old tokens stay void; a new login works again
    assert (await client.get("/api/auth/me", headers=member.headers)).status_code == 401
    login = await client.post("/api/auth/login", json={"email": member.email, "password": PASSWORD})
    assert login.status_code == 200
    token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await client.get("/api/auth/me", headers=token)).status_code == 200


async def test_unchanged_update_keeps_tokens(
    client: httpx.AsyncClient, member: Account, admin: Account
) -> None:
    response = await client.patch(
        f"/api/admin/users/{member.id}",
        json={"role": "user", "active": True},
        headers=admin.headers,
    )
    assert response.status_code == 200
    assert (await client.get("/api/auth/me", headers=member.headers)).status_code == 200


async def test_delete_user(
    running: Running, member: Account, admin: Account, user_events: UserEvents
) -> None:
    client = running.client
    response = await client.delete(f"/api/admin/users/{member.id}", headers=admin.headers)
    assert response.status_code == 204
    assert (await client.get("/api/auth/me", headers=member.headers)).status_code == 403
    login = await client.post("/api/auth/login", json={"email": member.email, "password": PASSWORD})
    assert login.status_code == 401
    again = await client.delete(f"/api/admin/users/{member.id}", headers=admin.headers)
    assert again.status_code == 404
    (event,) = await user_events.wait_for(member.id, 1)
    assert (event.change, event.role, event.active) == ("deleted", None, None)


async def test_admin_sets_a_password(
    client: httpx.AsyncClient, member: Account, admin: Account
) -> None:
    url = f"/api/admin/users/{member.id}/password"
    assert (
        await client.post(url, json={"password": "short"}, headers=admin.headers)
    ).status_code == 422
    response = await client.post(url, json={"password": "set by the admin"}, headers=admin.headers)
    assert response.status_code == 204
    assert (await client.get("/api/auth/me", headers=member.headers)).status_code == 401
    old = await client.post("/api/auth/login", json={"email": member.email, "password": PASSWORD})
    assert old.status_code == 401
    new = await client.post(
        "/api/auth/login", json={"email": member.email, "password": "set by the admin"}
    )
    assert new.status_code == 200


async def test_unknown_user_is_404(client: httpx.AsyncClient, admin: Account) -> None:
    url = "/api/admin/users/00000000-0000-0000-0000-000000000000"
    assert (
        await client.patch(url, json={"active": False}, headers=admin.headers)
    ).status_code == 404
    assert (await client.delete(url, headers=admin.headers)).status_code == 404
    reset = await client.post(
        url + "/password", json={"password": "whatever it is"}, headers=admin.headers
    )
    assert reset.status_code == 404


@pytest.mark.parametrize(
    ("method", "body"),
    [("PATCH", {"role": "user"}), ("PATCH", {"active": False}), ("DELETE", None)],
)
async def test_the_last_active_admin_is_protected(
    client: httpx.AsyncClient, make_user: MakeUser, admin: Account, method: str, body: object
) -> None:
    await make_user("admin", active=False)  # an inactive admin does not count
    url = f"/api/admin/users/{admin.id}"
    response = await client.request(method, url, json=body, headers=admin.headers)
    assert response.status_code == 409
    assert response.json()["error"] == "last_admin"
    assert (await client.get("/api/auth/me", headers=admin.headers)).json()["role"] == "admin"


async def test_an_admin_may_go_while_another_remains(
    client: httpx.AsyncClient, make_user: MakeUser, admin: Account
) -> None:
    other = await make_user("admin")
    demoted = await client.patch(
        f"/api/admin/users/{other.id}", json={"role": "user"}, headers=admin.headers
    )
    assert demoted.status_code == 200
    # now `admin` is the last one again
    last = await client.patch(
        f"/api/admin/users/{admin.id}", json={"active": False}, headers=admin.headers
    )
    assert last.status_code == 409


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    running: Running, make_user: MakeUser, admin: Account
) -> None:
    other = await make_user("admin")
    client = running.client
    results = await asyncio.gather(
        client.patch(f"/api/admin/users/{other.id}", json={"role": "user"}, headers=admin.headers),
        client.patch(f"/api/admin/users/{admin.id}", json={"role": "user"}, headers=other.headers),
    )
    # one wins; the other is refused as the last admin (or its caller was already demoted)
    assert sorted(result.status_code for result in results) in ([200, 401], [200, 409])
    async with running.runtime.sessions() as session:
        assert len(await UserRepository(session).active_admin_ids()) == 1
