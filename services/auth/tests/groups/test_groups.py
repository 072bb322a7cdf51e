"""Groups: the admin creates them and sets their members; a member's access token names its
groups, and joining or leaving revokes the member's tokens so the next one is right."""

from __future__ import annotations

import httpx
import jwt

from rechat_auth.testing import PASSWORD, Account, MakeUser, Running

URL = "/api/admin/groups"


def _groups_claim(token: str) -> list[str]:
    claims = jwt.decode(token, options={"verify_signature": False})
    return list(claims["groups"])


async def _login(client: httpx.AsyncClient, account: Account) -> str:
    response = await client.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    return str(response.json()["access_token"])


async def test_members_tokens_carry_their_groups(
    running: Running, admin: Account, member: Account
) -> None:
    client = running.client
    assert _groups_claim(await _login(client, member)) == []
    created = await client.post(
        URL,
        json={"name": "Research", "description": "the lab", "member_ids": [member.id]},
        headers=admin.headers,
    )
    assert created.status_code == 201
    group = created.json()
    assert (group["name"], group["member_ids"]) == ("Research", [member.id])
    assert _groups_claim(await _login(client, member)) == [group["id"]]
    listed = (await client.get(URL, headers=admin.headers)).json()
    assert [(g["name"], g["member_ids"]) for g in listed] == [("Research", [member.id])]


async def test_joining_or_leaving_revokes_the_members_tokens_only(
    running: Running, admin: Account, member: Account, make_user: MakeUser
) -> None:
    client = running.client
    bystander = await make_user("user")
    group = (await client.post(URL, json={"name": "Ops"}, headers=admin.headers)).json()
    member_token = {"Authorization": f"Bearer {await _login(client, member)}"}
    bystander_token = {"Authorization": f"Bearer {await _login(client, bystander)}"}
    joined = await client.patch(
        f"{URL}/{group['id']}", json={"member_ids": [member.id]}, headers=admin.headers
    )
    assert joined.json()["member_ids"] == [member.id]
    assert (await client.get("/api/auth/me", headers=member_token)).status_code == 401
    assert (await client.get("/api/auth/me", headers=bystander_token)).status_code == 200
    assert _groups_claim(await _login(client, member)) == [group["id"]]
    member_token = {"Authorization": f"Bearer {await _login(client, member)}"}
    assert (await client.delete(f"{URL}/{group['id']}", headers=admin.headers)).status_code == 204
    assert (await client.get("/api/auth/me", headers=member_token)).status_code == 401
    assert _groups_claim(await _login(client, member)) == []


async def test_refusals(client: httpx.AsyncClient, admin: Account, member: Account) -> None:
    await client.post(URL, json={"name": "Sales"}, headers=admin.headers)
    taken = await client.post(URL, json={"name": "Sales"}, headers=admin.headers)
    assert taken.status_code == 409
    assert taken.json()["error"] == "group_exists"
    unknown = await client.post(
        URL, json={"name": "Ghosts", "member_ids": ["no-such-user"]}, headers=admin.headers
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "user_not_found"
    assert [g["name"] for g in (await client.get(URL, headers=admin.headers)).json()] == ["Sales"]
    missing = await client.patch(f"{URL}/nope", json={"name": "x"}, headers=admin.headers)
    assert missing.status_code == 404
    assert missing.json()["error"] == "group_not_found"
    for bad in ({"name": ""}, {"name": "x", "colour": 1}, {"member_ids": "everyone"}):
        response = await client.post(URL, json=bad, headers=admin.headers)
        assert response.status_code == 422, bad
    assert (await client.get(URL, headers=member.headers)).status_code == 403
