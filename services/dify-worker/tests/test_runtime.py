"""A worker run inside the caller's event loop: it consumes, and on shutdown hands unfinished
answers back so another worker restarts them (in-process transports, real emulator)."""

from __future__ import annotations

import asyncio
import uuid

from pydantic import SecretStr

from rechat_shared.bus import create_bus
from rechat_shared.crypto import SecretBox
from rechat_shared.events import ChatRequested, DifyTarget, StreamEvent, new_id
from rechat_shared.redis import dify_user_id
from rechat_shared.streams import create_stream_hub
from rechat_shared.testing.emulator import RunningEmulator
from rechat_worker.config import WorkerSettings
from rechat_worker.runtime import run_worker

SECRET = SecretStr("runtime-tests-secret-runtime-tests-secret")


async def test_shutdown_hands_back_an_unfinished_answer_that_another_worker_restarts(
    dify_emulator: RunningEmulator,
) -> None:
    url = f"memory://runtime-{uuid.uuid4().hex[:8]}"
    settings = WorkerSettings(
        RECHAT_SECRET_KEY=SECRET,
        REDIS_URL=url,
        RABBITMQ_URL=url,
        WORKER_SHUTDOWN_GRACE_SECONDS=0.2,
        WORKER_AUTO_TITLE=False,
    )
    bus, hub = create_bus(url), create_stream_hub(url, settings.redis_prefix)
    await bus.connect()
    request = ChatRequested(
        user_id="u",
        app_id="a",
        conversation_id=new_id(),
        user_message_id=new_id(),
        message_id=new_id(),
        query="[[tokens:30]][[tps:20]]",
        dify=DifyTarget(
            base_url=dify_emulator.base_url,
            api_key_encrypted=SecretBox(SECRET).encrypt(dify_emulator.keys["chat"]),
            mode="chat",
        ),
        dify_user=dify_user_id("u"),
    )
    seen: list[StreamEvent] = []
    async with hub.attach(request.message_id, None) as events:
        async with run_worker(settings) as first:
            await asyncio.wait_for(first.consuming.wait(), 10)
            await bus.publish(request)
            while len([e for e in seen if e.event == "delta"]) < 2:
                seen.append(await asyncio.wait_for(anext(events), 10))
        async with run_worker(settings):
            async with asyncio.timeout(20):
                async for event in events:
                    seen.append(event)
                    if event.is_terminal:
                        break
    names = [event.event for event in seen]
    assert "restart" in names
    assert names[-1] == "done"
    after_restart = seen[names.index("restart") + 1 :]
    text = "".join(str(e.data["text"]) for e in after_restart if e.event == "delta")
    assert text == "".join(f"t{index} " for index in range(30))
    await bus.close()
    await hub.close()
