"""Stream hub benchmark, printed as JSON: client-side CPU per appended and per delivered event.

- ``append``: ``--streams`` answers (default 500) append ``--events`` deltas each, all at once,
  through one hub (the worker side); CPU of this process per appended event.
- ``deliver``: one hub holds ``--streams`` attached subscriptions (the gateway side) while a
  child process appends their events; CPU of this process per delivered event (the child's
  appends are not counted). Attaching and reading the (empty) logs is timed apart.

Each figure is the median of ``--rounds`` runs. Needs the test Redis; uses a throwaway key
prefix and deletes it. ``uv run python bench/stream_hub.py [--streams 500] [--events 40]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from typing import Any

from rechat_shared.events import StreamEvent
from rechat_shared.streams.redis_hub import RedisStreamHub
from rechat_shared.testing.infra import REDIS_URL, delete_redis_prefix

TOKEN = {"text": "token "}


async def produce(hub: RedisStreamHub, message_ids: list[str], events: int) -> None:
    async def one(message_id: str) -> None:
        await hub.append(message_id, "start", {"message_id": message_id})
        for _ in range(events):
            await hub.append(message_id, "delta", TOKEN)
        await hub.append(message_id, "done", {"status": "done"})

    await asyncio.gather(*(one(m) for m in message_ids))


async def bench_append(prefix: str, streams: int, events: int) -> dict[str, float]:
    hub = RedisStreamHub(REDIS_URL, prefix)
    try:
        await produce(hub, [str(uuid.uuid4()) for _ in range(4)], 2)  # connect, load script
        message_ids = [str(uuid.uuid4()) for _ in range(streams)]
        cpu, wall = time.process_time(), time.perf_counter()
        await produce(hub, message_ids, events)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await hub.close()
    count = streams * (events + 2)
    return {"cpu_us_per_event": cpu / count * 1e6, "events_per_s": count / wall}


async def bench_deliver(prefix: str, streams: int, events: int) -> dict[str, float]:
    hub = RedisStreamHub(REDIS_URL, prefix)
    message_ids = [str(uuid.uuid4()) for _ in range(streams)]
    attached = asyncio.Event()
    ready = 0

    async def follow(message_id: str) -> int:
        nonlocal ready
        received: list[StreamEvent] = []
        async with hub.attach(message_id) as subscription:
            ready += 1
            if ready == streams:
                attached.set()
            async for event in subscription:
                received.append(event)
        return len(received)

    try:
        attach_cpu, attach_wall = time.process_time(), time.perf_counter()
        followers = [asyncio.create_task(follow(m)) for m in message_ids]
        await asyncio.wait_for(attached.wait(), 30)
        attach_cpu = time.process_time() - attach_cpu
        attach_wall = time.perf_counter() - attach_wall
        # the subscriptions read their (empty) logs right after attaching: let that settle
        await asyncio.sleep(0.5)
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--produce",
            prefix,
            "--events",
            str(events),
            *message_ids,
        )
        cpu = time.process_time()  # the wall time would mostly be the child's start-up
        counts = await asyncio.wait_for(asyncio.gather(*followers), 60)
        cpu = time.process_time() - cpu
        if await child.wait() != 0:
            raise RuntimeError("the producer failed")
    finally:
        await hub.close()
    count = sum(counts)
    if count != streams * (events + 2):
        raise RuntimeError(f"delivered {count} events, expected {streams * (events + 2)}")
    return {
        "cpu_us_per_event": cpu / count * 1e6,
        "attach_cpu_us_per_stream": attach_cpu / streams * 1e6,
        "attach_ms_all": attach_wall * 1e3,
    }


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(run[key] for run in runs), 2) for key in runs[0]}


async def main(arguments: argparse.Namespace) -> dict[str, Any]:
    prefix = f"bench-streams-{uuid.uuid4().hex[:8]}:"
    try:
        appends = [
            await bench_append(prefix, arguments.streams, arguments.events)
            for _ in range(arguments.rounds)
        ]
        deliveries = [
            await bench_deliver(prefix, arguments.streams, arguments.events)
            for _ in range(arguments.rounds)
        ]
    finally:
        await delete_redis_prefix(REDIS_URL, prefix)
    return {
        "streams": arguments.streams,
        "events_per_stream": arguments.events + 2,
        "rounds": arguments.rounds,
        "loop": arguments.loop,
        "append": median_of(appends),
        "deliver": median_of(deliveries),
    }


async def producer(prefix: str, message_ids: list[str], events: int) -> None:
    hub = RedisStreamHub(REDIS_URL, prefix)
    try:
        await produce(hub, message_ids, events)
    finally:
        await hub.close()


def run(coroutine: Any, loop: str) -> Any:
    if loop == "uvloop":
        import uvloop  # the loop uvicorn runs the services on

        return uvloop.run(coroutine)
    return asyncio.run(coroutine)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--events", type=int, default=40, help="deltas per stream")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--produce", metavar="PREFIX", help=argparse.SUPPRESS)
    parser.add_argument("message_ids", nargs="*", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.produce:
        run(producer(arguments.produce, arguments.message_ids, arguments.events), arguments.loop)
    else:
        print(json.dumps(run(main(arguments), arguments.loop), indent=2))
