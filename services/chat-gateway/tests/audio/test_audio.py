"""An app's voice: speech to text and text to speech through the app's Dify (the emulator)."""

from __future__ import annotations

import uuid

from rechat_shared.testing.emulator import RunningEmulator

from ..conftest import Gateway


async def _register(gateway: Gateway, emulator: RunningEmulator, key: str) -> str:
    body = {
        "name": f"Voice {key[-6:]}",
        "base_url": emulator.base_url,
        "api_key": key,
        "mode": "chat",
    }
    created = await gateway.client.post(
        "/api/admin/apps", json=body, headers=gateway.mint(role="admin")
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_an_app_with_speech_transcribes_and_reads_aloud(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    key = f"app-voice-{uuid.uuid4().hex[:8]}"
    dify_emulator.control(
        "PUT",
        f"/apps/{key}",
        json={"key": key, "mode": "chat", "speech_to_text": True, "text_to_speech": True},
    )
    voice = await _register(gateway, dify_emulator, key)
    silent = await _register(gateway, dify_emulator, dify_emulator.keys["chat"])
    user = gateway.mint()

    listed = {
        app["id"]: app for app in (await gateway.client.get("/api/apps", headers=user)).json()
    }
    assert (listed[voice]["speech_to_text"], listed[voice]["text_to_speech"]) == (True, True)
    assert (listed[silent]["speech_to_text"], listed[silent]["text_to_speech"]) == (False, False)

    # The emulator's transcript of an upload is its bytes read as text.
    heard = await gateway.client.post(
        f"/api/apps/{voice}/speech-to-text",
        files={"file": ("speech.wav", b"hello from the mic", "audio/wav")},
        headers=user,
    )
    assert heard.status_code == 200, heard.text
    assert heard.json() == {"text": "hello from the mic"}

    spoken = await gateway.client.post(
        f"/api/apps/{voice}/text-to-speech", json={"text": "Read me"}, headers=user
    )
    assert spoken.status_code == 200, spoken.text
    assert spoken.headers["content-type"].startswith("audio/mpeg")
    assert len(spoken.content) > 100


async def test_speech_is_refused_clearly_where_the_app_has_it_off(
    gateway: Gateway, dify_emulator: RunningEmulator
) -> None:
    silent = await _register(gateway, dify_emulator, dify_emulator.keys["chat"])
    user = gateway.mint()
    heard = await gateway.client.post(
        f"/api/apps/{silent}/speech-to-text",
        files={"file": ("speech.wav", b"words", "audio/wav")},
        headers=user,
    )
    assert heard.status_code == 400
    assert heard.json()["error"] == "speech_rejected"
    spoken = await gateway.client.post(
        f"/api/apps/{silent}/text-to-speech", json={"text": "Read me"}, headers=user
    )
    assert spoken.status_code == 400
    assert "TTS is not enabled" in spoken.json()["detail"]
    empty = await gateway.client.post(
        f"/api/apps/{silent}/text-to-speech", json={"text": ""}, headers=user
    )
    assert empty.status_code == 422
    unknown = await gateway.client.post(
        "/api/apps/no-such-app/text-to-speech", json={"text": "x"}, headers=user
    )
    assert unknown.status_code == 404
