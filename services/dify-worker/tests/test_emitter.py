"""Delta coalescing: the first token is never delayed, later ones merge within the window."""

from __future__ import annotations

import asyncio
import time
import uuid

from rechat_shared.streams import MemoryStreamHub
from rechat_worker.emitter import StreamWriter


async def _log(hub: MemoryStreamHub, message_id: str) -> list[tuple[int, str, str]]:
    out: list[tuple[int, str, str]] = []
    async with hub.attach(message_id, None) as events:
        while True:
            try:
                event = await asyncio.wait_for(anext(events), 0.05)
            except TimeoutError:
                return out
            out.append((event.seq, event.event, str(event.data.get("text", ""))))


async def test_first_delta_goes_out_at_once_then_deltas_merge() -> None:
    hub = MemoryStreamHub(f"memory://emit-{uuid.uuid4().hex}")
    writer = StreamWriter(hub, "m1", window=10.0)
    await writer.delta("a")
    assert await _log(hub, "m1") == [(1, "delta", "a")]
    await writer.delta("b")
    await writer.delta("c")
    assert writer.pending
    assert len(await _log(hub, "m1")) == 1
    await writer.emit("thought", {"id": "x"})
    assert await _log(hub, "m1") == [(1, "delta", "a"), (2, "delta", "bc"), (3, "thought", "")]
    assert not writer.pending


async def test_zero_window_sends_every_delta() -> None:
    hub = MemoryStreamHub(f"memory://emit-{uuid.uuid4().hex}")
    writer = StreamWriter(hub, "m2", window=0.0)
    for text in "xyz":
        await writer.delta(text)
    assert [text for _, _, text in await _log(hub, "m2")] == ["x", "y", "z"]


async def test_pending_text_is_flushed_when_it_grows_past_the_limit() -> None:
    hub = MemoryStreamHub(f"memory://emit-{uuid.uuid4().hex}")
    writer = StreamWriter(hub, "m3", window=10.0, max_chars=4)
    for text in ["a", "bb", "cc", "d"]:
        await writer.delta(text)
    assert [text for _, _, text in await _log(hub, "m3")] == ["a", "bbcc"]
    await writer.flush()
    assert [text for _, _, text in await _log(hub, "m3")] == ["a", "bbcc", "d"]


async def test_waiting_text_goes_out_when_the_window_ends_without_more_deltas() -> None:
    hub = MemoryStreamHub(f"memory://emit-{uuid.uuid4().hex}")
    writer = StreamWriter(hub, "m4", window=0.05)
    await writer.delta("a")
    await writer.delta("b")
    await writer.delta("c")
    assert writer.pending
    async with asyncio.timeout(30):  # no later delta comes: only the window's end sends it
        while writer.last is None or writer.last.seq < 2:
            await asyncio.sleep(0.005)
    assert not writer.pending
    assert [text for _, _, text in await _log(hub, "m4")] == ["a", "bc"]
    await writer.delta("d")
    await writer.emit("thought", {"id": "x"})
    assert [text for _, _, text in await _log(hub, "m4")] == ["a", "bc", "d", ""]


async def test_a_delta_after_the_window_takes_the_waiting_text_along() -> None:
    hub = MemoryStreamHub(f"memory://emit-{uuid.uuid4().hex}")
    writer = StreamWriter(hub, "m5", window=0.05)
    await writer.delta("a")
    await writer.delta("b")
    time.sleep(0.06)  # the loop is blocked: the timer cannot fire before the next delta
    await writer.delta("c")
    assert [text for _, _, text in await _log(hub, "m5")] == ["a", "bc"]
    assert not writer.pending
