"""A small, fast SSE decoder for Dify streams (LF, CRLF or CR line ends; multi-line data)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


class SSEDecoder:
    """Feeds raw bytes, yields complete ``(event_name, data)`` frames as they finish."""

    __slots__ = ("_buffer", "_data", "_event", "_pending_cr")

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[bytes] = []
        self._event: str | None = None
        self._pending_cr = False

    def feed(self, chunk: bytes) -> Iterator[tuple[str | None, bytes]]:
        """Decode ``chunk``; yields the frames it completes."""
        if self._pending_cr:
            chunk = b"\r" + chunk
            self._pending_cr = False
        if b"\r" in chunk:
            if chunk.endswith(b"\r"):
                chunk, self._pending_cr = chunk[:-1], True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        data = self._buffer + chunk if self._buffer else chunk
        lines = data.split(b"\n")
        self._buffer = lines.pop()
        for line in lines:
            frame = self._line(line)
            if frame is not None:
                yield frame

    def flush(self) -> Iterator[tuple[str | None, bytes]]:
        """End of input: an unterminated last frame is discarded, as the SSE spec says."""
        self._buffer, self._data, self._event, self._pending_cr = b"", [], None, False
        return iter(())

    def _line(self, line: bytes) -> tuple[str | None, bytes] | None:
        if not line:
            if not self._data and self._event is None:
                return None
            frame = (self._event, b"\n".join(self._data))
            self._data, self._event = [], None
            return frame
        if line.startswith(b"data:"):
            value = line[5:]
            self._data.append(value[1:] if value.startswith(b" ") else value)
        elif line.startswith(b"event:"):
            self._event = line[6:].strip().decode("utf-8", "replace")
        # comments (":...") and id:/retry: fields carry nothing Dify uses
        return None


def iter_frames(chunks: Iterable[bytes]) -> Iterator[tuple[str | None, bytes]]:
    """Decode a whole byte sequence (tests, fixtures)."""
    decoder = SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.flush()
