"""Bus contract: the same behaviour from RabbitMQ and from the in-process bus."""

from __future__ import annotations

import asyncio

from rechat_shared.bus import FEEDBACK_QUEUE, HISTORY_QUEUE, PARKED_QUEUE, REQUESTS_QUEUE, Delivery
from rechat_shared.events import ChatRequested
from rechat_shared.logging import trace_id_var
from rechat_shared.testing.polling import eventually

from .conftest import BusFactory, publish_raw, queue_depth
from .factories import chat_requested, feedback, user_changed


async def test_events_are_routed_typed_and_traced(make_bus: BusFactory) -> None:
    publisher, consumer_bus = await make_bus(), await make_bus()
    requests: list[Delivery] = []
    history: list[Delivery] = []
    seen_traces: list[str] = []

    async def on_request(delivery: Delivery) -> None:
        seen_traces.append(trace_id_var.get())
        requests.append(delivery)

    async def on_history(delivery: Delivery) -> None:
        history.append(delivery)

    await consumer_bus.consume(REQUESTS_QUEUE, on_request)
    await consumer_bus.consume(HISTORY_QUEUE, on_history)
    request = chat_requested()
    token = trace_id_var.set("trace-abc")
    try:
        await publisher.publish(request)
        await publisher.publish(user_changed())
    finally:
        trace_id_var.reset(token)

    await eventually(lambda: len(requests) == 1 and len(history) == 2)
    delivery = requests[0]
    assert isinstance(delivery.event, ChatRequested)
    assert delivery.event == request
    assert delivery.message_id == request.event_id
    assert delivery.routing_key == "chat.requested"
    assert delivery.trace_id == "trace-abc"
    assert seen_traces == ["trace-abc"]
    assert not delivery.is_retry
    assert delivery.dead_letter is None
    assert sorted(d.routing_key for d in history) == ["chat.requested", "user.changed"]


async def test_failing_handler_is_retried_then_dead_lettered_and_consumer_continues(
    make_bus: BusFactory,
) -> None:
    bus = await make_bus()
    attempts: list[tuple[bool, int]] = []
    handled: list[str] = []
    dead: list[Delivery] = []
    poison = feedback(user_id="poison")

    async def on_feedback(delivery: Delivery) -> None:
        if delivery.event.user_id == "poison":
            attempts.append((delivery.redelivered, delivery.delivery_count))
            raise RuntimeError("this message always fails")
        handled.append(delivery.event.user_id)

    async def on_history(delivery: Delivery) -> None:
        if delivery.dead_letter is not None:
            dead.append(delivery)

    await bus.consume(FEEDBACK_QUEUE, on_feedback)
    await bus.consume(HISTORY_QUEUE, on_history)
    await bus.publish(poison)
    await bus.publish(feedback(user_id="healthy"))

    await eventually(lambda: len(dead) == 1 and handled == ["healthy"])
    assert attempts == [(False, 0), (True, 1), (True, 2), (True, 3)]  # limit 3, then dead
    letter = dead[0].dead_letter
    assert letter is not None
    assert letter.reason == "delivery_limit"
    assert letter.queue == FEEDBACK_QUEUE
    assert letter.original_routing_key == "chat.feedback"
    assert dead[0].event == poison


async def test_unparseable_message_is_rejected_without_retry(make_bus: BusFactory) -> None:
    bus = await make_bus()
    handled: list[Delivery] = []

    async def on_request(delivery: Delivery) -> None:
        handled.append(delivery)

    await bus.consume(REQUESTS_QUEUE, on_request)
    await bus.consume(HISTORY_QUEUE, on_request)
    await publish_raw(bus, "chat.requested", b"{not json")
    await bus.publish(chat_requested("after the garbage"))

    await eventually(lambda: len(handled) == 2)  # requests + history got the valid one
    assert all(not d.is_retry for d in handled)

    # History got the garbage twice: directly (chat.*) and as the requests queue's dead
    # letter; it cannot parse either, so both end up parked for an operator.
    async def both_parked() -> bool:
        return await queue_depth(bus, PARKED_QUEUE) == 2

    await eventually(both_parked)


async def test_redelivery_after_consumer_stops_mid_handler(make_bus: BusFactory) -> None:
    first, second = await make_bus(), await make_bus()
    started = asyncio.Event()
    redelivered: list[Delivery] = []

    async def stuck(delivery: Delivery) -> None:
        started.set()
        await asyncio.Event().wait()

    async def finish(delivery: Delivery) -> None:
        redelivered.append(delivery)

    await first.consume(REQUESTS_QUEUE, stuck)
    request = chat_requested()
    await first.publish(request)
    await asyncio.wait_for(started.wait(), 10)
    await first.close(grace=0)  # the worker dies mid-request

    await second.consume(REQUESTS_QUEUE, finish)
    await eventually(lambda: len(redelivered) == 1)
    delivery = redelivered[0]
    assert delivery.event == request
    assert delivery.redelivered
    assert delivery.delivery_count == 1
    assert delivery.is_retry


async def test_close_waits_for_in_flight_handlers(make_bus: BusFactory) -> None:
    bus = await make_bus()
    started = asyncio.Event()
    finished: list[str] = []

    async def slow(delivery: Delivery) -> None:
        started.set()
        await asyncio.sleep(0.2)
        finished.append(delivery.event.event_id)

    await bus.consume(REQUESTS_QUEUE, slow, concurrency=2)
    request = chat_requested()
    await bus.publish(request)
    await asyncio.wait_for(started.wait(), 10)
    await bus.close(grace=5)
    assert finished == [request.event_id]
    assert await queue_depth(bus, REQUESTS_QUEUE) == 0  # acked, not handed back


async def test_concurrency_runs_handlers_in_parallel(make_bus: BusFactory) -> None:
    bus = await make_bus()
    running = 0
    peak = 0
    done = 0

    async def handler(delivery: Delivery) -> None:
        nonlocal running, peak, done
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        done += 1

    await bus.consume(REQUESTS_QUEUE, handler, concurrency=4)
    for _ in range(12):
        await bus.publish(chat_requested())
    await eventually(lambda: done == 12)
    assert peak == 4


async def test_batches_are_acked_together_and_a_poison_one_is_isolated(
    make_bus: BusFactory,
) -> None:
    bus = await make_bus()
    batch_sizes: list[int] = []
    stored: set[str] = set()

    async def store(batch: list[Delivery]) -> None:
        batch_sizes.append(len(batch))
        if any(getattr(d.event, "user_id", "") == "poison" for d in batch):
            raise RuntimeError("cannot store this one")
        stored.update(d.event.event_id for d in batch)

    publisher = await make_bus()
    events = [user_changed(f"user-{index}") for index in range(40)]
    poison = user_changed("poison")
    await asyncio.gather(*(publisher.publish(e) for e in events[:20]))
    await publisher.publish(poison)
    await asyncio.gather(*(publisher.publish(e) for e in events[20:]))
    await bus.consume_batch(HISTORY_QUEUE, store, max_batch=16, max_wait=0.05)

    await eventually(lambda: stored >= {e.event_id for e in events})
    assert max(batch_sizes) <= 16
    assert any(size > 1 for size in batch_sizes)
    assert poison.event_id not in stored

    # history's own poison is parked after the delivery limit; every good one was acked
    async def poison_parked() -> bool:
        return await queue_depth(bus, PARKED_QUEUE) == 1

    await eventually(poison_parked)
    await bus.close(grace=5)
    assert await queue_depth(bus, HISTORY_QUEUE) == 0


async def test_failed_messages_come_back_after_a_growing_pause(make_bus: BusFactory) -> None:
    bus = await make_bus(retry_delay=0.05)
    loop = asyncio.get_running_loop()
    attempts: list[float] = []

    async def flaky(delivery: Delivery) -> None:
        attempts.append(loop.time())
        if len(attempts) < 3:
            raise RuntimeError("the database is restarting")

    await bus.consume(FEEDBACK_QUEUE, flaky)
    await bus.publish(feedback())
    await eventually(lambda: len(attempts) == 3)
    assert attempts[1] - attempts[0] >= 0.05
    assert attempts[2] - attempts[1] >= 0.1
