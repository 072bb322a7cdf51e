"""Uploads a user's file to the Dify app it is meant for."""

from __future__ import annotations

from rechat_gateway.apps.service import AppService
from rechat_gateway.files.schemas import FileKind, UploadedFile
from rechat_shared.dify import DifyAPIError, DifyBadRequestError, DifyError
from rechat_shared.errors import BadGateway, FileRejected, PayloadTooLarge
from rechat_shared.redis import dify_user_id
from rechat_shared.security import Principal

DOCUMENT_TYPES = ("application/pdf", "text/", "application/msword", "application/vnd.")


def file_kind(mime_type: str) -> FileKind:
    """Dify's file `type` for a MIME type."""
    for prefix, kind in (("image/", "image"), ("audio/", "audio"), ("video/", "video")):
        if mime_type.startswith(prefix):
            return kind  # type: ignore[return-value]
    if mime_type.startswith(DOCUMENT_TYPES):
        return "document"
    return "custom"


async def upload(
    apps: AppService,
    principal: Principal,
    app_id: str,
    name: str,
    content: bytes,
    mime_type: str,
    max_bytes: int,
) -> UploadedFile:
    if len(content) > max_bytes:
        raise PayloadTooLarge(f"The file exceeds {max_bytes} bytes")
    app = await apps.get_visible(app_id, principal)
    try:
        uploaded = await apps.dify.upload_file(
            apps.dify_app(app), dify_user_id(principal.user_id), name, content, mime_type
        )
    except DifyBadRequestError as exc:
        raise FileRejected(f"Dify refused the file: {exc.message}") from exc
    except DifyAPIError as exc:
        raise BadGateway(f"Dify could not store the file ({exc.status})") from exc
    except DifyError as exc:
        raise BadGateway("Dify is unavailable") from exc
    kind = uploaded.mime_type or mime_type
    return UploadedFile(
        id=uploaded.id,
        name=uploaded.name,
        size=uploaded.size,
        mime_type=kind,
        type=file_kind(kind),
    )
