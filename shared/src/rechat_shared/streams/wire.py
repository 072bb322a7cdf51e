"""How stream events look inside Redis: log entries `{seq}-0` {e: name, d: json} and live
messages `b"{seq} {name} {json}"` (built by the append script)."""

from __future__ import annotations

import json
from typing import Any, cast

import orjson

from rechat_shared.events import StreamEvent, StreamEventName


def dump_data(data: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, byte for byte what `StreamEvent.to_sse` writes."""
    try:
        return orjson.dumps(data)
    except TypeError:  # what orjson refuses (integers beyond 64 bits...) json may still take
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def _event(seq: int, name: bytes, body: bytes) -> StreamEvent:
    # Plain construction: pydantic-core validates these three fields faster than
    # `model_construct` skips validation.
    return StreamEvent(seq=seq, event=cast(StreamEventName, name.decode()), data=orjson.loads(body))


def decode_live(payload: bytes) -> StreamEvent:
    seq, name, body = payload.split(b" ", 2)
    return _event(int(seq), name, body)


def event_from_entry(entry_id: Any, fields: Any) -> StreamEvent:
    """An XRANGE entry as redis-py parses it, `(b"7-0", {b"e": name, b"d": json})`, as the
    event with seq 7."""
    return _event(int(entry_id.split(b"-", 1)[0]), fields[b"e"], fields[b"d"])
