"""Preferences live on the server per user: defaults, partial changes, validation, privacy."""

from __future__ import annotations

import httpx

from rechat_auth.testing import Account, MakeUser

URL = "/api/auth/me/preferences"


async def test_defaults_then_partial_changes_follow_the_user(
    client: httpx.AsyncClient, member: Account
) -> None:
    defaults = (await client.get(URL, headers=member.headers)).json()
    assert defaults["theme"] == "system"
    assert defaults["send_with"] == "enter"
    assert defaults["language"] is None
    changed = await client.patch(
        URL,
        json={
            "theme": "oled-dark",
            "send_with": "ctrl_enter",
            "language": "zh-CN",
            "tts_rate": 1.5,
        },
        headers=member.headers,
    )
    assert changed.status_code == 200
    again = await client.patch(URL, json={"wide_screen": True}, headers=member.headers)
    body = again.json()
    assert (body["theme"], body["send_with"], body["language"]) == (
        "oled-dark",
        "ctrl_enter",
        "zh-CN",
    )
    assert body["wide_screen"] is True
    assert body["tts_rate"] == 1.5
    # null puts a nullable setting back to its default; a non-nullable one is left alone
    reset = await client.patch(URL, json={"language": None, "theme": None}, headers=member.headers)
    assert reset.json()["language"] is None
    assert reset.json()["theme"] == "oled-dark"
    assert (await client.get(URL, headers=member.headers)).json() == reset.json()


async def test_bad_values_are_refused_and_change_nothing(
    client: httpx.AsyncClient, member: Account
) -> None:
    await client.patch(URL, json={"theme": "dark"}, headers=member.headers)
    for bad in ({"theme": "neon"}, {"tts_rate": 9}, {"send_with": "shift"}, {"colour": "red"}):
        response = await client.patch(URL, json=bad, headers=member.headers)
        assert response.status_code == 422, bad
        assert response.json()["error"] == "validation_error"
    assert (await client.get(URL, headers=member.headers)).json()["theme"] == "dark"


async def test_each_user_has_their_own_and_strangers_none(
    client: httpx.AsyncClient, member: Account, make_user: MakeUser
) -> None:
    other = await make_user("user")
    await client.patch(URL, json={"theme": "light"}, headers=member.headers)
    assert (await client.get(URL, headers=other.headers)).json()["theme"] == "system"
    assert (await client.get(URL)).status_code == 401
    waiting = await make_user("pending")
    assert (await client.get(URL, headers=waiting.headers)).status_code == 403
