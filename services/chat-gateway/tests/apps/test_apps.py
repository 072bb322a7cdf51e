"""The apps registry: admin CRUD with encrypted keys, visibility, parameters, key checks."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from rechat_shared.crypto import SecretBox
from rechat_shared.testing.emulator import RunningEmulator

from ..conftest import SECRET, Gateway


def _app_body(emulator: RunningEmulator, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Helper",
        "description": "Answers",
        "icon": "🤖",
        "base_url": emulator.base_url,
        "api_key": emulator.keys["chat"],
        "mode": "chat",
    }
    return {**body, **overrides}


async def test_admin_creates_an_app_whose_key_is_encrypted_and_never_returned(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    admin = gateway.mint(role="admin")
    response = await gateway.client.post(
        "/api/admin/apps", json=_app_body(dify_emulator), headers=admin
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert "api_key" not in created
    assert "app-emulator-chat" not in response.text
    assert created["api_key_hint"] == "app-…chat"
    assert created["visible_to_roles"] == ["admin", "user"]
    async with gateway.app.state.sessions() as session:
        stored = (
            await session.execute(
                text("SELECT api_key_encrypted FROM apps WHERE id = :id"), created
            )
        ).scalar_one()
    assert "app-emulator-chat" not in stored
    assert SecretBox(SECRET).decrypt(stored).get_secret_value() == "app-emulator-chat"

    listed = await gateway.client.get("/api/admin/apps", headers=admin)
    assert [app["id"] for app in listed.json()] == [created["id"]]
    patched = await gateway.client.patch(
        f"/api/admin/apps/{created['id']}",
        json={"name": "Renamed", "api_key": dify_emulator.keys["agent-chat"]},
        headers=admin,
    )
    assert patched.json()["name"] == "Renamed"
    assert patched.json()["api_key_hint"] == "app-…gent"
    assert patched.json()["mode"] == "agent-chat"  # a new key: its mode is detected again
    deleted = await gateway.client.delete(f"/api/admin/apps/{created['id']}", headers=admin)
    assert deleted.status_code == 204
    missing = await gateway.client.get(f"/api/admin/apps/{created['id']}", headers=admin)
    assert missing.status_code == 404


async def test_admin_routes_need_the_admin_role(gateway: Gateway) -> None:
    assert (await gateway.client.get("/api/admin/apps")).status_code == 401
    user = gateway.mint(role="user")
    response = await gateway.client.get("/api/admin/apps", headers=user)
    assert response.status_code == 403
    assert response.json()["error"] == "admin_required"


async def test_users_see_enabled_apps_of_their_role_described_by_dify(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    admin = gateway.mint(role="admin")
    shown = await gateway.client.post(
        "/api/admin/apps", json=_app_body(dify_emulator), headers=admin
    )
    await gateway.client.post(
        "/api/admin/apps",
        json=_app_body(dify_emulator, name="Admins only", visible_to_roles=["admin"]),
        headers=admin,
    )
    await gateway.client.post(
        "/api/admin/apps", json=_app_body(dify_emulator, name="Off", enabled=False), headers=admin
    )
    apps = (await gateway.client.get("/api/apps", headers=gateway.mint())).json()
    assert [app["name"] for app in apps] == ["Helper"]
    app = apps[0]
    assert app["id"] == shown.json()["id"]
    assert app["opening_statement"] == "Hello! I am the fixture bot."
    assert app["suggested_questions"] == ["What can you do?", "Show me markdown"]
    assert [next(iter(item)) for item in app["user_input_form"]] == ["text-input", "select"]
    assert app["file_upload"]["enabled"] is True
    assert app["suggested_questions_after_answer"] is True
    admin_apps = (await gateway.client.get("/api/apps", headers=admin)).json()
    assert [app["name"] for app in admin_apps] == ["Admins only", "Helper"]

    pending = await gateway.client.get("/api/apps", headers=gateway.mint(role="pending"))
    assert pending.status_code == 403


async def test_parameters_are_refreshed_when_the_app_changes(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    admin = gateway.mint(role="admin")
    created = (
        await gateway.client.post("/api/admin/apps", json=_app_body(dify_emulator), headers=admin)
    ).json()
    user = gateway.mint()
    first = (await gateway.client.get("/api/apps", headers=user)).json()[0]
    assert first["opening_statement"]
    await gateway.client.patch(
        f"/api/admin/apps/{created['id']}",
        json={"api_key": dify_emulator.keys["workflow"]},
        headers=admin,
    )
    second = (await gateway.client.get("/api/apps", headers=user)).json()[0]
    assert second["mode"] == "workflow"
    assert second["opening_statement"] is None
    assert [next(iter(item)) for item in second["user_input_form"]] == ["text-input"]


async def test_key_check_reports_why_it_fails(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    admin = gateway.mint(role="admin")
    good = (
        await gateway.client.post("/api/admin/apps", json=_app_body(dify_emulator), headers=admin)
    ).json()
    result = (await gateway.client.post(f"/api/admin/apps/{good['id']}/test", headers=admin)).json()
    assert result["ok"] is True
    assert result["info"]["name"] == "Emulator Chat"
    async with gateway.app.state.sessions() as session, session.begin():
        await session.execute(
            text("UPDATE apps SET api_key_encrypted = :key WHERE id = :id"),
            {"key": SecretBox(SECRET).encrypt("app-wrong"), "id": good["id"]},
        )
    gateway.app.state.clients.app_cache.forget(good["id"])
    result = (await gateway.client.post(f"/api/admin/apps/{good['id']}/test", headers=admin)).json()
    assert result["ok"] is False
    assert "rejected the API key" in result["reason"]


async def test_the_mode_is_detected_from_dify_for_every_kind_of_app(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    admin = gateway.mint(role="admin")
    for mode in ("chat", "agent-chat", "advanced-chat", "workflow", "completion"):
        body = _app_body(dify_emulator, name=mode, api_key=dify_emulator.keys[mode])
        del body["mode"]
        created = await gateway.client.post("/api/admin/apps", json=body, headers=admin)
        assert created.status_code == 201, created.text
        assert created.json()["mode"] == mode
    # the probes created nothing in Dify: no conversation for the probe's end user
    conversations = httpx.get(
        f"{dify_emulator.base_url}/conversations",
        params={"user": "rechat-mode-probe"},
        headers={"Authorization": f"Bearer {dify_emulator.keys['chat']}"},
    )
    assert conversations.json()["data"] == []


async def test_a_named_mode_that_dify_contradicts_is_refused(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    admin = gateway.mint(role="admin")
    body = _app_body(dify_emulator, api_key=dify_emulator.keys["workflow"], mode="chat")
    response = await gateway.client.post("/api/admin/apps", json=body, headers=admin)
    assert response.status_code == 400
    assert response.json() == {
        "error": "mode_mismatch",
        "detail": "The key belongs to a workflow app, not a chat app",
    }
    unreachable = _app_body(dify_emulator, api_key="app-wrong")
    response = await gateway.client.post("/api/admin/apps", json=unreachable, headers=admin)
    assert response.status_code == 400
    assert response.json()["error"] == "app_check_failed"
    assert "rejected the API key" in response.json()["detail"]


async def test_the_key_check_refuses_an_app_registered_under_another_mode(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    """An app registered before its mode was detected: a workflow key stored as `chat`."""
    admin = gateway.mint(role="admin")
    body = _app_body(dify_emulator, api_key=dify_emulator.keys["workflow"], mode=None)
    created = (await gateway.client.post("/api/admin/apps", json=body, headers=admin)).json()
    async with gateway.app.state.sessions() as session, session.begin():
        await session.execute(
            text("UPDATE apps SET mode = 'chat' WHERE id = :id"), {"id": created["id"]}
        )
    result = (
        await gateway.client.post(f"/api/admin/apps/{created['id']}/test", headers=admin)
    ).json()
    assert result["ok"] is False
    assert "belongs to a workflow app, but it is registered as chat" in result["reason"]
    fixed = await gateway.client.patch(
        f"/api/admin/apps/{created['id']}", json={"mode": "workflow"}, headers=admin
    )
    assert fixed.json()["mode"] == "workflow"
    result = (
        await gateway.client.post(f"/api/admin/apps/{created['id']}/test", headers=admin)
    ).json()
    assert result["ok"] is True
    unreachable = await gateway.client.post(
        "/api/admin/apps",
        json=_app_body(dify_emulator, base_url="http://127.0.0.1:9/v1"),
        headers=admin,
    )
    assert unreachable.status_code == 400
    assert "Cannot reach Dify" in unreachable.json()["detail"]


async def test_an_app_opened_to_a_group_is_seen_and_used_by_its_members_only(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    admin = gateway.mint(role="admin")
    body = _app_body(dify_emulator, name="Lab bot", visible_to_roles=[])
    created = await gateway.client.post(
        "/api/admin/apps", json={**body, "visible_to_groups": ["g-lab", "g-lab"]}, headers=admin
    )
    assert created.status_code == 201
    app = created.json()
    assert app["visible_to_groups"] == ["g-lab"]
    member, outsider = gateway.mint(groups=["g-other", "g-lab"]), gateway.mint(groups=["g-x"])

    async def names(headers: dict[str, str]) -> list[str]:
        return [a["name"] for a in (await gateway.client.get("/api/apps", headers=headers)).json()]

    assert await names(member) == ["Lab bot"]
    assert await names(outsider) == []
    turn = {"app_id": app["id"], "query": "hello"}
    refused = await gateway.client.post("/api/chat/messages", json=turn, headers=outsider)
    assert refused.status_code == 404
    assert refused.json()["error"] == "app_not_found"
    upload = await gateway.client.post(
        "/api/files",
        data={"app_id": app["id"]},
        files={"file": ("a.txt", b"hi", "text/plain")},
        headers=outsider,
    )
    assert upload.status_code == 404
    # opening it to the user role shows it to everyone; closing the group hides it again
    opened = await gateway.client.patch(
        f"/api/admin/apps/{app['id']}",
        json={"visible_to_roles": ["user"], "visible_to_groups": []},
        headers=admin,
    )
    assert opened.status_code == 200
    assert await names(outsider) == ["Lab bot"]
    too_many = await gateway.client.patch(
        f"/api/admin/apps/{app['id']}",
        json={"visible_to_groups": [f"g{i}" for i in range(201)]},
        headers=admin,
    )
    assert too_many.status_code == 422
