"""What an app's registration can do to others: its key never follows a changed base URL, an
operator restricts where apps may point (so `/test` probes nothing else), keys are plain
ASCII, and one broken app never breaks the list of apps for everyone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from rechat_shared.crypto import SecretBox
from rechat_shared.testing.emulator import RunningEmulator

from ..conftest import SECRET, Gateway
from .test_apps import _app_body


async def _create(gateway: Gateway, body: dict[str, Any]) -> dict[str, Any]:
    response = await gateway.client.post(
        "/api/admin/apps", json=body, headers=gateway.mint(role="admin")
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_moved_app_needs_its_key_again(
    gateway: Gateway, dify_emulator: RunningEmulator, dify_emulator_015: RunningEmulator
) -> None:
    admin = gateway.mint(role="admin")
    app = await _create(gateway, _app_body(dify_emulator))
    url = f"/api/admin/apps/{app['id']}"
    moved = await gateway.client.patch(
        url, json={"base_url": "https://collector.example.net/v1"}, headers=admin
    )
    assert moved.status_code == 422
    assert moved.json()["detail"].startswith("api_key")
    unchanged = await gateway.client.get(url, headers=admin)
    assert unchanged.json()["base_url"] == dify_emulator.base_url
    # another Dify (its mode is detected there, so it must answer: the second emulator)
    elsewhere = dify_emulator_015.base_url
    with_key = await gateway.client.patch(
        url,
        json={"base_url": elsewhere, "api_key": dify_emulator_015.keys["chat"]},
        headers=admin,
    )
    assert with_key.status_code == 200, with_key.text
    same_url = await gateway.client.patch(
        url, json={"base_url": elsewhere, "name": "Same"}, headers=admin
    )
    assert same_url.status_code == 200


async def test_an_operator_restricts_where_apps_may_point(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    admin = gateway.mint(role="admin")
    app = await _create(gateway, _app_body(dify_emulator))  # 127.0.0.1, allowed so far
    gateway.app.state.clients.settings.dify_allowed_hosts = "dify.example.com localhost"
    refused = await gateway.client.post(
        "/api/admin/apps",
        json=_app_body(dify_emulator, base_url="http://169.254.169.254/latest"),
        headers=admin,
    )
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("base_url")
    # an allowed host is asked for the app's mode (so it must be a Dify that answers)
    port = dify_emulator.base_url.rsplit(":", 1)[1].split("/")[0]
    ok = await gateway.client.post(
        "/api/admin/apps",
        json=_app_body(dify_emulator, base_url=f"http://localhost:{port}/v1"),
        headers=admin,
    )
    assert ok.status_code == 201, ok.text
    probe = await gateway.client.post(f"/api/admin/apps/{app['id']}/test", headers=admin)
    assert probe.json() == {
        "ok": False,
        "reason": "The app's host is not one apps may point at",
        "info": None,
    }


async def test_keys_must_be_plain_ascii(gateway: Gateway, dify_emulator: RunningEmulator) -> None:
    admin = gateway.mint(role="admin")
    for key in ("app-ключ", "app key", "app-\x00"):
        response = await gateway.client.post(
            "/api/admin/apps", json=_app_body(dify_emulator, api_key=key), headers=admin
        )
        assert response.status_code == 422, key
        assert response.json()["detail"].startswith("api_key")
    app = await _create(gateway, _app_body(dify_emulator))
    patched = await gateway.client.patch(
        f"/api/admin/apps/{app['id']}", json={"api_key": "app-ключ"}, headers=admin
    )
    assert patched.status_code == 422


async def test_app_names_with_control_or_bidi_characters_are_refused(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    admin = gateway.mint(role="admin")
    for name in ("Support\x00", "Tr\u202eoppus", "Line\nbreak"):
        response = await gateway.client.post(
            "/api/admin/apps", json={**_app_body(dify_emulator), "name": name}, headers=admin
        )
        assert response.status_code == 422, repr(name)
        assert response.json()["error"] == "validation_error"
    app = await _create(gateway, {**_app_body(dify_emulator), "name": "Support"})
    patched = await gateway.client.patch(
        f"/api/admin/apps/{app['id']}", json={"name": "\u2067Support"}, headers=admin
    )
    assert patched.status_code == 422
    listed = await gateway.client.get(f"/api/admin/apps/{app['id']}", headers=admin)
    assert listed.json()["name"] == "Support"


async def test_one_broken_app_never_fails_the_list(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    good = await _create(gateway, _app_body(dify_emulator, name="Good"))
    broken = await _create(gateway, _app_body(dify_emulator, name="Broken"))
    # stored before keys were validated: a key no HTTP header can carry
    async with gateway.app.state.sessions() as session:
        await session.execute(
            text("UPDATE apps SET api_key_encrypted = :key WHERE id = :id"),
            {"key": SecretBox(SECRET).encrypt("app-ключ"), "id": broken["id"]},
        )
        await session.commit()
    gateway.app.state.clients.app_cache.forget(broken["id"])
    listed = await gateway.client.get("/api/apps", headers=gateway.mint())
    assert listed.status_code == 200
    assert {app["name"] for app in listed.json()} == {"Good", "Broken"}
    assert next(a for a in listed.json() if a["id"] == good["id"])["user_input_form"] is not None
