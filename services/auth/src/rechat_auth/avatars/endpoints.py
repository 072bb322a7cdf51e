"""Routes of profile pictures: mine (`/api/auth/me/avatar`) and anyone's by its id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from rechat_auth.avatars.images import CONTENT_TYPES
from rechat_auth.avatars.service import AvatarService
from rechat_auth.dependencies import UnitOfWorkDep
from rechat_auth.models import AVATAR_PATH
from rechat_auth.users.schemas import User
from rechat_shared.errors import error_responses
from rechat_shared.security import ActiveUser

router = APIRouter(tags=["me"])

IMAGE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The picture's bytes (PNG, JPEG, GIF or WebP), not a form",
        "content": {
            content_type: {"schema": {"type": "string", "format": "binary"}}
            for content_type in CONTENT_TYPES
        },
    }
}
IMAGE_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The picture",
        "content": {content_type: {} for content_type in CONTENT_TYPES},
    }
}
# the picture as its own kind and nothing else: no sniffing, no scripts, cached for good
# (a new upload has a new URL)
PICTURE_HEADERS = {
    "Cache-Control": "private, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


@router.put(
    "/api/auth/me/avatar",
    response_model=User,
    openapi_extra=IMAGE_BODY,
    responses=error_responses(400, 401, 403, 413),
)
async def set_my_avatar(request: Request, principal: ActiveUser, work: UnitOfWorkDep) -> User:
    """Set my profile picture: PNG, JPEG, GIF or WebP by its bytes, not its Content-Type."""
    # 400 avatar_rejected for any other bytes; 413 past AUTH_AVATAR_MAX_BYTES.
    data = await request.body()
    return User.model_validate(await AvatarService(work).set(principal, data))


@router.delete("/api/auth/me/avatar", response_model=User, responses=error_responses(401, 403))
async def remove_my_avatar(principal: ActiveUser, work: UnitOfWorkDep) -> User:
    """Remove my profile picture (my initials show instead)."""
    return User.model_validate(await AvatarService(work).remove(principal))


@router.get(
    f"{AVATAR_PATH}/{{avatar_id}}",
    response_class=Response,
    responses={**IMAGE_ANSWER, **error_responses(404)},
)
async def read_avatar(
    avatar_id: Annotated[str, Path(pattern="^[0-9a-f]{32}$")], work: UnitOfWorkDep
) -> Response:
    """A profile picture by the id in a user's `avatar_url` (no sign-in: an `<img>` sends none)."""
    data, content_type = await AvatarService(work).read(avatar_id)
    return Response(data, media_type=content_type, headers=PICTURE_HEADERS)
