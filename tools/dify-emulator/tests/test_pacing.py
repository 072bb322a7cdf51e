"""The shared pacing clock and the fixed token schedule it gives paced streams."""

from __future__ import annotations

import asyncio
import random
import time

import httpx

from rechat_dify_emulator.pacing import PacingClock
from rechat_shared.testing.emulator import RunningEmulator

SLACK = 0.05
"""How late a wake-up may be beyond its tick on a shared, busy machine."""


async def test_a_wait_ends_in_the_first_tick_after_its_deadline() -> None:
    clock = PacingClock()
    loop = asyncio.get_running_loop()
    start = clock.now()
    # deadlines inside ticks, not on their edges: a wait rounded down would end early
    deadlines = [start + random.uniform(0.001, 0.2) for _ in range(200)]

    async def wait(deadline: float) -> float:
        await clock.until(deadline)
        return loop.time() - deadline

    lateness = await asyncio.gather(*(wait(deadline) for deadline in deadlines))
    assert min(lateness) >= -0.001  # the loop's own timer resolution
    assert max(lateness) <= clock.tick + SLACK


async def test_cancelling_one_waiter_leaves_the_others_waiting() -> None:
    clock = PacingClock()
    deadline = clock.now() + 0.05
    waiters = [asyncio.create_task(_wait_once(clock, deadline)) for _ in range(3)]
    await asyncio.sleep(0)
    waiters[0].cancel()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert isinstance(results[0], asyncio.CancelledError)
    assert results[1:] == ["woken", "woken"]


async def _wait_once(clock: PacingClock, deadline: float) -> str:
    await clock.until(deadline)
    return "woken"


async def test_tokens_follow_a_fixed_schedule(dify_emulator: RunningEmulator) -> None:
    """Token i leaves at first token + i / tps: waking late for one token does not push the
    ones after it back (timing each pause from the previous token drifted by ~2 %)."""
    tokens, tps = 200, 100
    body = {
        "query": f"[[tokens:{tokens}]][[tps:{tps}]]",
        "user": "pacing",
        "inputs": {},
        "response_mode": "streaming",
    }
    headers = {"Authorization": f"Bearer {dify_emulator.keys['chat']}"}
    arrivals: list[float] = []
    sent = time.monotonic()
    async with (
        httpx.AsyncClient(timeout=30) as client,
        client.stream(
            "POST", dify_emulator.base_url + "/chat-messages", json=body, headers=headers
        ) as response,
    ):
        async for line in response.aiter_lines():
            if line.startswith("data: ") and '"answer":"t' in line:
                arrivals.append(time.monotonic())
    assert len(arrivals) == tokens
    scheduled = (tokens - 1) / tps
    # never early: the last token leaves no sooner than the schedule after the request (timed
    # from the first arrival instead, a first token read late on a busy machine looked early)
    assert arrivals[-1] - sent >= scheduled - PacingClock().tick
    assert arrivals[-1] - arrivals[0] <= scheduled + 3 * SLACK
