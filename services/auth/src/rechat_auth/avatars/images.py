"""What a picture is, told from its first bytes (never from what the client claims)."""

from __future__ import annotations

from rechat_shared.errors import AvatarRejected

# (magic at offset 0, extra check, content type); SVG is refused: it is a document that runs
# scripts, not a picture
_SIGNATURES: tuple[tuple[bytes, bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", b"", "image/png"),
    (b"\xff\xd8\xff", b"", "image/jpeg"),
    (b"GIF87a", b"", "image/gif"),
    (b"GIF89a", b"", "image/gif"),
    (b"RIFF", b"WEBP", "image/webp"),
)
CONTENT_TYPES = sorted({content_type for _, _, content_type in _SIGNATURES})


def sniff(data: bytes) -> str:
    """The picture's content type; AvatarRejected unless it is PNG, JPEG, GIF or WebP."""
    for magic, marker, content_type in _SIGNATURES:
        if data.startswith(magic) and (not marker or data[8:12] == marker):
            if len(data) <= len(magic) + len(marker):
                break  # a signature with nothing after it is no picture
            return content_type
    raise AvatarRejected()
