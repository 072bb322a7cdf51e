"""Uploads a user's file to the Dify app it is meant for."""

from __future__ import annotations

from rechat_gateway.apps.service import AppService
from rechat_gateway.chat.ownership import ConversationDirectory
from rechat_gateway.files.schemas import FileKind, UploadedFile
from rechat_shared.dify import DifyAPIError, DifyBadRequestError, DifyError, DifyNotFoundError
from rechat_shared.errors import BadGateway, FileNotFound, FileRejected, PayloadTooLarge
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


async def preview(
    apps: AppService,
    directory: ConversationDirectory,
    principal: Principal,
    conversation_id: str,
    file_id: str,
    max_bytes: int,
) -> tuple[bytes, str]:
    """An image the caller attached in one of their conversations, fetched from Dify's signed
    preview URL (the browser never sees Dify's host, and only the owner's conversation is
    searched, so nobody reaches another user's file)."""
    owned = await directory.owned(conversation_id, principal.user_id)
    app = await apps.get_visible(owned.app_id, principal)
    if owned.dify_conversation_id is None:
        raise FileNotFound()
    dify_app = apps.dify_app(app)
    try:
        found = await apps.dify.find_user_file(
            dify_app, owned.dify_conversation_id, dify_user_id(principal.user_id), file_id
        )
        if found is None or not found.url:
            raise FileNotFound()
        content, kind = await apps.dify.download(dify_app, found.url, max_bytes)
    except DifyNotFoundError as exc:
        raise FileNotFound() from exc
    except DifyError as exc:
        raise BadGateway("Dify could not give the file") from exc
    kind = kind.split(";", 1)[0].strip().lower()
    if not kind.startswith("image/") or kind == "image/svg+xml":
        raise FileNotFound()  # only raster images are served from our origin (no SVG scripts)
    return content, kind
