"""Login: the session and its cookie, one answer for every bad credential, throttling."""

from __future__ import annotations

import httpx

from rechat_auth.testing import PASSWORD, Account, MakeUser, StartAuth


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


async def test_login_answers_a_session_and_a_strict_cookie(
    client: httpx.AsyncClient, member: Account
) -> None:
    response = await login(client, member.email.upper())  # emails are case-insensitive
    assert response.status_code == 200
    session = response.json()
    assert session["user"]["id"] == member.id
    assert session["user"]["last_login_at"] is not None
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("rechat_refresh=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/api/auth" in cookie
    assert "Secure" not in cookie  # plain http here; https adds it (below)
    me = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {session['access_token']}"}
    )
    assert me.status_code == 200


async def test_cookie_is_secure_over_https(client: httpx.AsyncClient, member: Account) -> None:
    response = await client.post(
        "https://testserver/api/auth/login", json={"email": member.email, "password": PASSWORD}
    )
    assert "Secure" in response.headers["set-cookie"]


async def test_wrong_password_and_unknown_email_look_the_same(
    client: httpx.AsyncClient, member: Account
) -> None:
    wrong_password = await login(client, member.email, "not the password")
    unknown_email = await login(client, "nobody@example.com")
    malformed_email = await login(client, "not an email")
    for response in (wrong_password, unknown_email, malformed_email):
        assert response.status_code == 401
        assert response.json() == {
            "error": "invalid_credentials",
            "detail": "Invalid email or password",
        }
    assert "set-cookie" not in wrong_password.headers


async def test_deactivated_account_is_refused_with_403(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    gone = await make_user("user", active=False)
    response = await login(client, gone.email)
    assert response.status_code == 403
    assert response.json()["error"] == "account_disabled"
    # a wrong password still says nothing about the account
    assert (await login(client, gone.email, "wrong password")).status_code == 401


async def test_pending_account_signs_in_with_its_role(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    waiting = await make_user("pending")
    response = await login(client, waiting.email)
    assert response.status_code == 200
    assert response.json()["user"]["role"] == "pending"


async def test_failures_per_email_are_throttled(start_auth: StartAuth, password_hash: str) -> None:
    async with start_auth(login_max_failures_per_email=3, login_window_seconds=120) as auth:
        await auth.client.post(
            "/api/auth/register",
            json={"email": "victim@example.com", "password": PASSWORD, "name": "V"},
        )
        for _ in range(3):
            assert (await login(auth.client, "victim@example.com", "guess 1234")).status_code == 401
        throttled = await login(auth.client, "Victim@example.com")  # even the right password
        assert throttled.status_code == 429
        assert throttled.json()["error"] == "login_throttled"
        assert 0 < int(throttled.headers["Retry-After"]) <= 120
        # another email from the same address is not affected by this email's count
        assert (await login(auth.client, "other@example.com")).status_code == 401


async def test_success_clears_the_email_count(start_auth: StartAuth) -> None:
    async with start_auth(login_max_failures_per_email=2) as auth:
        await auth.client.post(
            "/api/auth/register",
            json={"email": "user@example.com", "password": PASSWORD, "name": "U"},
        )
        for _ in range(2):
            assert (await login(auth.client, "user@example.com", "nope nope")).status_code == 401
            assert (await login(auth.client, "user@example.com")).status_code == 200


async def test_failures_per_address_are_throttled(start_auth: StartAuth) -> None:
    async with start_auth(login_max_failures_per_ip=4) as auth:
        for attempt in range(4):
            response = await login(auth.client, f"spray{attempt}@example.com")
            assert response.status_code == 401
        throttled = await login(auth.client, "spray-last@example.com")
        assert throttled.status_code == 429
        assert int(throttled.headers["Retry-After"]) > 0
