"""`rechat-worker` as a real process on the real RabbitMQ and Redis and the Dify emulator: SIGTERM
ends it promptly with the answer in flight handed back (another worker restarts it), and one
user's many answers do not keep another user's out of the answer slots."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from rechat_shared.bus import EventBus, create_bus
from rechat_shared.crypto import SecretBox
from rechat_shared.events import ChatRequested, DifyTarget, StreamEvent, new_id
from rechat_shared.redis import dify_user_id
from rechat_shared.streams import StreamHub, create_stream_hub
from rechat_shared.testing.emulator import RunningEmulator
from rechat_shared.testing.processes import ServiceProcess

SECRET = "worker-process-tests-secret-worker-process"
EXIT_LIMIT_SECONDS = 15.0
"""A worker must be gone well before an orchestrator's SIGKILL (Docker's default is 10 s after
SIGTERM, Kubernetes' 30 s; the issue saw 15 s): bounds the wait, not a speed figure."""

WorkerFactory = Callable[..., ServiceProcess]


@pytest.fixture
async def transports(
    rabbitmq_url: str, rabbit_prefix: str, redis_url: str, redis_prefix: str
) -> AsyncIterator[tuple[EventBus, StreamHub, dict[str, str]]]:
    """The test's own bus and hub, and the environment its workers share with them."""
    prefix = f"{rabbit_prefix}{uuid.uuid4().hex[:6]}-"  # deleted with the run's prefix
    env = {
        **os.environ,
        "RECHAT_ENV": "development",
        "RECHAT_SECRET_KEY": SECRET,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": redis_prefix,
        "RABBITMQ_URL": rabbitmq_url,
        "RABBITMQ_PREFIX": prefix,
        "WORKER_AUTO_TITLE": "false",
        "LOG_FORMAT": "text",
    }
    bus = create_bus(rabbitmq_url, prefix)
    await bus.connect()
    hub = create_stream_hub(redis_url, redis_prefix)
    yield bus, hub, env
    await bus.close()
    await hub.close()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[WorkerFactory]:
    started: list[ServiceProcess] = []

    def start(env: dict[str, str], **settings: str) -> ServiceProcess:
        worker = ServiceProcess(
            module="rechat_worker",
            env={**env, **settings},
            log_path=tmp_path / f"worker-{len(started)}.log",
            ready_path="/readyz",  # consuming
        )
        started.append(worker)
        worker.start()
        return worker

    yield start
    for worker in started:
        worker.stop()


def _request(emulator: RunningEmulator, user_id: str, query: str) -> ChatRequested:
    return ChatRequested(
        user_id=user_id,
        app_id="app-1",
        conversation_id=new_id(),
        user_message_id=new_id(),
        message_id=new_id(),
        query=query,
        dify=DifyTarget(
            base_url=emulator.base_url,
            api_key_encrypted=SecretBox(SecretStr(SECRET)).encrypt(emulator.keys["chat"]),
            mode="chat",
        ),
        dify_user=dify_user_id(user_id),
        new_conversation=True,
    )


async def _until_terminal(events: AsyncIterator[StreamEvent], seen: list[StreamEvent]) -> None:
    async for event in events:
        seen.append(event)
        if event.is_terminal:
            return


async def test_sigterm_hands_the_answer_in_flight_back_and_exits_promptly(
    transports: tuple[EventBus, StreamHub, dict[str, str]],
    workers: WorkerFactory,
    dify_emulator: RunningEmulator,
) -> None:
    bus, hub, env = transports
    first = workers(env, WORKER_SHUTDOWN_GRACE_SECONDS="0.5")
    request = _request(dify_emulator, "leaving", "[[tokens:40]][[tps:10]]")
    seen: list[StreamEvent] = []
    async with hub.attach(request.message_id, None) as events:
        await bus.publish(request)
        async with asyncio.timeout(60):
            while sum(event.event == "delta" for event in seen) < 2:
                seen.append(await anext(events))
        assert first.process is not None
        first.process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(first.process.wait, EXIT_LIMIT_SECONDS)
        # uvicorn ends its graceful shutdown by re-raising the signal it caught
        assert code in (0, -signal.SIGTERM), first.log_tail()
        assert "Application shutdown complete" in first.log_tail(), first.log_tail()
        workers(env)  # another worker takes the handed-back request
        async with asyncio.timeout(60):
            await _until_terminal(events, seen)
    names = [event.event for event in seen]
    assert "restart" in names
    assert names[-1] == "done"
    after_restart = seen[names.index("restart") + 1 :]
    text = "".join(str(event.data["text"]) for event in after_restart if event.event == "delta")
    assert text == "".join(f"t{index} " for index in range(40))


async def test_one_users_many_answers_do_not_starve_another_user(
    transports: tuple[EventBus, StreamHub, dict[str, str]],
    workers: WorkerFactory,
    dify_emulator: RunningEmulator,
) -> None:
    bus, hub, env = transports
    workers(env, WORKER_CONCURRENCY="2", WORKER_FAIR_BUFFER="16")
    greedy = [_request(dify_emulator, "greedy", "[[tokens:10]][[tps:10]]") for _ in range(8)]
    patient = _request(dify_emulator, "patient", "[[tokens:10]][[tps:10]]")
    started: list[str] = []  # users, in the order their answers' first events arrive

    async def follow(request: ChatRequested, attached: asyncio.Event) -> list[StreamEvent]:
        seen: list[StreamEvent] = []
        async with hub.attach(request.message_id, None) as events:
            attached.set()
            async for event in events:
                if not seen:
                    started.append(request.user_id)
                seen.append(event)
                if event.is_terminal:
                    return seen
        return seen

    everyone = [*greedy, patient]
    attached = [asyncio.Event() for _ in everyone]
    followers = [
        asyncio.create_task(follow(request, ready))
        for request, ready in zip(everyone, attached, strict=True)
    ]
    for ready in attached:
        await ready.wait()
    for request in everyone:  # all of greedy's first: a queue served in order starts patient last
        await bus.publish(request)
    async with asyncio.timeout(120):
        streams = await asyncio.gather(*followers)
    assert all(seen[-1].event == "done" for seen in streams)
    assert started[:2] == ["greedy", "greedy"]  # the first two take both slots
    # patient waits for one slot to free, not for greedy's other six answers
    assert "patient" in started[:4], started
