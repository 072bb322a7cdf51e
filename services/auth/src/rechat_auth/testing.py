"""Helpers for tests that drive auth (its own and end-to-end ones): a running app and accounts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from rechat_auth.events import LoggingPublisher
from rechat_auth.runtime import AuthRuntime
from rechat_shared.events import BusEvent

PASSWORD = "correct horse battery"


@dataclass
class Running:
    """An auth app with its lifespan started, and a client talking to it in-process."""

    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> AuthRuntime:
        runtime: AuthRuntime = self.app.state.auth
        return runtime

    @property
    def published(self) -> list[BusEvent]:
        publisher = self.runtime.publisher
        assert isinstance(publisher, LoggingPublisher)
        return publisher.published


@dataclass
class Account:
    id: str
    email: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


StartAuth = Callable[..., AbstractAsyncContextManager[Running]]
MakeUser = Callable[..., Awaitable[Account]]
