"""Speech routes: ``/text-to-audio`` (an MP3 stream) and ``/audio-to-text`` (a transcript).

Both answer 400 ``invalid_param`` while the app has the feature off (``text_to_speech`` /
``speech_to_text`` in the app configuration), as Dify does. The emulated speech model is
deterministic: the audio is ``AUDIO_FRAMES_PER_CHAR`` silent MPEG frames per character of the
text, and the transcript of an upload is its bytes read as UTF-8 (so a test chooses the
transcript by uploading that text as ``audio/wav``), or ``Transcript of N bytes of audio.``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.responses import Response, StreamingResponse

from rechat_dify_emulator.http import (
    DifyHTTPError,
    authenticate,
    invalid,
    json_body,
    json_response,
)
from rechat_dify_emulator.state import EmulatorState

router = APIRouter()

AUDIO_LIMIT_MB = 30
AUDIO_TYPES_015 = ("mp3", "mp4", "mpeg", "mpga", "m4a", "wav", "webm", "amr")
AUDIO_TYPES_CURRENT = ("mp3", "m4a", "wav", "amr", "mpga")
"""The accepted part Content-Types, ``audio/<type>`` (DIFY_API.md: today's list is shorter)."""

ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x00"
SILENT_FRAME = b"\xff\xfb\x90\x64" + bytes(413)
"""One MPEG-1 Layer III frame (128 kbit/s, 44.1 kHz, 417 bytes) of silence."""
AUDIO_FRAMES_PER_CHAR = 2


def _state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


@router.post("/v1/text-to-audio")
async def text_to_audio(request: Request) -> Response:
    """The speech of ``text`` or of a message's answer (``message_id``), as ``audio/mpeg``."""
    state = _state(request)
    app = authenticate(request, state.apps)
    body = await json_body(request)
    text = body.get("text")
    message_id = body.get("message_id")
    if message_id:
        message = state.store.messages.get(str(message_id))
        if message is None or message.app_key != app.key or message.answer == "":
            return json_response(state.profile, None)  # Dify answers ``null``
        text = message.answer
    elif not text:
        raise invalid("Text is required")
    if not app.text_to_speech:
        raise invalid("TTS is not enabled")
    frames = max(1, len(str(text).strip())) * AUDIO_FRAMES_PER_CHAR

    async def audio() -> AsyncIterator[bytes]:
        yield ID3
        for _ in range(frames):
            yield SILENT_FRAME

    return StreamingResponse(audio(), media_type="audio/mpeg")


@router.post("/v1/audio-to-text")
async def audio_to_text(request: Request) -> Response:
    """The transcript of an uploaded recording (multipart ``file`` and ``user``)."""
    state = _state(request)
    app = authenticate(request, state.apps)
    form = await request.form()
    if not app.speech_to_text:
        raise invalid("Speech to text is not enabled")
    upload = form.get("file")
    if not isinstance(upload, StarletteUpload):
        raise DifyHTTPError(400, "no_audio_uploaded", "Please upload your audio.")
    types = AUDIO_TYPES_015 if state.profile.name == "0.15" else AUDIO_TYPES_CURRENT
    if upload.content_type not in [f"audio/{kind}" for kind in types]:
        raise DifyHTTPError(415, "unsupported_audio_type", "Audio type not allowed.")
    content = await upload.read()
    if len(content) > AUDIO_LIMIT_MB * 1024 * 1024:
        message = f"Audio size larger than {AUDIO_LIMIT_MB} mb"
        raise DifyHTTPError(413, "audio_too_large", message)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = f"Transcript of {len(content)} bytes of audio."
    return json_response(state.profile, {"text": text})
