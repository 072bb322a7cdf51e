"""Sign-up settings: read and change (admins only), validated."""

from __future__ import annotations

import httpx

from rechat_auth.testing import Account


async def test_read_and_change_settings(client: httpx.AsyncClient, admin: Account) -> None:
    url = "/api/admin/settings"
    assert (await client.get(url, headers=admin.headers)).json() == {
        "signup_open": True,
        "default_role": "pending",
    }
    changed = await client.patch(url, json={"default_role": "user"}, headers=admin.headers)
    assert changed.json() == {"signup_open": True, "default_role": "user"}
    changed = await client.patch(url, json={"signup_open": False}, headers=admin.headers)
    assert changed.json() == {"signup_open": False, "default_role": "user"}
    assert (await client.get(url, headers=admin.headers)).json() == changed.json()


async def test_default_role_cannot_be_admin(client: httpx.AsyncClient, admin: Account) -> None:
    response = await client.patch(
        "/api/admin/settings", json={"default_role": "admin"}, headers=admin.headers
    )
    assert response.status_code == 422
