"""What the one public port of `rechat dev` does to every request before routing it, in both
modes (the development proxy and the embedded dispatcher), as nginx does in production:

- refuses paths that are not plain: dot segments (`/api/conversations/../../internal/x`, also
  percent-encoded), NUL and other control characters, backslashes (400, never a 500);
- adds the security headers of deploy/nginx (`SECURITY_HEADERS`, the CSP with its `img-src`);
- caps request bodies (`MAX_BODY_BYTES`, nginx's `client_max_body_size`), chunked ones too
  (`rechat_shared.body_limit`, which every service also applies with its own limit).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rechat_shared.body_limit import BodyLimit
from rechat_shared.errors import BadRequest

MAX_BODY_BYTES = 20 * 1024 * 1024
"""nginx's `client_max_body_size 20m` (deploy/nginx)."""


def content_security_policy(image_hosts: Iterable[str] = ()) -> str:
    """The CSP of every page: images only from here, `data:`/`blob:`, and the allowed hosts."""
    images = " ".join(["'self'", "data:", "blob:", *image_hosts])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
        f" img-src {images}; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none';"
        " base-uri 'self'; form-action 'self'"
    )


def security_headers(image_hosts: Iterable[str] = ()) -> list[tuple[bytes, bytes]]:
    """The headers deploy/nginx adds to every answer (tests/deploy checks they agree)."""
    return [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        (b"content-security-policy", content_security_policy(image_hosts).encode()),
    ]


def plain_path(path: str) -> bool:
    """A decoded request path without dot segments, control characters or backslashes."""
    if "\\" in path or any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
        return False
    return not any(segment in (".", "..") for segment in path.split("/"))


def from_loopback(scope: Scope) -> bool:
    """The request comes from this machine (the services' own calls in embedded mode)."""
    client = scope.get("client")
    if not client:
        return False
    try:
        return ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


async def send_json(send: Send, status: int, error: str, detail: str) -> None:
    body = json.dumps({"error": error, "detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class PublicFront:
    """ASGI middleware for the public port: plain paths, security headers, body limit."""

    def __init__(
        self, app: ASGIApp, *, image_hosts: Iterable[str] = (), max_body: int = MAX_BODY_BYTES
    ) -> None:
        self.app = BodyLimit(app, max_bytes=max_body)
        self.headers = security_headers(image_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        if not plain_path(scope["path"]):
            await send_json(
                send_with_headers, 400, BadRequest.code, "The request path is not plain"
            )
            return
        await self.app(scope, receive, send_with_headers)
