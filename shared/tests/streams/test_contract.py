"""Stream hub contract: the same behaviour from Redis and from the in-process hub."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from rechat_shared.events import StreamEvent
from rechat_shared.streams import StreamGap, StreamHub, StreamSubscription
from rechat_shared.testing.polling import eventually

from .conftest import HubFactory, append_without_publishing

TOKENS = 300


def new_message() -> str:
    return str(uuid.uuid4())


async def produce(hub: StreamHub, message_id: str, tokens: int = TOKENS, pause: float = 0.0) -> str:
    """A worker: start, many small deltas (yielding between them), done; returns the text."""
    await hub.append(message_id, "start", {"message_id": message_id})
    text = []
    for index in range(tokens):
        piece = f"t{index} "
        text.append(piece)
        await hub.append(message_id, "delta", {"text": piece})
        if index % 7 == 0:
            await asyncio.sleep(pause)
    await hub.append(message_id, "done", {"status": "done"})
    return "".join(text)


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.data["text"] for e in events if e.event == "delta")


def assert_contiguous(events: list[StreamEvent], first: int = 1) -> None:
    assert [e.seq for e in events] == list(range(first, first + len(events)))


async def collect(subscription: StreamSubscription, limit: int | None = None) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    async for event in subscription:
        events.append(event)
        if limit is not None and len(events) == limit:
            break
    return events


async def test_events_get_consecutive_seqs_across_appenders(make_hub: HubFactory) -> None:
    first, second = make_hub(), make_hub()
    message_id = new_message()
    appended = await asyncio.gather(
        *(
            (first if index % 2 else second).append(message_id, "delta", {"text": str(index)})
            for index in range(50)
        )
    )
    assert sorted(e.seq for e in appended) == list(range(1, 51))
    status = await first.status(message_id)
    assert status.exists
    assert status.last_seq == 50
    assert not status.finished


@pytest.mark.parametrize("new", [False, True], ids=["replaying", "new"])
async def test_attach_before_the_worker_starts_gets_everything_then_ends(
    make_hub: HubFactory, new: bool
) -> None:
    gateway, worker = make_hub(), make_hub()
    message_id = new_message()
    async with gateway.attach(message_id, new=new) as events:
        producing = asyncio.create_task(produce(worker, message_id))
        received = await asyncio.wait_for(collect(events), 20)
    expected = await producing
    assert_contiguous(received)
    assert received[0].event == "start"
    assert received[-1].event == "done"
    assert text_of(received) == expected
    status = await gateway.status(message_id)
    assert status.finished
    assert status.last_seq == TOKENS + 2


async def test_resume_and_late_attach_while_appending_lose_and_repeat_nothing(
    make_hub: HubFactory,
) -> None:
    gateway, other_gateway, worker = make_hub(), make_hub(), make_hub()
    message_id = new_message()
    async with gateway.attach(message_id) as events:
        producing = asyncio.create_task(produce(worker, message_id))
        before_drop = await collect(events, limit=40)  # then the browser's connection drops
    last_event_id = before_drop[-1].seq

    async def late_attach(hub: StreamHub, after: int | None) -> list[StreamEvent]:
        async with hub.attach(message_id, after) as resumed:
            return await asyncio.wait_for(collect(resumed), 20)

    resumed, late, later = await asyncio.gather(
        late_attach(other_gateway, last_event_id),  # resume with Last-Event-ID
        late_attach(gateway, None),  # a late attach from the start
        late_attach(other_gateway, 150),
    )
    expected = await producing

    assert_contiguous(before_drop)
    assert_contiguous(resumed, first=last_event_id + 1)
    assert text_of(before_drop) + text_of(resumed) == expected
    assert_contiguous(late)
    assert text_of(late) == expected
    assert_contiguous(later, first=151)
    assert later[-1].event == "done"


async def test_attach_after_the_end_replays_the_log_and_ends(make_hub: HubFactory) -> None:
    hub = make_hub()
    message_id = new_message()
    expected = await produce(hub, message_id, tokens=20)
    async with hub.attach(message_id, 5) as events:
        replayed = await asyncio.wait_for(collect(events), 5)
    assert_contiguous(replayed, first=6)
    assert replayed[-1].event == "done"
    assert expected.endswith(text_of(replayed))


async def test_many_concurrent_attaches_share_one_pubsub_connection(
    make_hub: HubFactory, hub_kind: str
) -> None:
    gateway, worker = make_hub(), make_hub()
    message_ids = [new_message() for _ in range(200)]

    async def follow(message_id: str, ready: asyncio.Event) -> list[StreamEvent]:
        async with gateway.attach(message_id) as events:
            ready.set()
            return await asyncio.wait_for(collect(events), 30)

    readies = [asyncio.Event() for _ in message_ids]
    followers = [
        asyncio.create_task(follow(m, r)) for m, r in zip(message_ids, readies, strict=True)
    ]
    await asyncio.gather(*(ready.wait() for ready in readies))
    if hub_kind == "redis":
        from rechat_shared.streams.redis_hub import RedisStreamHub

        assert isinstance(gateway, RedisStreamHub)
        name = gateway._client.connection_pool.connection_kwargs["client_name"]
        clients = await gateway._client.client_list(_type="pubsub")
        mine = [c for c in clients if c.get("name") == name]
        assert len(mine) == 1
        assert int(mine[0]["sub"]) == len(message_ids)

    texts = await asyncio.gather(*(produce(worker, m, tokens=20) for m in message_ids))
    results = await asyncio.gather(*followers)
    for events, expected in zip(results, texts, strict=True):
        assert_contiguous(events)
        assert text_of(events) == expected
        assert events[-1].event == "done"


async def test_a_lost_live_event_is_recovered_from_the_log(make_hub: HubFactory) -> None:
    gateway, worker = make_hub(), make_hub()
    message_id = new_message()
    async with gateway.attach(message_id) as events:
        await worker.append(message_id, "delta", {"text": "a"})
        first = await asyncio.wait_for(anext(events), 5)
        await append_without_publishing(worker, message_id, "delta", {"text": "b"})
        await worker.append(message_id, "delta", {"text": "c"})
        await worker.append(message_id, "done", {"status": "done"})
        rest = await asyncio.wait_for(collect(events), 5)
    received = [first, *rest]
    assert_contiguous(received)
    assert text_of(received) == "abc"


async def test_a_new_attach_to_a_stream_already_written_reads_the_log_at_the_first_gap(
    make_hub: HubFactory,
) -> None:
    gateway, worker = make_hub(), make_hub()
    message_id = new_message()
    await worker.append(message_id, "start", {"message_id": message_id})
    await worker.append(message_id, "delta", {"text": "a"})
    async with gateway.attach(message_id, new=True) as events:
        await worker.append(message_id, "delta", {"text": "b"})
        await worker.append(message_id, "done", {"status": "done"})
        received = await asyncio.wait_for(collect(events), 5)
    assert_contiguous(received)
    assert text_of(received) == "ab"


async def test_waiting_with_timeouts_for_keepalives_loses_nothing(make_hub: HubFactory) -> None:
    gateway, worker = make_hub(), make_hub()
    message_id = new_message()
    received: list[StreamEvent] = []
    async with gateway.attach(message_id) as events:
        for _ in range(3):  # an idle stream: the gateway's keep-alive timer fires
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(anext(events), 0.01)
        producing = asyncio.create_task(produce(worker, message_id, tokens=100, pause=0.002))
        while not received or not received[-1].is_terminal:
            try:
                received.append(await asyncio.wait_for(anext(events), 0.0005))
            except TimeoutError:
                continue  # here the gateway would send ": keep-alive"
    expected = await producing
    assert_contiguous(received)
    assert text_of(received) == expected


async def test_stop_requests_reach_the_watching_worker(make_hub: HubFactory) -> None:
    gateway, worker = make_hub(), make_hub()
    running, queued, other = new_message(), new_message(), new_message()

    async with worker.watch_cancel(running) as stop:
        assert not stop.is_set()
        await gateway.request_cancel(running)
        await asyncio.wait_for(stop.wait(), 5)
    assert await worker.cancelled(running)

    await gateway.request_cancel(queued)  # before any worker took the request
    async with worker.watch_cancel(queued) as stop:
        await asyncio.wait_for(stop.wait(), 5)

    async with worker.watch_cancel(other) as stop:
        assert not stop.is_set()
    assert not await worker.cancelled(other)


async def test_status_of_unknown_and_expired_streams(make_hub: HubFactory) -> None:
    hub = make_hub(log_ttl=1)
    assert not (await hub.status(new_message())).exists
    message_id = new_message()
    await hub.append(message_id, "done", {"status": "done"})
    status = await hub.status(message_id)
    assert status.finished

    async def expired() -> bool:
        return not (await hub.status(message_id)).exists

    await eventually(expired, timeout=5)


async def test_close_ends_open_subscriptions(make_hub: HubFactory) -> None:
    hub = make_hub()
    message_id = new_message()
    async with hub.attach(message_id) as events:
        waiting = asyncio.create_task(collect(events))
        await asyncio.sleep(0.05)
        await hub.close()
        assert await asyncio.wait_for(waiting, 5) == []


async def test_an_error_ends_the_stream(make_hub: HubFactory) -> None:
    hub = make_hub()
    message_id = new_message()
    async with hub.attach(message_id) as events:
        await hub.append(message_id, "error", {"code": "dify_error", "message": "boom"})
        await hub.append(message_id, "delta", {"text": "never seen"})
        received = await asyncio.wait_for(collect(events), 5)
    assert [e.event for e in received] == ["error"]


async def test_resuming_after_the_last_event_of_a_finished_stream_ends_at_once(
    make_hub: HubFactory,
) -> None:
    hub = make_hub()
    message_id = new_message()
    await produce(hub, message_id, tokens=3)
    async with hub.attach(message_id, 5) as events:  # the browser already had `done` (5)
        assert await asyncio.wait_for(collect(events), 5) == []


async def test_a_numbered_append_is_added_once_and_refuses_to_leave_a_gap(
    make_hub: HubFactory,
) -> None:
    """The worker numbers its events: a retried append (its first attempt got through) is not
    added or published again; an append past the log's end says where the log ends, unless it
    is the writer's first event."""
    hub = make_hub()
    message_id = new_message()
    async with hub.attach(message_id, new=True) as events:
        await hub.append(message_id, "delta", {"text": "a"}, seq=1)
        again = await hub.append(message_id, "delta", {"text": "a"}, seq=1)
        assert again.seq == 1
        with pytest.raises(StreamGap) as gap:
            await hub.append(message_id, "delta", {"text": "c"}, seq=3)
        assert gap.value.have == 1
        await hub.append(message_id, "delta", {"text": "b"}, seq=2)
        await hub.append(message_id, "delta", {"text": "c"}, seq=3)
        # the gateway's own append (no seq) takes the next number
        assert (await hub.append(message_id, "done", {"status": "done"})).seq == 4
        received = [event async for event in events]
    assert [(e.seq, e.event) for e in received] == [
        (1, "delta"),
        (2, "delta"),
        (3, "delta"),
        (4, "done"),
    ]
    assert text_of(received) == "abc"

    # a writer continuing a log it did not write (or whose log is gone) may start past its end
    later = new_message()
    first = await hub.append(later, "restart", {}, seq=1_000_001, first=1_000_001)
    assert first.seq == 1_000_001
    assert (await hub.status(later)).last_seq == 1_000_001
