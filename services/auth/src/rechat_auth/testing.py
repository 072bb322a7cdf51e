"""Helpers for tests that drive auth (its own and end-to-end ones): a running app, accounts,
and the `user.changed` events that reached RabbitMQ."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI

from rechat_auth.runtime import AuthRuntime
from rechat_shared.bus import Delivery
from rechat_shared.events import UserChanged

PASSWORD = "correct horse battery"


@dataclass
class Running:
    """An auth app with its lifespan started, and a client talking to it in-process."""

    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> AuthRuntime:
        runtime: AuthRuntime = self.app.state.clients
        return runtime


@dataclass
class Account:
    id: str
    email: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class UserEvents:
    """`user.changed` events consumed from the bus (a handler for `EventBus.consume`)."""

    received: list[UserChanged] = field(default_factory=list)

    async def handle(self, delivery: Delivery) -> None:
        if isinstance(delivery.event, UserChanged):
            self.received.append(delivery.event)

    async def wait_for(self, user_id: str, count: int, within: float = 10.0) -> list[UserChanged]:
        """The user's events once `count` of them have arrived (AssertionError after `within` s)."""
        deadline = time.monotonic() + within
        while True:
            events = [event for event in self.received if event.user_id == user_id]
            if len(events) >= count:
                return events
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} user.changed events, got {events}")
            await asyncio.sleep(0.02)


StartAuth = Callable[..., AbstractAsyncContextManager[Running]]
MakeUser = Callable[..., Awaitable[Account]]
