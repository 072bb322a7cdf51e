"""The streaming pipeline as real processes: auth, history, chat-gateway and two dify-workers on
real MariaDB, Redis and RabbitMQ, with the Dify emulator standing in for Dify.

Shows: tokens in order reaching history, resume and late attach without loss or repeats, stop,
Dify failures and the stall watchdog, load sharing, a worker SIGKILLed mid-stream, the broker
going away and coming back, isolation between users, and schemathesis finding no 5xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from redis.asyncio import Redis
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from rechat_shared.redis import Keys
from rechat_shared.testing.chat_client import (
    LONG,
    Sse,
    Stream,
    TokenIssuer,
    deltas,
    open_stream,
    register_chat_app,
)
from rechat_shared.testing.emulator import RunningEmulator
from rechat_shared.testing.infra import delete_rabbit_names, delete_redis_prefix
from rechat_shared.testing.polling import eventually
from rechat_shared.testing.processes import ServiceProcess
from rechat_shared.testing.tokens import mark_live

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

StartProcess = Callable[..., ServiceProcess]


# -- Prometheus ------------------------------------------------------------------------------------


async def metric(process: ServiceProcess, name: str) -> float:
    """Sum of a Prometheus metric's samples on a worker's /metrics."""
    async with httpx.AsyncClient() as client:
        response = await client.get(process.url + "/metrics", timeout=5)
    total = 0.0
    for line in response.text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


# -- a broker we can unplug -----------------------------------------------------------------------


class TcpProxy:
    """A TCP relay to RabbitMQ on its own thread and event loop; `cut` makes the broker vanish
    for everyone connected through it, `restore` brings it back on the same port."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        threading.Thread(target=self._loop.run_forever, daemon=True).start()

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def restore(self) -> None:
        self._call(self._listen())

    def cut(self) -> None:
        self._call(self._cut())

    def close(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, up_writer})

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@contextlib.contextmanager
def stand_ins() -> Iterator[tuple[TokenIssuer, TcpProxy]]:
    issuer, proxy = TokenIssuer(), TcpProxy(5672)
    proxy.restore()
    try:
        yield issuer, proxy
    finally:
        proxy.close()
        issuer.close()


# -- the stack -------------------------------------------------------------------------------------


@dataclass
class User:
    id: str
    headers: dict[str, str]


@dataclass
class Stack:
    env: dict[str, str]
    history: ServiceProcess
    gateway: ServiceProcess
    workers: list[ServiceProcess]
    admin: User
    app_id: str
    start: StartProcess
    client: httpx.AsyncClient
    issuer: TokenIssuer
    broker: TcpProxy
    redis_prefix: str

    async def user(self, role: str = "user") -> User:
        user_id = str(uuid.uuid4())
        mark_live("redis://127.0.0.1:6379/0", self.redis_prefix, user_id)
        return User(user_id, self.issuer.headers(user_id, role))

    async def send(
        self,
        user: User,
        query: str,
        *,
        stop_when: Callable[[list[Sse]], bool] | None = None,
        **extra: Any,
    ) -> Stream:
        body = {"app_id": self.app_id, "query": query, **extra}
        return await open_stream(
            self.client,
            "POST",
            "/api/chat/messages",
            headers=user.headers,
            json_body=body,
            stop_when=stop_when,
        )

    async def stored(self, user: User, conversation_id: str, message_id: str) -> dict[str, Any]:
        """The answer as history has it once it is final."""

        async def final() -> dict[str, Any] | None:
            response = await self.client.get(
                f"{self.history.url}/api/conversations/{conversation_id}/messages",
                params={"limit": 100},
                headers=user.headers,
            )
            if response.status_code != 200:
                return None
            for message in response.json()["items"]:
                if message["id"] == message_id and message["status"] != "pending":
                    found: dict[str, Any] = message
                    return found
            return None

        stored: dict[str, Any] = await eventually(final, timeout=60)
        return stored


def _env(
    mariadb_url: str, prefix: str, redis_prefix: str, tmp: Path, emulator: RunningEmulator
) -> dict[str, str]:
    return {
        "RECHAT_SECRET_KEY": "pipeline-secret-pipeline-secret-pipeline",
        "RECHAT_DATA_DIR": str(tmp),
        "DATABASE_URL": mariadb_url,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "REDIS_PREFIX": redis_prefix,
        "RABBITMQ_PREFIX": prefix,
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "WARNING",
        "GATEWAY_RATE_LIMIT_COUNT": "12",
        "GATEWAY_KEEPALIVE_SECONDS": "1",
        "WORKER_DIFY_STALL_SECONDS": "2",
        "WORKER_CONCURRENCY": "16",
        "WORKER_SHUTDOWN_GRACE_SECONDS": "2",
    }


def _process(env: dict[str, str], log_dir: Path, module: str, name: str) -> ServiceProcess:
    ready = "/readyz" if module in ("rechat_worker", "rechat_gateway") else "/healthz"
    return ServiceProcess(
        module=module,
        env={**os.environ, **env},
        log_path=log_dir / f"{name}.log",
        ready_path=ready,
    )


async def start_all(processes: list[ServiceProcess]) -> None:
    """Start processes side by side (each waits for its own readiness in a thread)."""
    await asyncio.gather(*(asyncio.to_thread(process.start) for process in processes))


@pytest.fixture(scope="module")
async def stack(
    mariadb_url: str,
    run_id: str,
    dify_emulator: RunningEmulator,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Stack]:
    prefix = f"t{run_id}.pipe."
    redis_prefix = f"rechat-test:{run_id}:pipe:"
    tmp = tmp_path_factory.mktemp("pipe")
    with stand_ins() as (issuer, broker):
        env = _env(mariadb_url, prefix, redis_prefix, tmp, dify_emulator)
        env["AUTH_JWKS_URL"] = issuer.url
        env["RABBITMQ_URL"] = f"amqp://guest:guest@127.0.0.1:{broker.port}/"
        names = ["history", "gateway", "worker0", "worker1"]
        modules = ["rechat_history", "rechat_gateway", "rechat_worker", "rechat_worker"]
        processes = [_process(env, tmp, m, n) for m, n in zip(modules, names, strict=True)]
        history, gateway, *workers = processes
        env["HISTORY_INTERNAL_URL"] = history.url
        for process in processes:
            process.env.update(env)
        started: list[ServiceProcess] = []

        def start(module: str, *, env: dict[str, str], name: str) -> ServiceProcess:
            process = _process(env, tmp, module, name)
            started.append(process)
            process.start()
            return process

        try:
            await start_all(processes)
            async with httpx.AsyncClient(base_url=gateway.url, timeout=60) as client:
                admin = User(str(uuid.uuid4()), {})
                mark_live("redis://127.0.0.1:6379/0", redis_prefix, admin.id)
                admin.headers = issuer.headers(admin.id, "admin")
                app_id = await register_chat_app(client, admin.headers, dify_emulator)
                yield Stack(
                    env,
                    history,
                    gateway,
                    workers,
                    admin,
                    app_id,
                    start,
                    client,
                    issuer,
                    broker,
                    redis_prefix,
                )
        finally:
            for process in (*started, *workers, gateway, history):
                process.stop()
            await delete_rabbit_names("amqp://guest:guest@127.0.0.1:5672/", prefix)
            await delete_redis_prefix("redis://127.0.0.1:6379/0", redis_prefix)


# -- the happy path ----------------------------------------------------------------------------


async def test_tokens_arrive_in_order_and_the_same_answer_reaches_history(stack: Stack) -> None:
    user = await stack.user()
    stream = await stack.send(user, "[[tokens:60]] hello")
    assert stream.status == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.headers["x-accel-buffering"] == "no"
    start = stream.start
    assert set(start) >= {"conversation_id", "message_id", "user_message_id"}
    assert [event.seq for event in stream.events] == list(range(len(stream.events)))
    assert stream.last.event == "done"
    assert stream.last.data["status"] == "done"
    assert stream.last.data["usage"]["total_tokens"] > 0
    expected = "".join(f"t{index} " for index in range(60))
    assert stream.text == expected
    stored = await stack.stored(user, start["conversation_id"], start["message_id"])
    assert stored["status"] == "done"
    assert stored["content"] == expected

    async def titled() -> bool:
        response = await stack.client.get(
            f"{stack.history.url}/api/conversations/{start['conversation_id']}",
            headers=user.headers,
        )
        return response.status_code == 200 and bool(response.json()["title"])

    await eventually(titled, timeout=60)

    follow_up = await stack.send(
        user, "[[tokens:3]] again", conversation_id=start["conversation_id"]
    )
    assert follow_up.last.event == "done"
    assert follow_up.start["conversation_id"] == start["conversation_id"]


async def test_resume_and_late_attach_lose_and_repeat_nothing(stack: Stack) -> None:
    user = await stack.user()
    first = await stack.send(
        user, "[[tokens:40]][[tps:40]]", stop_when=lambda events: deltas(events) >= 5
    )
    message_id = first.start["message_id"]
    last_seq = first.last.seq
    assert last_seq is not None
    resumed = await open_stream(
        stack.client,
        "GET",
        f"/api/chat/messages/{message_id}/stream",
        headers={**user.headers, "Last-Event-ID": str(last_seq)},
    )
    assert resumed.events[0].seq == last_seq + 1
    seqs = [event.seq for event in first.events + resumed.events]
    assert seqs == list(range(len(seqs)))
    expected = "".join(f"t{index} " for index in range(40))
    assert first.text + resumed.text == expected
    assert resumed.last.event == "done"

    late = await open_stream(
        stack.client, "GET", f"/api/chat/messages/{message_id}/stream", headers=user.headers
    )
    assert late.start["message_id"] == message_id
    assert [event.seq for event in late.events] == list(range(len(late.events)))
    assert late.text == expected


async def test_stop_mid_stream_keeps_the_partial_answer(stack: Stack) -> None:
    user = await stack.user()
    stream = await stack.send(user, LONG, stop_when=lambda events: deltas(events) >= 3)
    start = stream.start
    stopped = await stack.client.post(
        f"/api/chat/messages/{start['message_id']}/stop", headers=user.headers
    )
    assert stopped.status_code == 202
    assert stopped.json() == {"status": "stopping"}
    rest = await open_stream(
        stack.client,
        "GET",
        f"/api/chat/messages/{start['message_id']}/stream",
        headers={**user.headers, "Last-Event-ID": str(stream.last.seq)},
    )
    assert rest.last.event == "done"
    assert rest.last.data["status"] == "stopped"
    partial = stream.text + rest.text
    assert 3 <= len(partial.split()) < 600
    stored = await stack.stored(user, start["conversation_id"], start["message_id"])
    assert stored["status"] == "stopped"
    assert stored["content"] == partial


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("[[error:provider_quota_exceeded]]", "provider_quota_exceeded"),
        ("[[midstream-error]]", "dify_"),
        ("[[stall]]", "dify_stalled"),
    ],
)
async def test_dify_failures_reach_the_client_and_history(
    stack: Stack, query: str, code: str
) -> None:
    user = await stack.user()
    stream = await stack.send(user, query)
    assert stream.last.event == "error"
    assert code in stream.last.data["code"]
    assert stream.last.data["message"]
    start = stream.start
    stored = await stack.stored(user, start["conversation_id"], start["message_id"])
    assert stored["status"] == "failed"
    assert stored["error"]["code"] == stream.last.data["code"]


async def test_two_workers_share_the_load(stack: Stack) -> None:
    users = [await stack.user() for _ in range(3)]
    before = [await metric(worker, "rechat_worker_generations_total") for worker in stack.workers]
    streams = await asyncio.gather(
        *(stack.send(users[index % 3], "[[tokens:20]][[tps:100]]") for index in range(12))
    )
    assert all(stream.last.event == "done" for stream in streams)
    after = [await metric(worker, "rechat_worker_generations_total") for worker in stack.workers]
    served = [late - early for early, late in zip(before, after, strict=True)]
    assert sum(served) == 12
    assert all(count > 0 for count in served), served


async def test_a_worker_killed_mid_stream_is_replaced_by_another(stack: Stack) -> None:
    user = await stack.user()
    stream = await stack.send(
        user, "[[tokens:60]][[tps:20]]", stop_when=lambda events: deltas(events) >= 3
    )
    busy = [w for w in stack.workers if await metric(w, "rechat_worker_active_generations") > 0]
    assert len(busy) == 1
    busy[0].kill()
    start = stream.start
    rest = await open_stream(
        stack.client,
        "GET",
        f"/api/chat/messages/{start['message_id']}/stream",
        headers={**user.headers, "Last-Event-ID": str(stream.last.seq)},
    )
    names = [event.event for event in rest.events]
    assert "restart" in names
    assert rest.last.event == "done"
    expected = "".join(f"t{index} " for index in range(60))
    whole = Stream(200, stream.events + rest.events)
    assert whole.text == expected
    stored = await stack.stored(user, start["conversation_id"], start["message_id"])
    assert stored["status"] == "done"
    assert stored["content"] == expected
    page = await stack.client.get(
        f"{stack.history.url}/api/conversations/{start['conversation_id']}/messages",
        headers=user.headers,
    )
    answers = [m for m in page.json()["items"] if m["role"] == "assistant"]
    assert len(answers) == 1


async def test_idle_streams_get_keep_alive_comments(stack: Stack) -> None:
    user = await stack.user()
    # Dify sends pings only until the 2 s stall watchdog ends the answer; the gateway's 1 s
    # keep-alive timer started before the worker even called Dify, so it comes first
    body = {"app_id": stack.app_id, "query": "[[stall]]"}
    raw = ""
    async with stack.client.stream(
        "POST", "/api/chat/messages", json=body, headers=user.headers
    ) as response:
        async for chunk in response.aiter_text():
            raw += chunk
            if "event: error" in raw:
                break
    assert "event: error" in raw
    before_the_end = raw.split("event: error", 1)[0]
    assert ": keep-alive" in before_the_end


async def test_a_client_that_hangs_up_frees_its_subscription_and_the_answer_goes_on(
    stack: Stack,
) -> None:
    user = await stack.user()
    # 15 s: time enough to see the subscription go while the answer streams
    query = "[[tokens:150]][[tps:10]]"
    stream = await stack.send(user, query, stop_when=lambda events: deltas(events) >= 2)
    start = stream.start
    keys = Keys(stack.env["REDIS_PREFIX"])
    channel = keys.stream_channel(start["message_id"])
    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    try:

        async def unsubscribed() -> bool:
            [(_, listeners)] = await redis.pubsub_numsub(channel)
            return listeners == 0

        await eventually(unsubscribed, timeout=60)
        [(_, newest)] = await redis.xrevrange(keys.stream_log(start["message_id"]), count=1)
        assert newest[b"e"] != b"done", "released while the answer was still streaming"
    finally:
        await redis.aclose()
    rest = await open_stream(
        stack.client,
        "GET",
        f"/api/chat/messages/{start['message_id']}/stream",
        headers={**user.headers, "Last-Event-ID": str(stream.last.seq)},
    )
    assert rest.last.data["status"] == "done"
    stored = await stack.stored(user, start["conversation_id"], start["message_id"])
    assert stored["content"] == stream.text + rest.text


async def test_resume_after_the_log_expired_comes_from_history(stack: Stack) -> None:
    user = await stack.user()
    stream = await stack.send(user, "[[tokens:5]]")
    start = stream.start
    await stack.stored(user, start["conversation_id"], start["message_id"])
    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        log = Keys(stack.env["REDIS_PREFIX"]).stream_log(start["message_id"])
        assert await redis.delete(log) == 1
    finally:
        await redis.aclose()
    resumed = await open_stream(
        stack.client,
        "GET",
        f"/api/chat/messages/{start['message_id']}/stream",
        headers={**user.headers, "Last-Event-ID": "2"},
    )
    assert [event.event for event in resumed.events] == ["replace", "done"]
    assert resumed.text == stream.text
    assert resumed.last.data["status"] == "done"


async def test_workflow_apps_stream_node_progress(
    stack: Stack, dify_emulator: RunningEmulator
) -> None:
    created = await stack.client.post(
        "/api/admin/apps",
        json={
            "name": "Emulator workflow",
            "base_url": dify_emulator.base_url,
            "api_key": dify_emulator.keys["workflow"],
            "mode": "workflow",
        },
        headers=stack.admin.headers,
    )
    user = await stack.user()
    stream = await open_stream(
        stack.client,
        "POST",
        "/api/chat/messages",
        headers=user.headers,
        json_body={"app_id": created.json()["id"], "query": "[[tokens:4]]"},
    )
    nodes = [event.data for event in stream.events if event.event == "node"]
    assert {node["status"] for node in nodes} >= {"running", "succeeded"}
    assert stream.last.event == "done"
    assert stream.text


async def test_uploaded_files_go_with_the_question(stack: Stack) -> None:
    user = await stack.user()
    png = bytes.fromhex("89504e470d0a1a0a") + b"\x00" * 64
    uploaded = await stack.client.post(
        "/api/files",
        data={"app_id": stack.app_id},
        files={"file": ("dot.png", png, "image/png")},
        headers=user.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    file = uploaded.json()
    assert file["type"] == "image"
    assert file["name"] == "dot.png"
    stream = await stack.send(
        user,
        "[[tokens:2]] what is in the picture?",
        files=[{"type": "image", "transfer_method": "local_file", "upload_file_id": file["id"]}],
    )
    assert stream.last.event == "done"


# -- isolation and limits ----------------------------------------------------------------------


async def test_other_users_cannot_touch_a_message(stack: Stack) -> None:
    owner, other = await stack.user(), await stack.user()
    stream = await stack.send(owner, "[[tokens:3]]")
    message_id = stream.start["message_id"]
    for method, path, body in [
        ("GET", f"/api/chat/messages/{message_id}/stream", None),
        ("POST", f"/api/chat/messages/{message_id}/stop", None),
        ("POST", f"/api/chat/messages/{message_id}/feedback", {"rating": "like"}),
        ("POST", f"/api/chat/messages/{message_id}/regenerate", None),
    ]:
        response = await stack.client.request(method, path, json=body, headers=other.headers)
        assert response.status_code == 404, (path, response.text)
    foreign = await stack.send(
        other, "[[tokens:1]]", conversation_id=stream.start["conversation_id"]
    )
    assert foreign.status == 404
    rated = await stack.client.post(
        f"/api/chat/messages/{message_id}/feedback",
        json={"rating": "like", "content": "good"},
        headers=owner.headers,
    )
    assert rated.status_code == 204


async def test_regenerate_asks_again_as_a_sibling(stack: Stack) -> None:
    user = await stack.user()
    first = await stack.send(user, "[[tokens:5]] question")
    again = await open_stream(
        stack.client,
        "POST",
        f"/api/chat/messages/{first.start['message_id']}/regenerate",
        headers=user.headers,
    )
    assert again.last.event == "done"
    assert again.start["conversation_id"] == first.start["conversation_id"]
    assert again.start["regenerate_of"] == first.start["message_id"]
    assert again.text == first.text
    stored = await stack.stored(user, again.start["conversation_id"], again.start["message_id"])
    assert stored["regenerate_of"] == first.start["message_id"]


async def test_pending_busy_and_rate_limited_requests_are_refused(stack: Stack) -> None:
    pending = await stack.user(role="pending")
    refused = await stack.send(pending, "hi")
    assert refused.status == 403

    user = await stack.user()
    running = await stack.send(user, LONG, stop_when=lambda events: deltas(events) >= 1)
    busy = await stack.send(user, "[[tokens:1]]", conversation_id=running.start["conversation_id"])
    assert busy.status == 409
    assert busy.body is not None
    assert busy.body["error"] == "conversation_busy"
    await stack.client.post(
        f"/api/chat/messages/{running.start['message_id']}/stop", headers=user.headers
    )

    # a fixed window of 12 per minute: at most 24 pass even if a window boundary falls inside
    statuses = []
    for _ in range(30):
        response = await stack.send(user, "[[tokens:1]]")
        statuses.append(response.status)
        if response.status == 429:
            assert response.headers["retry-after"].isdigit()
            assert response.body is not None
            assert response.body["error"] == "rate_limited"
            break
    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {200}


# -- the broker goes away and comes back -----------------------------------------------------------


async def test_broker_down_gives_503_and_everyone_reconnects(stack: Stack) -> None:
    user = await stack.user()
    stack.broker.cut()
    try:
        # within the client's timeout: publish confirms are bounded at 2.5 s
        down = await stack.client.post(
            "/api/chat/messages",
            json={"app_id": stack.app_id, "query": "[[tokens:3]]"},
            headers=user.headers,
        )
        assert down.status_code == 503
        assert down.json()["error"] == "bus_unavailable"
    finally:
        stack.broker.restore()

    async def answered() -> bool:
        stream = await stack.send(user, "[[tokens:3]]")
        return stream.status == 200 and stream.last.event == "done"

    await eventually(answered, timeout=60)


# -- schemathesis ----------------------------------------------------------------------------------


async def test_openapi_fuzzing_finds_no_server_error(stack: Stack) -> None:
    """schemathesis over every route of the gateway's OpenAPI (bounded): never a 5xx."""
    schema = schemathesis.openapi.from_url(f"{stack.gateway.url}/openapi.json")

    def fuzz_all() -> None:
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), result
            operation = result.ok()

            @given(case=operation.as_strategy())
            @settings(
                max_examples=8,
                deadline=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def fuzz(case: schemathesis.Case[Any]) -> None:
                case.call_and_validate(
                    base_url=stack.gateway.url,
                    headers=stack.admin.headers,
                    checks=[not_a_server_error],
                    timeout=15,
                )

            fuzz()

    await asyncio.to_thread(fuzz_all)


# -- every user action reaches Dify (issue 12) -------------------------------------------------


async def dify_get(emulator: RunningEmulator, mode: str, path: str, **params: str) -> Any:
    """What Dify itself holds (read from the emulator with the app's key)."""
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"{emulator.base_url}{path}",
            params=params,
            headers={"Authorization": f"Bearer {emulator.keys[mode]}"},
            timeout=10,
        )
    return response.json()


async def dify_conversations(emulator: RunningEmulator, user: User, mode: str = "chat") -> Any:
    page = await dify_get(emulator, mode, "/conversations", user=f"rechat-{user.id}", limit="100")
    return page["data"]


async def register(stack: Stack, emulator: RunningEmulator, mode: str, key: str = "") -> str:
    """An app of `mode`, its mode detected by the gateway (none is named)."""
    created = await stack.client.post(
        "/api/admin/apps",
        json={
            "name": f"Emulator {mode}",
            "base_url": emulator.base_url,
            "api_key": key or emulator.keys[mode],
        },
        headers=stack.admin.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["mode"] == mode
    return str(created.json()["id"])


async def test_deleting_a_conversation_deletes_it_in_dify_and_refuses_later_turns(
    stack: Stack, dify_emulator: RunningEmulator
) -> None:
    user = await stack.user()
    first = await stack.send(user, "[[tokens:3]] remember me")
    conversation_id = first.start["conversation_id"]
    await stack.stored(user, conversation_id, first.start["message_id"])
    assert len(await dify_conversations(dify_emulator, user)) == 1
    deleted = await stack.client.delete(
        f"{stack.history.url}/api/conversations/{conversation_id}", headers=user.headers
    )
    assert deleted.status_code == 204
    # a second tab still showing the conversation sends a turn at once: refused, no Dify call
    again = await stack.send(user, "[[tokens:3]] still there?", conversation_id=conversation_id)
    assert again.status == 404
    assert again.body == {"error": "conversation_not_found", "detail": "Conversation not found"}

    async def gone_in_dify() -> bool:
        return await dify_conversations(dify_emulator, user) == []

    await eventually(gone_in_dify, timeout=60)
    regenerated = await stack.client.post(
        f"/api/chat/messages/{first.start['message_id']}/regenerate", headers=user.headers
    )
    assert regenerated.status_code == 404
    mine = [
        (call["method"], call["route"])
        for call in dify_emulator.control("GET", "/calls")["calls"]
        if (call["body"] or {}).get("user") == f"rechat-{user.id}"
    ]
    # the first turn and the delete reached Dify; the refused turns never did
    assert mine.count(("POST", "/v1/chat-messages")) == 1
    assert ("DELETE", "/v1/conversations/{conversation_id}") in mine


async def test_renames_reach_dify_and_a_stopped_first_answer_still_gets_a_title(
    stack: Stack, dify_emulator: RunningEmulator
) -> None:
    user = await stack.user()
    stream = await stack.send(
        user, "[[slow]] tell me a long story", stop_when=lambda events: deltas(events) >= 2
    )
    start = stream.start
    await stack.client.post(f"/api/chat/messages/{start['message_id']}/stop", headers=user.headers)
    stored = await stack.stored(user, start["conversation_id"], start["message_id"])
    assert stored["status"] == "stopped"
    url = f"{stack.history.url}/api/conversations/{start['conversation_id']}"

    async def titled_by_dify() -> str | None:
        title = (await stack.client.get(url, headers=user.headers)).json()["title"]
        names = [c["name"] for c in await dify_conversations(dify_emulator, user)]
        return title if names == [title] and title.startswith("Title:") else None

    await eventually(titled_by_dify, timeout=60)
    renamed = await stack.client.patch(url, json={"title": "My own title"}, headers=user.headers)
    assert renamed.status_code == 200

    async def renamed_in_dify() -> bool:
        names = [c["name"] for c in await dify_conversations(dify_emulator, user)]
        return names == ["My own title"]

    await eventually(renamed_in_dify, timeout=60)


async def test_follow_up_questions_are_fetched_delivered_and_stored(stack: Stack) -> None:
    user = await stack.user()
    stream = await stack.send(user, "[[tokens:4]] what next?")
    assert stream.last.event == "done"
    questions = stream.last.data["suggested_questions"]
    assert len(questions) == 3
    assert all(isinstance(q, str) and q for q in questions)
    stored = await stack.stored(user, stream.start["conversation_id"], stream.start["message_id"])
    assert stored["suggested_questions"] == questions


async def test_an_agent_answer_is_difys_stored_answer_with_its_steps(
    stack: Stack, dify_emulator: RunningEmulator
) -> None:
    app_id = await register(stack, dify_emulator, "agent-chat")
    user = await stack.user()
    stream = await stack.send(user, "[[tools]] What time is it?", app_id=app_id)
    assert stream.last.event == "done"
    assert stream.last.data["suggested_questions"] == []  # the agent app has them off
    start = stream.start
    listing = await dify_get(
        dify_emulator,
        "agent-chat",
        "/messages",
        user=f"rechat-{user.id}",
        conversation_id=(await dify_conversations(dify_emulator, user, "agent-chat"))[0]["id"],
    )
    dify_message = listing["data"][-1]
    assert stream.text == dify_message["answer"]
    stored = await stack.stored(user, start["conversation_id"], start["message_id"])
    assert stored["content"] == dify_message["answer"]
    steps = {step["id"]: step for step in stored["thoughts"]}
    for dify_step in dify_message["agent_thoughts"]:
        step = steps[dify_step["id"]]
        assert (step["thought"], step["tool"], step["observation"]) == (
            dify_step["thought"] or "",
            dify_step["tool"] or "",
            dify_step["observation"] or "",
        )
    assert any(step["tool"] and step["observation"] for step in stored["thoughts"])


async def test_a_workflow_gets_the_message_in_its_first_required_text_input(
    stack: Stack, dify_emulator: RunningEmulator
) -> None:
    key = f"app-emulator-workflow-{uuid.uuid4().hex[:8]}"
    form = [
        {"paragraph": {"label": "Your question", "variable": "question", "required": True}},
        {"text-input": {"label": "Tone", "variable": "tone", "required": True, "max_length": 20}},
    ]
    dify_emulator.control(
        "PUT", f"/apps/{key}", json={"key": key, "mode": "workflow", "user_input_form": form}
    )
    app_id = await register(stack, dify_emulator, "workflow", key)
    apps = (await stack.client.get("/api/apps", headers=stack.admin.headers)).json()
    assert next(app for app in apps if app["id"] == app_id)["query_input"] == "question"
    user = await stack.user()
    missing = await stack.send(user, "[[tokens:2]] why?", app_id=app_id)
    assert missing.status == 400
    assert missing.body == {"error": "missing_input", "detail": "Fill in “Tone” before sending"}
    stream = await stack.send(user, "[[tokens:2]] why?", app_id=app_id, inputs={"tone": "dry"})
    assert stream.last.event == "done", stream.events
    stored = await stack.stored(
        user, stream.start["conversation_id"], stream.start["user_message_id"]
    )
    assert stored["inputs"]["question"] == "[[tokens:2]] why?"


async def test_only_the_last_answer_can_be_regenerated(stack: Stack) -> None:
    user = await stack.user()
    first = await stack.send(user, "[[tokens:2]] one")
    conversation_id = first.start["conversation_id"]
    second = await stack.send(user, "[[tokens:2]] two", conversation_id=conversation_id)
    assert second.last.event == "done"
    refused = await stack.client.post(
        f"/api/chat/messages/{first.start['message_id']}/regenerate", headers=user.headers
    )
    assert refused.status_code == 409
    assert refused.json()["error"] == "regenerate_not_last"


async def test_an_attached_image_keeps_its_name_and_its_owner_alone_sees_its_thumbnail(
    stack: Stack,
) -> None:
    user, other = await stack.user(), await stack.user()
    png = bytes.fromhex("89504e470d0a1a0a") + b"\x00" * 32
    uploaded = await stack.client.post(
        "/api/files",
        data={"app_id": stack.app_id},
        files={"file": ("holiday.png", png, "image/png")},
        headers=user.headers,
    )
    file = uploaded.json()
    attached = {"type": "image", "transfer_method": "local_file", "upload_file_id": file["id"]}
    stream = await stack.send(
        user, "[[tokens:2]] look", files=[{**attached, "name": "holiday.png"}]
    )
    assert stream.last.event == "done"
    conversation_id = stream.start["conversation_id"]
    question = await stack.stored(user, conversation_id, stream.start["user_message_id"])
    assert question["files"] == [{**attached, "name": "holiday.png"}]
    url = f"/api/files/{file['id']}/preview"
    thumbnail = await stack.client.get(
        url, params={"conversation_id": conversation_id}, headers=user.headers
    )
    assert thumbnail.status_code == 200, thumbnail.text
    assert thumbnail.headers["content-type"] == "image/png"
    assert thumbnail.content == png
    foreign = await stack.client.get(
        url, params={"conversation_id": conversation_id}, headers=other.headers
    )
    assert foreign.status_code == 404
    own = await stack.send(other, "[[tokens:2]] mine")
    elsewhere = await stack.client.get(
        url, params={"conversation_id": own.start["conversation_id"]}, headers=other.headers
    )
    assert elsewhere.status_code == 404
    assert elsewhere.json()["error"] == "file_not_found"
