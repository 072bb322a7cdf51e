"""Routes of an app's voice (under /api/apps, so every proxy already sends them here)."""

from __future__ import annotations

from fastapi import APIRouter, Response, UploadFile

from rechat_gateway.apps.dependencies import AppServiceDep
from rechat_gateway.audio import service
from rechat_gateway.audio.schemas import SpeechRequest, SpeechText
from rechat_shared.errors import error_responses
from rechat_shared.security import ActiveUser

router = APIRouter(tags=["audio"], responses=error_responses(400, 401, 403, 404, 413, 502))


@router.post("/api/apps/{app_id}/speech-to-text", response_model=SpeechText)
async def speech_to_text(
    principal: ActiveUser, app_id: str, file: UploadFile, apps: AppServiceDep
) -> SpeechText:
    """Transcribe a recording with the app's Dify audio-to-text (the app must enable it)."""
    content = await file.read(service.MAX_AUDIO_BYTES + 1)
    text = await service.speech_to_text(
        apps,
        principal,
        app_id,
        file.filename or "speech.webm",
        content,
        file.content_type or "application/octet-stream",
    )
    return SpeechText(text=text)


@router.post(
    "/api/apps/{app_id}/text-to-speech",
    response_class=Response,
    responses={200: {"content": {"audio/mpeg": {}}, "description": "The spoken text"}},
)
async def text_to_speech(
    principal: ActiveUser, app_id: str, body: SpeechRequest, apps: AppServiceDep
) -> Response:
    """Read a text aloud with the app's Dify text-to-audio (the app must enable it)."""
    audio, content_type = await service.text_to_speech(apps, principal, app_id, body.text)
    return Response(audio, media_type=content_type)
