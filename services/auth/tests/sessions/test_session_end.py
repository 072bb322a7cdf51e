"""A session ends at once: logout voids its access tokens (not only the refresh cookie), and a
lost revocation entry in Redis fails closed (the token is refused; renewing asks the database)."""

from __future__ import annotations

import httpx

from rechat_auth.testing import PASSWORD, Account, MakeUser, Running


async def sign_in(running: Running, email: str) -> tuple[httpx.AsyncClient, dict[str, str]]:
    client = await httpx.AsyncClient(
        transport=httpx.ASGITransport(app=running.app), base_url="http://testserver"
    ).__aenter__()
    response = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    return client, {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_logout_ends_the_access_token_at_once(running: Running, member: Account) -> None:
    laptop, laptop_token = await sign_in(running, member.email)
    phone, phone_token = await sign_in(running, member.email)
    try:
        assert (await laptop.get("/api/auth/me", headers=laptop_token)).status_code == 200
        assert (await laptop.post("/api/auth/logout")).status_code == 204
        after = await laptop.get("/api/auth/me", headers=laptop_token)
        assert after.status_code == 401
        assert after.json()["error"] == "token_revoked"
        # the other session of the same account goes on, and refreshes keep working there
        assert (await phone.get("/api/auth/me", headers=phone_token)).status_code == 200
        refreshed = await phone.post("/api/auth/refresh")
        assert refreshed.status_code == 200
        token = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        assert (await phone.get("/api/auth/me", headers=token)).status_code == 200
    finally:
        await laptop.aclose()
        await phone.aclose()


async def test_a_lost_state_entry_fails_closed(running: Running, make_user: MakeUser) -> None:
    member = await make_user("user")
    client, token = await sign_in(running, member.email)
    try:
        admin = await make_user("admin")
        deactivated = await client.patch(
            f"/api/admin/users/{member.id}", json={"active": False}, headers=admin.headers
        )
        assert deactivated.status_code == 200
        assert (await client.get("/api/auth/me", headers=token)).status_code == 403
        # the entry that says "disabled" is lost (evicted, Redis emptied)
        await running.runtime.redis.delete(running.runtime.keys.user_state(member.id))
        refused = await client.get("/api/auth/me", headers=token)
        assert refused.status_code == 401
        assert refused.json()["error"] == "token_revoked"
        # renewing goes to the database, which knows the account is deactivated (its sessions
        # were revoked with it)
        renewed = await client.post("/api/auth/refresh")
        assert renewed.status_code in (401, 403)
        assert renewed.json()["error"] in ("invalid_refresh_token", "account_disabled")
    finally:
        await client.aclose()
