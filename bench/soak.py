"""Soak benchmark: processes mode under a steady load of slow streams for a long time, with
the memory (RSS) and open file descriptors of every service process sampled, to show what
grows. Optionally Redis is killed and restarted (empty) every so often meanwhile.

Starts a private redis-server (never the machine's 6379), a scratch MariaDB database, auth,
history, the chat-gateway and two dify-workers as real processes and the Dify emulator, then
keeps `--streams` turns in flight (each a new conversation answered at `--tps` tokens/s) for
`--minutes`, and prints JSON: turns finished / failed / hung / wrong, turns per second, time to
first token, per process the first, last and largest RSS and fd count, and Dify's calls
accounted for turn by turn (`dify`, below).

Each turn's question carries a marker of its own, and the emulator's call log is read as the
soak goes (numbered calls, `GET /_emulator/calls?after=n`), so every `POST /v1/chat-messages`
is matched to the turn that caused it: `dify.calls_for_answered_turns` should equal the
answered turns (`dify.answered_turns_called_twice` is a second generation, which a real Dify
bills twice), `dify.calls_for_refused_turns` are turns the client was refused (a 503 when Redis
went away between the request's publication and the answer's start) that a worker generated
anyway, and `dify.other_routes` counts Dify's other calls (suggested questions, stops).

    uv run python bench/soak.py                       # 15 min, 100 streams
    uv run python bench/soak.py --minutes 2 --streams 100 --redis-restart-every 40
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rechat_cli.testing import scratch_database
from rechat_shared.testing.chat_stack import ChatStack, chat_stack
from rechat_shared.testing.infra import MARIADB_ADMIN_URL, RABBITMQ_URL, delete_rabbit_names
from rechat_shared.testing.private_infra import PrivateRedis

SAMPLE_EVERY = 10.0
CALLS_EVERY = 2.0
SIGN_IN = asyncio.Lock()
CHAT = ("POST", "/v1/chat-messages")
MARKER = "soak-"


@dataclass
class Tally:
    finished: int = 0
    failed: int = 0
    hung: int = 0
    refused: int = 0
    broken: int = 0
    signed_in_again: int = 0
    wrong_text: int = 0
    ttft: list[float] = field(default_factory=list)
    outcome: dict[str, str] = field(default_factory=dict)
    """Each turn's marker → how its client saw it end (`answered`, or `refused <status>`)."""


@dataclass
class CallLedger:
    """Dify's chat calls, read from the emulator's numbered log as the soak goes."""

    per_marker: Counter[str] = field(default_factory=Counter)
    unmarked: int = 0
    last: int = 0
    unseen: int = 0
    """Calls the log dropped before they were read (it keeps the last 2000): should be 0."""
    counts: dict[str, int] = field(default_factory=dict)

    def read(self, stack: ChatStack) -> None:
        log = stack.emulator.control("GET", "/calls", params={"after": self.last})
        for call in log["calls"]:
            self.unseen += call["n"] - self.last - 1
            self.last = call["n"]
            if (call["method"], call["route"]) != CHAT:
                continue
            body = call.get("body")
            query = body.get("query", "") if isinstance(body, dict) else ""
            marker = query.rpartition(" ")[2]
            if marker.startswith(MARKER):
                self.per_marker[marker] += 1
            else:
                self.unmarked += 1
        self.counts = log["counts"]

    def summary(self, outcome: dict[str, str]) -> dict[str, Any]:
        answered = [marker for marker, seen in outcome.items() if seen == "answered"]
        refused = [marker for marker, seen in outcome.items() if seen != "answered"]
        refused_called = Counter(
            outcome[marker] for marker in refused if self.per_marker.get(marker, 0)
        )
        twice = [marker for marker in answered if self.per_marker.get(marker, 0) > 1]
        return {
            "chat_calls": sum(self.per_marker.values()) + self.unmarked,
            "answered_turns": len(answered),
            "calls_for_answered_turns": sum(self.per_marker.get(m, 0) for m in answered),
            "answered_turns_never_called": sum(
                1 for marker in answered if not self.per_marker.get(marker, 0)
            ),
            "answered_turns_called_twice": len(twice),
            "refused_turns": len(refused),
            "calls_for_refused_turns": sum(self.per_marker.get(m, 0) for m in refused),
            "refused_turns_called_by_status": dict(refused_called),
            "calls_for_unknown_turns": sum(
                count for marker, count in self.per_marker.items() if marker not in outcome
            )
            + self.unmarked,
            "calls_unseen": self.unseen,
            "other_routes": {
                route: count
                for route, count in sorted(self.counts.items())
                if route != " ".join(CHAT)
            },
        }


@dataclass
class Samples:
    rss_kb: list[int] = field(default_factory=list)
    fds: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        if not self.rss_kb:
            return {}
        return {
            "rss_mb_first": round(self.rss_kb[0] / 1024, 1),
            "rss_mb_last": round(self.rss_kb[-1] / 1024, 1),
            "rss_mb_max": round(max(self.rss_kb) / 1024, 1),
            "fds_first": self.fds[0],
            "fds_last": self.fds[-1],
            "fds_max": max(self.fds),
        }


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _fds(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


async def _sample(stack: ChatStack, samples: dict[str, Samples], until: float) -> None:
    names = ["auth", "history", "gateway", *(f"worker{i}" for i in range(len(stack.workers)))]
    while True:
        for name, process in zip(names, stack.processes, strict=True):
            if process.process is None or process.process.poll() is not None:
                continue
            entry = samples.setdefault(name, Samples())
            entry.rss_kb.append(_rss_kb(process.process.pid))
            entry.fds.append(_fds(process.process.pid))
        if time.monotonic() >= until:
            return
        await asyncio.sleep(min(SAMPLE_EVERY, max(0.0, until - time.monotonic())))


async def _load(stack: ChatStack, query: str, expected: str, until: float, tally: Tally) -> None:
    """One client: a turn after the other until the time is up."""
    while time.monotonic() < until:
        token = stack.token
        marker = f"{MARKER}{uuid.uuid4().hex}"
        turn = await stack.turn(f"{query} {marker}", within=180)
        tally.outcome[marker] = "answered" if turn.start else f"refused {turn.status or 'broken'}"
        if turn.status == 401:
            # an empty Redis forgot the session's state: sign in again (once for all the
            # clients, which share the account), as the SPA would
            async with SIGN_IN:
                if stack.token == token:
                    tally.signed_in_again += 1
                    await stack.sign_in()
        elif turn.status == 0:
            tally.broken += 1  # the connection broke before an answer (not a refusal)
        elif turn.status != 200:
            tally.refused += 1
            await asyncio.sleep(1.0)  # a refusal (Redis away): the user tries again shortly
        elif turn.hung or turn.terminal is None:
            tally.hung += 1
        elif turn.terminal == "error":
            tally.failed += 1
        elif turn.text != expected:
            tally.wrong_text += 1
        else:
            tally.finished += 1
            if turn.first_delta_at is not None:
                tally.ttft.append(turn.first_delta_at - turn.sent_at)


async def _read_calls(stack: ChatStack, ledger: CallLedger, until: float) -> None:
    """Keep up with the emulator's call log (it keeps the last 2000 calls only)."""
    while time.monotonic() < until:
        await asyncio.to_thread(ledger.read, stack)
        await asyncio.sleep(CALLS_EVERY)


async def _restart_redis(redis: PrivateRedis, every: float, until: float, log: list[float]) -> None:
    while time.monotonic() + every < until:
        await asyncio.sleep(every)
        redis.kill()
        await asyncio.sleep(3.0)  # the outage
        redis.start(empty=True)
        log.append(time.monotonic())


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3)


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    query = f"[[slow]][[tps:{args.tps}]]"
    expected = "".join(f"slow{index} " for index in range(50))
    prefix = f"soak{uuid.uuid4().hex[:6]}."
    tally, samples, restarts = Tally(), dict[str, Samples](), list[float]()
    ledger = CallLedger()
    with tempfile.TemporaryDirectory(prefix="rechat-soak-") as tmp:
        directory = Path(tmp)
        (directory / "redis").mkdir()
        with PrivateRedis(directory / "redis") as redis:
            async with (
                scratch_database(MARIADB_ADMIN_URL) as database_url,
                chat_stack(
                    directory,
                    database_url=database_url,
                    redis_url=redis.url,
                    rabbitmq_url=RABBITMQ_URL,
                    rabbitmq_prefix=prefix,
                    redis_prefix="rechat:",
                    env={"WORKER_CONCURRENCY": str(max(64, args.streams))},
                ) as stack,
            ):
                started = time.monotonic()
                until = started + args.minutes * 60
                tasks = [_sample(stack, samples, until), _read_calls(stack, ledger, until)]
                tasks += [_load(stack, query, expected, until, tally) for _ in range(args.streams)]
                if args.redis_restart_every:
                    tasks.append(_restart_redis(redis, args.redis_restart_every, until, restarts))
                await asyncio.gather(*tasks)
                elapsed = time.monotonic() - started
                await asyncio.to_thread(ledger.read, stack)  # every turn has ended
            await delete_rabbit_names(RABBITMQ_URL, prefix)
    turns = tally.finished + tally.failed + tally.hung + tally.wrong_text
    return {
        "minutes": round(elapsed / 60, 2),
        "streams": args.streams,
        "tokens_per_second_per_stream": args.tps,
        "redis_restarts": len(restarts),
        "turns": {
            "finished": tally.finished,
            "failed": tally.failed,
            "hung": tally.hung,
            "wrong_text": tally.wrong_text,
            "refused": tally.refused,
            "broken_before_answer": tally.broken,
            "signed_in_again": tally.signed_in_again,
            "per_second": round(turns / elapsed, 2),
        },
        "dify": ledger.summary(tally.outcome),
        "ttft_seconds": {
            "p50": _percentile(tally.ttft, 0.5),
            "p99": _percentile(tally.ttft, 0.99),
            "mean": round(statistics.fmean(tally.ttft), 3) if tally.ttft else None,
        },
        "processes": {name: entry.summary() for name, entry in samples.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--streams", type=int, default=100, help="turns kept in flight")
    parser.add_argument("--tps", type=int, default=10, help="tokens per second per answer")
    parser.add_argument(
        "--redis-restart-every",
        type=float,
        default=0.0,
        help="kill Redis and restart it empty every this many seconds (0: never)",
    )
    result = asyncio.run(soak(parser.parse_args()))
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
