"""Redis faults under load, in processes mode: a private redis-server (never the machine's
6379) behind a relay we can cut, auth, history, the gateway and two workers as real processes,
the Dify emulator pacing slow answers, and a few dozen streams in flight when Redis is killed
and restarted empty, killed and restarted from its AOF, frozen (SIGSTOP) or cut off.

Per fault: no accepted turn lost (each ends with its whole answer, or a clear `error`), none
hung, none generated twice (the emulator counts Dify calls), history stores what the client
saw, no conversation left locked, and the next turn streams at once (pooled connections heal).
The recovery time (Redis back → last stream ended) is printed, not asserted: timing targets
belong to bench/ (`bench/soak.py`).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from redis.asyncio import Redis

from rechat_cli.testing import scratch_database
from rechat_shared.testing.chat_stack import ChatStack, Turn, chat_stack
from rechat_shared.testing.infra import MARIADB_ADMIN_URL, RABBITMQ_URL, delete_rabbit_names
from rechat_shared.testing.private_infra import PrivateRedis

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

STREAMS = 30
QUERY = "[[slow]][[tps:4]]"  # 50 tokens at 4 a second: about 12 s per answer
EXPECTED = "".join(f"slow{index} " for index in range(50))
OUTAGE_SECONDS = {  # one of them as long as the longest outage promised (30 s)
    "kill-restart-empty": 4.0,
    "kill-restart-with-data": 30.0,
    "freeze": 4.0,
    "network-cut": 10.0,
}
HEALTH_CHECK_SECONDS = 1.0


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    with PrivateRedis(tmp_path_factory.mktemp("redis"), persistent=True) as redis:
        yield redis


@pytest.fixture(scope="module")
async def stack(
    private_redis: PrivateRedis, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ChatStack]:
    prefix = f"t{run_id}.faults{uuid.uuid4().hex[:4]}."
    async with (
        scratch_database(MARIADB_ADMIN_URL) as database_url,
        chat_stack(
            tmp_path_factory.mktemp("faults"),
            database_url=database_url,
            redis_url=private_redis.proxy_url,  # the relay, so a network cut reaches everyone
            rabbitmq_url=RABBITMQ_URL,
            rabbitmq_prefix=prefix,
            redis_prefix="rechat:",
            env={
                "REDIS_HEALTH_CHECK_SECONDS": str(HEALTH_CHECK_SECONDS),
                "WORKER_CONCURRENCY": "64",
                "GATEWAY_KEEPALIVE_SECONDS": "2",
            },
        ) as stack,
    ):
        yield stack
    await delete_rabbit_names(RABBITMQ_URL, prefix)


def _faults(redis: PrivateRedis) -> dict[str, tuple[Callable[[], None], Callable[[], None]]]:
    return {
        "kill-restart-empty": (redis.kill, lambda: redis.start(empty=True)),
        "kill-restart-with-data": (redis.kill, redis.start),
        "freeze": (redis.pause, redis.resume),
        "network-cut": (redis.proxy.cut, redis.proxy.restore),
    }


async def _locked_conversations(redis: PrivateRedis) -> list[bytes]:
    client = Redis.from_url(redis.url)
    try:
        return [key async for key in client.scan_iter(match="rechat:conv:*:lock", count=1000)]
    finally:
        await client.aclose()


async def _until(condition: Callable[[], bool], within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {within} s")
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("fault", list(OUTAGE_SECONDS))
async def test_every_accepted_turn_ends_whole_across_a_redis_fault(
    stack: ChatStack, private_redis: PrivateRedis, fault: str
) -> None:
    break_redis, restore_redis = _faults(private_redis)[fault]
    calls_before = await stack.dify_calls()
    turns = [Turn() for _ in range(STREAMS)]

    running = [asyncio.create_task(stack.turn(QUERY, within=180, into=t)) for t in turns]
    # every stream has started to answer (the turns were accepted) before Redis goes
    await _until(lambda: all(t.deltas >= 1 or t.status not in (0, 200) for t in turns), 120)
    assert [t.status for t in turns] == [200] * STREAMS, [t.body for t in turns]
    seen_before = sum(t.deltas for t in turns)
    in_flight = sum(1 for t in turns if t.terminal is None)
    assert in_flight >= STREAMS // 2, "the answers ended before the fault: nothing was tested"

    break_redis()
    await asyncio.sleep(OUTAGE_SECONDS[fault])  # the outage itself
    restore_redis()
    restored_at = time.monotonic()
    await asyncio.gather(*running)
    if fault == "kill-restart-empty":
        # an empty Redis forgets every session's state: the verifiers refuse the token until
        # the user signs in again (the SPA refreshes); the accepted turns were not affected
        await stack.sign_in()

    hung = [t for t in turns if t.hung or t.terminal is None]
    failed = [t for t in turns if t.terminal == "error"]
    incomplete = [t for t in turns if t.terminal == "done" and t.text != EXPECTED]
    unordered = [t for t in turns if t.seqs != list(range(len(t.seqs)))]
    stored = await asyncio.gather(*(stack.stored(t) for t in turns if t.start))
    differing = [
        (t.text, s and s["content"])
        for t, s in zip(turns, stored, strict=True)
        if s is None or s["content"] != t.text
    ]
    # the next turn streams at once: every pooled connection healed on first use
    after = await stack.turn(QUERY, within=120)
    extra_calls = await stack.dify_calls() - calls_before - (STREAMS + 1)
    locked = await _locked_conversations(private_redis)
    # recovery: Redis back → every stream delivering again (the rest of each answer then
    # arrives at Dify's pace); and → the last stream's end
    resumed = [t.resumed_after(restored_at) for t in turns]
    recovery = max((r for r in resumed if r is not None), default=0.0)
    last_end = max(t.ended_at or restored_at for t in turns) - restored_at
    print(
        json.dumps(
            {
                "fault": fault,
                "streams": STREAMS,
                "outage_seconds": OUTAGE_SECONDS[fault],
                "in_flight_at_fault": in_flight,
                "deltas_seen_before_fault": seen_before,
                "lost": len(incomplete),
                "hung": len(hung),
                "errors": len(failed),
                "duplicated_dify_calls": extra_calls,
                "stored_differs": len(differing),
                "locks_left": len(locked),
                "recovery_seconds": round(recovery, 2),
                "last_stream_ended_after_seconds": round(last_end, 2),
            }
        )
    )
    assert hung == []
    assert incomplete == []
    assert failed == [], [t.events[-1] for t in failed]
    assert unordered == []
    assert differing == []
    assert extra_calls == 0
    assert locked == []
    assert after.status == 200
    assert after.terminal == "done"
    assert after.text == EXPECTED
