"""History benchmark, printed as JSON: ingest rate, lag at a steady load, list latency.

- ``ingest``: a backlog of chat turns (request + completion) waits in RabbitMQ; the history
  consumer starts and we time how fast completions become committed rows in MariaDB.
- ``steady``: 300 completions/s (each after its request) for a while; lag = commit time minus
  the completion's ``occurred_at`` (p50/p99/max).
- ``list``: one user with 100k messages; latency of the API's list, deep pages, a
  conversation's messages and search (FULLTEXT word, Chinese via LIKE), in-process.

Needs MariaDB, RabbitMQ and Redis (the test infrastructure); uses a throwaway database and
queue prefix. ``uv run python bench/history_ingest.py [--backlog 12000] [--seconds 20]``; the
consumer runs with the service's defaults unless ``--writers`` / ``--batch-size`` say otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rechat_history.app import create_app, run_migrations
from rechat_history.config import Settings
from rechat_history.consumers import HistoryConsumer, create_consumer_engine, start_consumers
from rechat_history.models import Conversation, Message
from rechat_history.testing import ChatScript, KeyRing, new_id
from rechat_shared.bus import Delivery, EventBus, create_bus
from rechat_shared.db import create_engine, create_sessionmaker, utcnow
from rechat_shared.events import BusEvent, ChatCompleted
from rechat_shared.testing.infra import (
    MARIADB_ADMIN_URL,
    RABBITMQ_URL,
    REDIS_URL,
    delete_rabbit_names,
    delete_redis_prefix,
)


@dataclass(frozen=True)
class Tuning:
    """How the consumer runs; the service's defaults unless given on the command line."""

    consumers: int = Settings.model_fields["consumers"].default
    writers: int = Settings.model_fields["writers"].default
    batch_size: int = Settings.model_fields["batch_size"].default
    batch_wait: float = Settings.model_fields["batch_wait_seconds"].default

    async def start(self, bus: EventBus, consumer: HistoryConsumer) -> None:
        await start_consumers(
            bus,
            consumer,
            count=self.consumers,
            batch_size=self.batch_size,
            batch_wait=self.batch_wait,
        )


WORDS = ["tide", "moon", "ocean", "gravity", "orbit", "planet", "photosynthesis", "enzyme"]


def database_cpu_seconds() -> float | None:
    """CPU time of the local MariaDB/MySQL server, from /proc (None if not visible)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)
        except OSError:
            continue
        name = fields[0].split("(", 1)[-1]
        if name in ("mariadbd", "mysqld"):
            values = fields[1].split()
            return (int(values[11]) + int(values[12])) / os.sysconf("SC_CLK_TCK")
    return None


def cpu_ms_per(count: int, seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000 / count, 3)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def summary_ms(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.50) * 1000, 2),
        "p95_ms": round(percentile(values, 0.95) * 1000, 2),
        "p99_ms": round(percentile(values, 0.99) * 1000, 2),
        "max_ms": round(max(values) * 1000, 2) if values else 0.0,
    }


class TimedConsumer(HistoryConsumer):
    """The real consumer, noting when each batch is committed and how late completions were."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], tuning: Tuning) -> None:
        super().__init__(sessions, writers=tuning.writers)
        self.completions = 0
        self.last_commit = 0.0
        self.lags: list[float] = []

    async def handle(self, deliveries: list[Delivery]) -> None:
        await super().handle(deliveries)
        now = utcnow()
        self.last_commit = time.perf_counter()
        for delivery in deliveries:
            if isinstance(delivery.event, ChatCompleted):
                self.completions += 1
                self.lags.append((now - delivery.event.occurred_at).total_seconds())


async def publish_all(bus: EventBus, events: list[BusEvent], chunk: int = 400) -> None:
    for start in range(0, len(events), chunk):
        await asyncio.gather(*(bus.publish(event) for event in events[start : start + chunk]))


async def until(check: Callable[[], bool], limit: float) -> None:
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the consumer did not catch up in time")
        await asyncio.sleep(0.05)


async def ingest_rate(
    bus: EventBus,
    consumer_bus: EventBus,
    sessions: async_sessionmaker[AsyncSession],
    n: int,
    tuning: Tuning,
) -> dict[str, Any]:
    script = ChatScript(step=timedelta(microseconds=50))
    conversations = [new_id() for _ in range(max(1, n // 6))]
    events: list[BusEvent] = []
    for index in range(n):
        slot = index % len(conversations)
        request, completed = script.turn(
            f"bench-user-{slot % 200}", conversations[slot], f"question {index}", "answer " * 40
        )
        events += [request, completed]
    started = time.perf_counter()
    await publish_all(bus, events)
    published = time.perf_counter() - started
    consumer = TimedConsumer(sessions, tuning)
    cpu, database = time.process_time(), database_cpu_seconds()
    started = time.perf_counter()
    await tuning.start(consumer_bus, consumer)
    await until(lambda: consumer.completions >= n, limit=120)
    elapsed = consumer.last_commit - started
    cpu = time.process_time() - cpu
    database_after = database_cpu_seconds()
    db_cpu = None if database is None or database_after is None else database_after - database
    await consumer_bus.close()
    history_ms, db_ms = cpu_ms_per(n, cpu), cpu_ms_per(n, db_cpu)
    return {
        "completions": n,
        "events": len(events),
        "seconds": round(elapsed, 2),
        "completions_per_s": round(n / elapsed),
        "events_per_s": round(len(events) / elapsed),
        "publish_events_per_s": round(len(events) / published),
        "history_cpu_ms_per_completion": history_ms,
        "database_cpu_ms_per_completion": db_ms,
        "cpu_bound_completions_per_s": (
            round(1000 / (history_ms + db_ms)) if history_ms and db_ms else None
        ),
        "load_average_1m": os.getloadavg()[0],
    }


async def publish_steadily(prefix: str, rate: int, seconds: float) -> tuple[int, float]:
    """Turns at `rate` completions/s, each request then its completion, stamped as sent."""
    bus = create_bus(RABBITMQ_URL, prefix)
    await bus.connect()
    script, sent = ChatScript(), 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        turns = [
            script.turn(f"steady-{(sent + i) % 50}", new_id(), "steady question", "an answer")
            for i in range(max(0, int(elapsed * rate) + 1 - sent))
        ]
        now = utcnow()
        await asyncio.gather(
            *(bus.publish(r.model_copy(update={"occurred_at": now})) for r, _ in turns)
        )
        now = utcnow()
        await asyncio.gather(
            *(bus.publish(c.model_copy(update={"occurred_at": now})) for _, c in turns)
        )
        sent += len(turns)
        await asyncio.sleep(max(0.005, started + sent / rate - time.perf_counter()))
    await bus.close()
    return sent, sent / (time.perf_counter() - started)


def _publisher_process(prefix: str, rate: int, seconds: float, results: Any) -> None:
    results.put(asyncio.run(publish_steadily(prefix, rate, seconds)))


async def steady_lag(
    prefix: str,
    consumer_bus: EventBus,
    sessions: async_sessionmaker[AsyncSession],
    rate: int,
    seconds: float,
    tuning: Tuning,
) -> dict[str, Any]:
    """The load comes from another process, like the workers' completions would."""
    consumer = TimedConsumer(sessions, tuning)
    await tuning.start(consumer_bus, consumer)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    publisher = context.Process(target=_publisher_process, args=(prefix, rate, seconds, results))
    publisher.start()
    sent, achieved = await asyncio.to_thread(results.get, True, seconds + 60)
    await asyncio.to_thread(publisher.join, 10)
    await until(lambda: consumer.completions >= sent, limit=60)
    await consumer_bus.close()
    return {
        "target_completions_per_s": rate,
        "achieved_completions_per_s": round(achieved, 1),
        "completions": sent,
        "lag": summary_ms(consumer.lags),
    }


async def seed_heavy_user(
    sessions: async_sessionmaker[AsyncSession], user: str, messages: int
) -> list[str]:
    """One user, `messages` messages in conversations of 100, inserted in bulk."""
    rng = random.Random(7)
    base = utcnow() - timedelta(days=30)
    conversation_ids = [new_id() for _ in range(max(1, messages // 100))]
    conversations, rows = [], []
    for c_index, conversation_id in enumerate(conversation_ids):
        created = base + timedelta(minutes=c_index)
        conversations.append(
            {
                "id": conversation_id,
                "user_id": user,
                "app_id": "app-1",
                "title": f"Conversation {c_index} about {rng.choice(WORDS)}",
                "title_source": "generated",
                "pinned": False,
                "archived": False,
                "preview": "latest answer",
                "created_at": created,
                "updated_at": created + timedelta(seconds=99),
            }
        )
        for m_index in range(100):
            at = created + timedelta(seconds=m_index // 2)
            text = " ".join(rng.choice(WORDS) for _ in range(30))
            if m_index % 50 == 7:
                text += " serendipity 今天天气很好我们去公园散步"
            rows.append(
                {
                    "id": new_id(),
                    "conversation_id": conversation_id,
                    "user_id": user,
                    "role": "user" if m_index % 2 == 0 else "assistant",
                    "position": m_index % 2,
                    "content": text,
                    "status": "done",
                    "created_at": at,
                    "updated_at": at,
                }
            )
    async with sessions() as session:
        await session.execute(insert(Conversation), conversations)
        for start in range(0, len(rows), 5000):
            await session.execute(insert(Message), rows[start : start + 5000])
        await session.commit()
    return conversation_ids


async def timed(call: Callable[[], Awaitable[httpx.Response]], times: int) -> list[float]:
    durations = []
    for _ in range(times):
        started = time.perf_counter()
        response = await call()
        durations.append(time.perf_counter() - started)
        response.raise_for_status()
    return durations


async def list_latency(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], messages: int
) -> dict[str, Any]:
    user, ring = "heavy-user", KeyRing()
    started = time.perf_counter()
    conversation_ids = await seed_heavy_user(sessions, user, messages)
    seeded = time.perf_counter() - started
    app = create_app(settings.model_copy(update={"consume_events": False}), key_source=ring)
    headers = ring.headers(user)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=headers
        ) as client,
    ):
        first = await timed(lambda: client.get("/api/conversations?limit=50"), 30)
        cursor = (await client.get("/api/conversations?limit=50")).json()["next_cursor"]
        deep: list[float] = []
        while cursor is not None and len(deep) < 15:
            page_started = time.perf_counter()
            page = (
                await client.get("/api/conversations", params={"limit": 50, "cursor": cursor})
            ).json()
            deep.append(time.perf_counter() - page_started)
            cursor = page["next_cursor"]
        middle = conversation_ids[len(conversation_ids) // 2]
        msgs = await timed(
            lambda: client.get(f"/api/conversations/{middle}/messages?limit=100"), 30
        )
        word = await timed(
            lambda: client.get("/api/conversations", params={"q": "serendipity"}), 10
        )
        common = await timed(
            lambda: client.get("/api/conversations", params={"q": "photosynthesis"}), 5
        )
        chinese = await timed(
            lambda: client.get("/api/conversations", params={"q": "公园散步"}), 10
        )
        missing = await timed(lambda: client.get("/api/conversations", params={"q": "不存在"}), 5)
    return {
        "messages": messages,
        "conversations": len(conversation_ids),
        "seed_seconds": round(seeded, 1),
        "list_first_page": summary_ms(first),
        "list_deep_pages": summary_ms(deep),
        "messages_page": summary_ms(msgs),
        "search_fulltext_rare_word": summary_ms(word),
        "search_fulltext_word_in_most_messages": summary_ms(common),
        "search_chinese_like": summary_ms(chinese),
        "search_like_no_match_scans_all": summary_ms(missing),
    }


async def main(args: argparse.Namespace) -> None:
    run = uuid.uuid4().hex[:8]
    database = f"rechat_bench_{run}"
    admin = create_engine(MARIADB_ADMIN_URL)
    async with admin.begin() as connection:
        await connection.execute(
            text(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        )
    prefix, redis_prefix = f"bench{run}.", f"bench:{run}:"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"{MARIADB_ADMIN_URL.rstrip('/')}/{database}?charset=utf8mb4",
        rabbitmq_url=RABBITMQ_URL,
        rabbitmq_prefix=prefix,
        redis_url=REDIS_URL,
        redis_prefix=redis_prefix,
        migrate_on_start=False,
    )
    engine = create_engine(settings.database_url, pool_size=10)
    try:
        await run_migrations(settings)
        sessions = create_sessionmaker(engine)
        publisher = create_bus(RABBITMQ_URL, prefix)
        await publisher.connect()
        results: dict[str, Any] = {"benchmark": "history_ingest"}

        async def fresh_bus() -> EventBus:
            bus = create_bus(RABBITMQ_URL, prefix)
            await bus.connect()
            return bus

        tuning = Tuning(writers=args.writers, batch_size=args.batch_size)
        consumer_engine = create_consumer_engine(settings.database_url, writers=tuning.writers)
        ingest = create_sessionmaker(consumer_engine)
        results["tuning"] = asdict(tuning)
        results["ingest"] = await ingest_rate(
            publisher, await fresh_bus(), ingest, args.backlog, tuning
        )
        results["steady"] = await steady_lag(
            prefix, await fresh_bus(), ingest, args.rate, args.seconds, tuning
        )
        await publisher.close()
        await consumer_engine.dispose()
        results["list"] = await list_latency(settings, sessions, args.messages)
        results["targets"] = {"completions_per_s": 3000, "steady_lag_p99_ms": 1000}
        print(json.dumps(results, indent=2))
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS `{database}`"))
        await admin.dispose()
        await delete_rabbit_names(RABBITMQ_URL, prefix)
        await delete_redis_prefix(REDIS_URL, redis_prefix)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=12000, help="completions in the backlog")
    parser.add_argument("--rate", type=int, default=300, help="steady completions per second")
    parser.add_argument("--seconds", type=float, default=20, help="steady phase duration")
    parser.add_argument("--messages", type=int, default=100_000, help="messages of the heavy user")
    parser.add_argument("--writers", type=int, default=Tuning.writers, help="HISTORY_WRITERS")
    parser.add_argument(
        "--batch-size", type=int, default=Tuning.batch_size, help="HISTORY_BATCH_SIZE"
    )
    arguments = parser.parse_args()
    try:
        import uvloop  # the loop uvicorn runs the service on

        uvloop.run(main(arguments))
    except ImportError:
        asyncio.run(main(arguments))
