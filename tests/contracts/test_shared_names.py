"""Names two services must agree on go through `rechat_shared.redis`: the writer and the reader.

Each test respells the key in `Keys` (a marker the services cannot know) and runs one service's
real writing code against another's real reading code on real Redis. Had either side spelled
the key by hand, the reader would miss what the writer wrote.
"""

from __future__ import annotations

import ast
import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from rechat_auth.users.revocation import UserStateStore
from rechat_gateway.chat.redis_repository import Records, TurnGate
from rechat_history.conversations.mirror import DifyMirror
from rechat_history.models import Conversation
from rechat_shared.bus import Delivery, create_bus
from rechat_shared.crypto import SecretBox
from rechat_shared.dify import DifyClient
from rechat_shared.errors import Conflict, Forbidden, Unauthorized
from rechat_shared.events import ChatRequested, DifyTarget, new_id
from rechat_shared.redis import Keys, create_redis, dify_user_id
from rechat_shared.security import TokenVerifier
from rechat_shared.settings import JWTVerifySettings
from rechat_shared.streams import create_stream_hub
from rechat_shared.testing.emulator import RunningEmulator
from rechat_worker.config import WorkerSettings
from rechat_worker.consumer import RequestConsumer
from rechat_worker.context import WorkerContext

ROOT = Path(__file__).resolve().parents[2]
SECRET = SecretStr("contract-tests-secret-contract-tests-secret")


def respell(monkeypatch: pytest.MonkeyPatch, name: str) -> Callable[[Keys, str], str]:
    """Make `Keys.<name>` spell its key differently for this test; returns the new spelling."""
    original = getattr(Keys, name)

    def respelled(self: Keys, ident: str) -> str:
        return str(original(self, f"respelled-{ident}"))

    monkeypatch.setattr(Keys, name, respelled)
    return respelled


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = create_redis(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def worker(redis: Redis, redis_url: str, redis_prefix: str) -> AsyncIterator[WorkerContext]:
    """The worker's context on the real Redis (the bus in-process: no event crosses it here)."""
    bus_url = f"memory://contracts-{uuid.uuid4().hex[:8]}"
    settings = WorkerSettings(RECHAT_SECRET_KEY=SECRET, REDIS_URL=redis_url, RABBITMQ_URL=bus_url)
    bus = create_bus(bus_url)
    await bus.connect()
    hub = create_stream_hub(redis_url, redis_prefix)
    dify = DifyClient(settings.dify_timeouts())
    yield WorkerContext(
        settings=settings,
        redis=redis,
        keys=Keys(redis_prefix),
        bus=bus,
        hub=hub,
        dify=dify,
        box=SecretBox(SECRET),
    )
    await bus.close()
    await hub.close()
    await dify.aclose()


async def test_dify_ids_the_worker_writes_are_the_ones_the_gateway_reads(
    worker: WorkerContext,
    redis: Redis,
    redis_prefix: str,
    dify_emulator: RunningEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conversation_key = respell(monkeypatch, "dify_conversation")
    message_key = respell(monkeypatch, "dify_message")
    request = ChatRequested(
        user_id="user-1",
        app_id="app-1",
        conversation_id=new_id(),
        user_message_id=new_id(),
        message_id=new_id(),
        query="hello",
        dify=DifyTarget(
            base_url=dify_emulator.base_url,
            api_key_encrypted=worker.box.encrypt(dify_emulator.keys["chat"]),
            mode="chat",
        ),
        dify_user=dify_user_id("user-1"),
        new_conversation=True,
    )
    delivery = Delivery(
        event=request,
        routing_key="chat.requested",
        message_id=request.event_id,
        trace_id=None,
        redelivered=False,
        delivery_count=0,
    )
    await RequestConsumer(worker)(delivery)  # the writer: one real generation

    records = Records(redis, Keys(redis_prefix), ttl=60)  # the reader
    dify_conversation = await records.dify_conversation_id(request.conversation_id)
    dify_message = await records.dify_message_id(request.message_id)
    assert dify_conversation is not None
    assert dify_message is not None
    keys = Keys(redis_prefix)
    assert await redis.get(conversation_key(keys, request.conversation_id)) is not None
    assert await redis.get(message_key(keys, request.message_id)) is not None


async def test_the_lock_the_gateway_takes_is_the_one_the_worker_frees(
    worker: WorkerContext, redis: Redis, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock_key = respell(monkeypatch, "conversation_lock")
    gate = TurnGate(redis, Keys(redis_prefix), limit=10, window=60, lock_ttl=60)
    conversation_id, first, second = new_id(), new_id(), new_id()
    await gate.admit("user-1", conversation_id, first)  # the gateway takes it
    assert await redis.get(lock_key(Keys(redis_prefix), conversation_id)) == first.encode()
    with pytest.raises(Conflict):
        await gate.admit("user-1", conversation_id, second)
    await worker.release_conversation(conversation_id, first)  # the worker frees it
    await gate.admit("user-1", conversation_id, second)


async def test_the_user_state_auth_writes_is_the_one_every_verifier_reads(
    redis: Redis, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    state_key = respell(monkeypatch, "user_state")

    class NoKeys:
        async def key_for(self, kid: str) -> object:
            raise AssertionError("not needed: only the revocation check runs")

    verifier = TokenVerifier(NoKeys(), JWTVerifySettings(), redis, Keys(redis_prefix))  # type: ignore[arg-type]
    store = UserStateStore(redis, Keys(redis_prefix), ttl_seconds=60)
    issued_at = time.time() - 1
    with pytest.raises(Unauthorized):  # nothing written yet: fails closed
        await verifier._check_not_revoked("user-1", issued_at)
    await store.mark_live("user-1")  # auth writes it with every token it mints
    await verifier._check_not_revoked("user-1", issued_at)

    await store.revoke_tokens("user-1")  # auth writes
    assert await redis.exists(state_key(Keys(redis_prefix), "user-1"))
    with pytest.raises(Unauthorized):
        await verifier._check_not_revoked("user-1", issued_at)
    await store.set_disabled("user-1", True)
    with pytest.raises(Forbidden):
        await verifier._check_not_revoked("user-1", time.time() + 1)


async def test_the_tombstone_history_writes_is_the_one_the_gateway_and_the_worker_read(
    worker: WorkerContext,
    redis: Redis,
    redis_prefix: str,
    dify_emulator: RunningEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tombstone_key = respell(monkeypatch, "conversation_deleted")
    conversation_id = new_id()
    mirror = DifyMirror(redis, Keys(redis_prefix), worker.bus)
    await mirror.mark_deleted([Conversation(id=conversation_id)])  # history, on a delete
    assert await redis.exists(tombstone_key(Keys(redis_prefix), conversation_id))
    records = Records(redis, Keys(redis_prefix), ttl=60)
    assert await records.deleted(conversation_id)  # the gateway refuses new turns on it
    request = ChatRequested(  # a turn the gateway accepted just before the delete
        user_id="user-1",
        app_id="app-1",
        conversation_id=conversation_id,
        user_message_id=new_id(),
        message_id=new_id(),
        query="hello again",
        dify=DifyTarget(
            base_url=dify_emulator.base_url,
            api_key_encrypted=worker.box.encrypt(dify_emulator.keys["chat"]),
            mode="chat",
        ),
        dify_user=dify_user_id("user-1"),
        new_conversation=False,
        dify_conversation_id=new_id(),
    )
    delivery = Delivery(
        event=request,
        routing_key="chat.requested",
        message_id=request.event_id,
        trace_id=None,
        redelivered=False,
        delivery_count=0,
    )
    async with worker.hub.attach(request.message_id, None) as events:
        await RequestConsumer(worker)(delivery)  # the worker reads it before calling Dify
        async with asyncio.timeout(30):
            terminal = None
            async for event in events:
                if event.is_terminal:
                    terminal = event
                    break
    assert terminal is not None
    assert (terminal.event, terminal.data["code"]) == ("error", "conversation_not_found")


def _builds_dify_user_by_hand(path: Path) -> list[int]:
    """Lines with an f-string `rechat-{...user...}`: the Dify end-user id spelled by hand."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.JoinedStr) or len(node.values) < 2:
            continue
        head, value = node.values[0], node.values[1]
        if (
            isinstance(head, ast.Constant)
            and head.value == "rechat-"
            and isinstance(value, ast.FormattedValue)
            and "user" in ast.unparse(value.value)
        ):
            lines.append(node.lineno)
    return lines


def test_the_dify_user_id_is_built_in_one_place_and_both_sides_use_it() -> None:
    sources = [*ROOT.glob("shared/src/**/*.py"), *ROOT.glob("services/*/src/**/*.py")]
    by_hand = {
        str(path.relative_to(ROOT)): lines
        for path in sources
        if (lines := _builds_dify_user_by_hand(path))
    }
    assert list(by_hand) == ["shared/src/rechat_shared/redis.py"]
    assert len(by_hand["shared/src/rechat_shared/redis.py"]) == 1
    users = [
        "services/chat-gateway/src/rechat_gateway/chat/service.py",  # chat requests, feedback
        "services/chat-gateway/src/rechat_gateway/files/service.py",  # uploads
        "services/dify-worker/src/rechat_worker/consumer.py",  # feedback on older messages
    ]
    for user in users:
        assert "dify_user_id(" in (ROOT / user).read_text(), user
