"""Request dependencies: the unit of work (commit, then after-commit effects) and the runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from rechat_auth.runtime import AuthRuntime
from rechat_shared.db import unit_of_work

AfterCommit = Callable[[], Awaitable[None]]


class UnitOfWork:
    """The request's one transaction, plus effects that may only happen once it committed
    (revoking tokens in Redis, publishing events)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._after_commit: list[AfterCommit] = []

    def after_commit(self, effect: AfterCommit) -> None:
        self._after_commit.append(effect)

    async def run_after_commit(self) -> None:
        for effect in self._after_commit:
            await effect()


async def get_unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    async with unit_of_work(request.app.state.sessions) as session:
        work = UnitOfWork(session)
        yield work
    await work.run_after_commit()


def get_runtime(request: Request) -> AuthRuntime:
    runtime: AuthRuntime = request.app.state.clients
    return runtime


# scope="function": commit (and its effects) happen before the response is sent, so a client
# never sees a success the database has not stored yet.
UnitOfWorkDep = Annotated[UnitOfWork, Depends(get_unit_of_work, scope="function")]
RuntimeDep = Annotated[AuthRuntime, Depends(get_runtime)]
