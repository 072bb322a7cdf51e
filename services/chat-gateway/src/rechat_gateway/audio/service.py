"""Voice calls to the app's Dify: a refusal (feature off, bad audio) is a 400, an outage a 502."""

from __future__ import annotations

from rechat_gateway.apps.service import AppService
from rechat_shared.dify import DifyAPIError, DifyBadRequestError, DifyError
from rechat_shared.errors import BadGateway, PayloadTooLarge, SpeechRejected
from rechat_shared.redis import dify_user_id
from rechat_shared.security import Principal

MAX_AUDIO_BYTES = 30 * 1024 * 1024
"""Dify's own limit on an audio-to-text upload."""


def _refused(exc: DifyError) -> Exception:
    if isinstance(exc, DifyBadRequestError):
        return SpeechRejected(f"Dify refused: {exc.message}")
    if isinstance(exc, DifyAPIError):
        return BadGateway(f"Dify could not process the audio ({exc.status})")
    return BadGateway("Dify is unavailable")


async def speech_to_text(
    apps: AppService,
    principal: Principal,
    app_id: str,
    name: str,
    content: bytes,
    mime_type: str,
) -> str:
    if len(content) > MAX_AUDIO_BYTES:
        raise PayloadTooLarge(f"The recording exceeds {MAX_AUDIO_BYTES} bytes")
    app = await apps.get_visible(app_id, principal)
    try:
        transcript = await apps.dify.audio_to_text(
            apps.dify_app(app), dify_user_id(principal.user_id), name, content, mime_type
        )
    except DifyError as exc:
        raise _refused(exc) from exc
    return transcript.text


async def text_to_speech(
    apps: AppService, principal: Principal, app_id: str, text: str
) -> tuple[bytes, str]:
    app = await apps.get_visible(app_id, principal)
    try:
        return await apps.dify.text_to_audio(
            apps.dify_app(app), dify_user_id(principal.user_id), text=text, message_id=None
        )
    except DifyError as exc:
        raise _refused(exc) from exc
