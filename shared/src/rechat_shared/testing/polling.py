"""`eventually`: the one polling helper of the tests (wait for a state, not for a time).

It returns what the condition returned once that was truthy (never None)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")

# The timeout is the assertion's deadline, not a cancellation scope (hence ASYNC109 below).


@overload
async def eventually(
    condition: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = ...,  # noqa: ASYNC109
    interval: float = ...,
) -> T: ...
@overload
async def eventually(
    condition: Callable[[], T | None],
    *,
    timeout: float = ...,  # noqa: ASYNC109
    interval: float = ...,
) -> T: ...
async def eventually(
    condition: Callable[[], Any],
    *,
    timeout: float = 20.0,  # noqa: ASYNC109
    interval: float = 0.01,
) -> Any:
    """Call `condition` (sync or async) until it returns something truthy and return that;
    fail after `timeout` seconds. The deadline is generous on purpose: a busy machine is slow,
    and the loop ends as soon as the state is there."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        outcome = condition()
        value = await outcome if inspect.isawaitable(outcome) else outcome
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)
