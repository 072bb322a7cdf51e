"""Pipeline benchmark: what the gateway → RabbitMQ → worker → Redis → gateway path costs.

Starts the Dify emulator, auth, the chat-gateway and two dify-workers as real processes (real
MariaDB, Redis and RabbitMQ), plus a direct single-process proxy as the baseline, then measures
side by side and prints JSON. `table` holds every figure of issue 17's table; the parts below
it hold the details:

- ``ttft``: time to first token through the gateway vs calling the emulator directly,
  p50/p99 at 1 and at 200 concurrent new turns (the difference is the pipeline's overhead),
  and the CPU per turn;
- ``throughput``: aggregate tokens/s end to end at full speed, gateway vs the direct proxy;
- ``live_30_tps``: how many streams at 30 tokens/s each the pipeline holds (each stream must
  keep ≥ 90 % of its pace), the CPU per paced token, and how late tokens arrive against the
  emulator's pace (the latency the merge window and the pipeline add).

    uv run python bench/pipeline.py [--quick] [--parts ttft,throughput,live]
    uv run python bench/pipeline.py --profile /tmp/prof   # py-spy on gateway and workers

Every part reports the CPU time of each process (gateway, worker0, worker1, emulator, direct
proxy, load generator), read from /proc before and after: a figure other load on a shared
machine disturbs far less than the wall-clock ones. Streams that did not run to their end are
reported on stderr (the figures count only completed ones). See bench/README.md.

The load generator is a raw-socket HTTP/1.1 client, so it costs little next to the servers.
Every part is bounded in time; a part that runs out of time reports what it measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvloop
from sqlalchemy import text

from rechat_shared.db import create_engine
from rechat_shared.testing.emulator import start_emulator, stop_emulator
from rechat_shared.testing.infra import (
    MARIADB_ADMIN_URL,
    RABBITMQ_URL,
    REDIS_URL,
    delete_rabbit_names,
    delete_redis_prefix,
)
from rechat_shared.testing.processes import ServiceProcess, free_port

TOKEN = re.compile(rb"t(\d+) ")
TERMINAL = (b"event: done", b"event: error", b'"message_end"', b'"event": "error"')
PACE = 30
"""Tokens per second of a paced stream."""


@dataclass
class Result:
    status: int = 0
    headers_s: float = 0.0
    tokens: int = 0
    first_token_s: float | None = None
    last_token_s: float | None = None
    ok: bool = False
    arrivals: list[tuple[int, float]] | None = None
    """(token index, seconds since the request) per token, when asked for."""


async def stream_once(
    port: int, path: str, body: dict[str, Any], headers: dict[str, str], arrivals: bool = False
) -> Result:
    """POST and read an SSE answer to its end, timing the tokens (`t0 t1 …` from the emulator)."""
    payload = json.dumps(body).encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    ).encode()
    result = Result(arrivals=[] if arrivals else None)
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    try:
        writer.write(head + payload)
        await writer.drain()
        status_line = await reader.readline()
        result.status = int(status_line.split()[1])
        result.headers_s = time.perf_counter() - started
        pending = b""
        while chunk := await reader.read(65536):
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            now = time.perf_counter() - started
            for line in lines:
                if line.startswith(b"data:"):
                    found = TOKEN.findall(line)
                    if found:
                        result.tokens += len(found)
                        result.last_token_s = now
                        if result.first_token_s is None:
                            result.first_token_s = now
                        if result.arrivals is not None:
                            result.arrivals += [(int(index), now) for index in found]
                if line.startswith(TERMINAL) or any(mark in line for mark in TERMINAL[2:]):
                    result.ok = b"error" not in line
                    return result
    finally:
        writer.close()
    return result


def cpu_seconds(pids: tuple[int, ...]) -> float:
    """User + system CPU time the processes used so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU time of each process of the stack between `start` and `by_process`."""

    def __init__(self, processes: dict[str, int]) -> None:
        self.processes = processes
        self.before: dict[str, float] = {}

    def start(self) -> None:
        self.before = {name: cpu_seconds((pid,)) for name, pid in self.processes.items()}

    def by_process(self, scale: float) -> dict[str, float]:
        """Seconds used since `start` per process, times `scale` (1e6 / tokens: µs/token)."""
        return {
            name: round((cpu_seconds((pid,)) - self.before[name]) * scale, 2)
            for name, pid in self.processes.items()
        }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def lateness_ms(results: list[Result]) -> list[float]:
    """How late each token arrived against its stream's pace: token i is due `i / PACE` after
    the stream's most punctual token (measured on both sides, so the pipeline's own share is
    the difference from the emulator's)."""
    late: list[float] = []
    for result in results:
        if not result.arrivals:
            continue
        offsets = [at - index / PACE for index, at in result.arrivals]
        base = min(offsets)
        late += [(offset - base) * 1000 for offset in offsets]
    return late


@dataclass
class Target:
    """Somewhere to send a question: the emulator, the direct proxy or the gateway."""

    name: str
    port: int
    path: str
    headers: dict[str, str]
    app_id: str | None = None
    pids: tuple[int, ...] = ()
    """The processes serving it (their CPU time is the headline CPU figure)."""
    meter: CpuMeter = field(default_factory=lambda: CpuMeter({}))
    """Every process of the stack, for the CPU breakdown."""

    def body(self, query: str) -> dict[str, Any]:
        if self.name == "emulator":
            return {"query": query, "user": "bench", "inputs": {}, "response_mode": "streaming"}
        if self.name == "proxy":
            return {"query": query}
        return {"app_id": self.app_id, "query": query}

    async def ask(self, query: str, arrivals: bool = False) -> Result:
        return await stream_once(self.port, self.path, self.body(query), self.headers, arrivals)


async def gather_bounded(
    target: Target, query: str, count: int, ramp: float, budget: float, arrivals: bool = False
) -> list[Result]:
    async def one(index: int) -> Result:
        await asyncio.sleep(ramp * index / max(1, count))
        return await target.ask(query, arrivals)

    tasks = [asyncio.create_task(one(index)) for index in range(count)]
    done, pending = await asyncio.wait(tasks, timeout=budget)
    for task in pending:
        task.cancel()
    failures = Counter(repr(task.exception())[:80] for task in done if task.exception())
    if pending:
        failures["unfinished within the budget"] = len(pending)
    results = [task.result() for task in done if not task.exception()]
    refused = Counter(f"status {r.status}" for r in results if r.status != 200)
    failures.update(refused)
    if failures:  # the figures count only what completed: say what did not
        print(
            f"{target.name}: {count - sum(failures.values())}/{count} ran to the end; "
            f"failed: {dict(failures)}",
            file=sys.stderr,
        )
    return results


async def ttft(target: Target, concurrency: int, rounds: int, budget: float) -> dict[str, Any]:
    samples: list[float] = []
    headers: list[float] = []
    cpu_before = cpu_seconds(target.pids)
    target.meter.start()
    deadline = time.monotonic() + budget
    for _ in range(rounds):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        results = await gather_bounded(target, "[[tokens:3]] hi", concurrency, 0.0, left)
        samples += [r.first_token_s * 1000 for r in results if r.ok and r.first_token_s]
        headers += [r.headers_s * 1000 for r in results if r.ok]
    cpu = cpu_seconds(target.pids) - cpu_before
    requests = max(1, len(headers))
    return {
        "samples": len(samples),
        "cpu_ms_per_request": round(cpu * 1000 / requests, 2),
        "cpu_ms_per_request_by_process": target.meter.by_process(1000 / requests),
        "p50_response_start_ms": round(percentile(headers, 0.5), 2),
        "p50_ms": round(percentile(samples, 0.5), 2),
        "p99_ms": round(percentile(samples, 0.99), 2),
    }


async def throughput(target: Target, streams: int, tokens: int, budget: float) -> dict[str, Any]:
    started = time.perf_counter()
    cpu_before = cpu_seconds(target.pids)
    target.meter.start()
    results = await gather_bounded(target, f"[[tokens:{tokens}]]", streams, 0.5, budget)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(target.pids) - cpu_before
    total = sum(r.tokens for r in results)
    return {
        "cpu_us_per_token": round(cpu * 1e6 / max(1, total), 2),
        "cpu_us_per_token_by_process": target.meter.by_process(1e6 / max(1, total)),
        "streams": streams,
        "completed": sum(1 for r in results if r.ok and r.tokens == tokens),
        "tokens": total,
        "seconds": round(elapsed, 2),
        "tokens_per_s": round(total / elapsed, 1),
    }


async def live(target: Target, streams: int, seconds: float, budget: float) -> dict[str, Any]:
    """`streams` answers at 30 tokens/s at once; each must keep ≥ 90 % of that pace."""
    tokens = int(PACE * seconds)
    cpu_before = cpu_seconds(target.pids)
    target.meter.start()
    results = await gather_bounded(
        target,
        f"[[tokens:{tokens}]][[tps:{PACE}]]",
        streams,
        min(2.0, seconds / 2),
        budget,
        arrivals=True,
    )
    complete = [r for r in results if r.ok and r.tokens == tokens]
    rates = [
        (r.tokens - 1) / (r.last_token_s - r.first_token_s)
        for r in complete
        if r.first_token_s and r.last_token_s and r.last_token_s > r.first_token_s
    ]
    incomplete = Counter(
        f"status {r.status}, {'ended' if r.ok else 'no done'}, {r.tokens} tokens"
        for r in results
        if not (r.ok and r.tokens == tokens)
    )
    if incomplete:
        print(
            f"{target.name}: {len(results)} streams, incomplete: {dict(incomplete)}",
            file=sys.stderr,
        )
    held = sum(1 for rate in rates if rate >= PACE * 0.9)
    cpu = cpu_seconds(target.pids) - cpu_before
    delivered = max(1, sum(r.tokens for r in results))
    late = lateness_ms(complete)
    return {
        "streams": streams,
        "cpu_us_per_token": round(cpu * 1e6 / delivered, 2),
        "cpu_us_per_token_by_process": target.meter.by_process(1e6 / delivered),
        "completed": len(rates),
        "held_30_tps": held,
        "p10_tokens_per_s": round(percentile(rates, 0.1), 1) if rates else 0,
        "median_tokens_per_s": round(statistics.median(rates), 1) if rates else 0,
        "token_lateness_p50_ms": round(percentile(late, 0.5), 1),
        "token_lateness_p99_ms": round(percentile(late, 0.99), 1),
        "ok": held >= streams * 0.99,
    }


# -- the stack -------------------------------------------------------------------------------------


@contextmanager
def processes(env: dict[str, str], log_dir: Path) -> Iterator[dict[str, Any]]:
    """Emulator, auth, gateway, two workers and the direct proxy, stopped at the end."""
    emulator_process, emulator = start_emulator()
    started: list[ServiceProcess] = []

    def start(
        module: str, name: str, extra: dict[str, str] | None = None, **kw: Any
    ) -> ServiceProcess:
        process = ServiceProcess(
            module=module,
            env={**os.environ, **env, **(extra or {})},
            log_path=log_dir / f"{name}.log",
            **kw,
        )
        process.start()
        started.append(process)
        return process

    proxy_port = free_port()
    proxy = subprocess.Popen(  # our own script
        [
            sys.executable,
            str(Path(__file__).with_name("pipeline_proxy.py")),
            "--port",
            str(proxy_port),
            "--dify",
            emulator.base_url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        auth = start("rechat_auth", "auth")
        jwks = {"AUTH_JWKS_URL": f"{auth.url}/api/auth/.well-known/jwks.json"}
        gateway = start("rechat_gateway", "gateway", jwks)
        workers = [
            start("rechat_worker", f"worker{index}", jwks, ready_path="/readyz")
            for index in range(2)
        ]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{proxy_port}/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield {
            "emulator_pid": emulator_process.pid,
            "proxy_pid": proxy.pid,
            "emulator": emulator,
            "auth": auth,
            "gateway": gateway,
            "workers": workers,
            "proxy_port": proxy_port,
        }
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        for process in reversed(started):
            process.stop()
        stop_emulator(emulator_process)


async def prepare(stack: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """Register an admin and the emulator's chat app; returns (app id, auth headers)."""
    async with httpx.AsyncClient(timeout=20) as client:
        session = await client.post(
            f"{stack['auth'].url}/api/auth/register",
            json={"email": "bench@example.com", "password": "bench password 1", "name": "B"},
        )
        session.raise_for_status()
        headers = {"Authorization": f"Bearer {session.json()['access_token']}"}
        app = await client.post(
            f"{stack['gateway'].url}/api/admin/apps",
            json={
                "name": "Bench",
                "base_url": stack["emulator"].base_url,
                "api_key": stack["emulator"].keys["chat"],
                "mode": "chat",
            },
            headers=headers,
        )
        app.raise_for_status()
        return app.json()["id"], headers


@dataclass
class Profiler:
    """py-spy on the gateway and the workers while a part runs against the gateway (one
    collapsed-stack file per process and part; summarised by bench/profile_shares.py)."""

    directory: Path | None
    py_spy: str
    processes: dict[str, int]

    @contextmanager
    def part(self, label: str) -> Iterator[None]:
        if self.directory is None:
            yield
            return
        recorders = [
            subprocess.Popen(  # our own profiler
                [
                    self.py_spy,
                    "record",
                    "--pid",
                    str(pid),
                    "--rate",
                    "200",
                    "--nonblocking",
                    "--format",
                    "raw",
                    "--output",
                    str(self.directory / f"{label}.{name}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for name, pid in self.processes.items()
        ]
        time.sleep(1.0)  # py-spy attaches
        try:
            yield
        finally:
            for recorder in recorders:
                recorder.send_signal(signal.SIGINT)
            for recorder in recorders:
                recorder.wait(timeout=60)


async def measure(stack: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    app_id, headers = await prepare(stack)
    every = {
        "gateway": stack["gateway"].process.pid,
        **{f"worker{i}": w.process.pid for i, w in enumerate(stack["workers"])},
        "emulator": stack["emulator_pid"],
        "direct_proxy": stack["proxy_pid"],
        "auth": stack["auth"].process.pid,
        "load_generator": os.getpid(),
    }
    emulator = Target(
        "emulator",
        int(stack["emulator"].base_url.rsplit(":", 1)[1].split("/")[0]),
        "/v1/chat-messages",
        {"Authorization": "Bearer app-emulator-chat"},
        pids=(stack["emulator_pid"],),
        meter=CpuMeter(every),
    )
    proxy = Target(
        "proxy", stack["proxy_port"], "/chat", {}, pids=(stack["proxy_pid"],), meter=CpuMeter(every)
    )
    # the pipeline's own processes (the emulator's CPU is the same on both sides)
    pipeline = (stack["gateway"].process.pid, *(w.process.pid for w in stack["workers"]))
    gateway = Target(
        "gateway",
        stack["gateway"].port,
        "/api/chat/messages",
        headers,
        app_id,
        pipeline,
        CpuMeter(every),
    )
    profiler = Profiler(
        args.profile,
        args.py_spy,
        {name: pid for name, pid in every.items() if name.startswith(("gateway", "worker"))},
    )
    report: dict[str, Any] = {}
    parts = set(args.parts.split(","))

    await ttft(gateway, 5, 1, 30)  # warm-up: connections, caches, JWKS
    await ttft(emulator, 5, 1, 30)
    if "ttft" in parts:
        await ttft_part(report, emulator, gateway, args.quick, profiler)
    if "throughput" in parts:
        await throughput_part(report, proxy, gateway, args.quick, profiler)
    if "live" in parts:
        await live_part(report, emulator, gateway, args.quick, profiler)
    report["table"] = table(report)
    return report


def table(report: dict[str, Any]) -> dict[str, Any]:
    """Issue 17's table, each row from the parts that ran."""
    rows: dict[str, Any] = {}
    for label, entry in report.get("ttft", {}).items():
        rows[f"ttft_overhead_{label}_ms"] = {
            "p50": entry["overhead_p50_ms"],
            "p99": entry["overhead_p99_ms"],
        }
    per_turn = {
        label: entry["gateway"]["cpu_ms_per_request"]
        for label, entry in report.get("ttft", {}).items()
    }
    if per_turn:
        rows["cpu_ms_per_turn_gateway_workers"] = per_turn
    if "throughput" in report:
        piped, direct = report["throughput"]["gateway"], report["throughput"]["direct_proxy"]
        rows["full_speed"] = {
            "tokens_per_s": piped["tokens_per_s"],
            "vs_direct_proxy": round(piped["tokens_per_s"] / max(1.0, direct["tokens_per_s"]), 2),
            "cpu_us_per_token_gateway_workers": piped["cpu_us_per_token"],
        }
    paced = [entry for entry in report.get("live_30_tps", []) if entry["gateway"]["streams"] <= 500]
    if paced:
        piped = paced[-1]["gateway"]
        direct = paced[-1]["emulator_direct"]
        by = piped["cpu_us_per_token_by_process"]
        rows["cpu_us_per_paced_token"] = {
            "streams": piped["streams"],
            "gateway_workers": piped["cpu_us_per_token"],
            "gateway": by["gateway"],
            "workers": round(sum(v for k, v in by.items() if k.startswith("worker")), 2),
            "added_token_lateness_p99_ms": round(
                piped["token_lateness_p99_ms"] - direct["token_lateness_p99_ms"], 1
            ),
        }
    if "live_streams_held" in report:
        rows["live_streams_held_30_tps"] = report["live_streams_held"]
        rows["live_streams_held_by_emulator_alone"] = report["live_streams_held_by_emulator_alone"]
    return rows


async def ttft_part(
    report: dict[str, Any], emulator: Target, gateway: Target, quick: bool, profiler: Profiler
) -> None:
    one_rounds = 15 if quick else 60
    wide = 50 if quick else 200
    report["ttft"] = {}
    for label, concurrency, rounds in (("1_stream", 1, one_rounds), (f"{wide}_streams", wide, 2)):
        direct = await ttft(emulator, concurrency, rounds, 60)
        with profiler.part(f"ttft_{label}"):
            piped = await ttft(gateway, concurrency, rounds, 60)
        report["ttft"][label] = {
            "emulator_direct": direct,
            "gateway": piped,
            "overhead_p50_ms": round(piped["p50_ms"] - direct["p50_ms"], 2),
            "overhead_p99_ms": round(piped["p99_ms"] - direct["p99_ms"], 2),
        }


async def throughput_part(
    report: dict[str, Any], proxy: Target, gateway: Target, quick: bool, profiler: Profiler
) -> None:
    streams, tokens = (40, 500) if quick else (100, 1000)
    direct = await throughput(proxy, streams, tokens, 90)
    with profiler.part("throughput"):
        piped = await throughput(gateway, streams, tokens, 90)
    report["throughput"] = {"direct_proxy": direct, "gateway": piped}


async def live_part(
    report: dict[str, Any], emulator: Target, gateway: Target, quick: bool, profiler: Profiler
) -> None:
    """Streams at 30 tokens/s through the gateway, each count also against the emulator alone
    (the baseline: what this machine can hold at all while it also runs the load generator)."""
    report["live_30_tps"] = []
    for count in (100, 250) if quick else (250, 500, 1000, 2000):
        baseline = await live(emulator, count, 6.0, 60)
        with profiler.part(f"live_{count}"):
            outcome = await live(gateway, count, 6.0, 60)
        report["live_30_tps"].append({"gateway": outcome, "emulator_direct": baseline})
        if not outcome["ok"] and not baseline["ok"]:
            break
    held = [
        entry["gateway"]["streams"] for entry in report["live_30_tps"] if entry["gateway"]["ok"]
    ]
    report["live_streams_held"] = max(held, default=0)
    direct = [
        entry["emulator_direct"]["streams"]
        for entry in report["live_30_tps"]
        if entry["emulator_direct"]["ok"]
    ]
    report["live_streams_held_by_emulator_alone"] = max(direct, default=0)


async def create_database(name: str) -> str:
    admin = create_engine(MARIADB_ADMIN_URL)
    async with admin.begin() as connection:
        await connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    await admin.dispose()
    return f"{MARIADB_ADMIN_URL.rstrip('/')}/{name}?charset=utf8mb4"


async def drop_database(name: str) -> None:
    admin = create_engine(MARIADB_ADMIN_URL)
    async with admin.begin() as connection:
        await connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    await admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller numbers (a smoke run)")
    parser.add_argument("--worker-concurrency", type=int, default=1200)
    parser.add_argument(
        "--parts", default="ttft,throughput,live", help="comma-separated subset to run"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="record py-spy profiles of the gateway and workers (per part) into this directory",
    )
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    database = f"rechat_bench_{run}"
    prefix, redis_prefix = f"bench{run}.", f"rechat-bench:{run}:"
    database_url = asyncio.run(create_database(database))
    env = {
        "RECHAT_SECRET_KEY": "bench-secret-bench-secret-bench-secret",
        "RECHAT_DATA_DIR": tempfile.mkdtemp(prefix="rechat-bench-"),
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": redis_prefix,
        "RABBITMQ_URL": RABBITMQ_URL,
        "RABBITMQ_PREFIX": prefix,
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "text",
        "GATEWAY_RATE_LIMIT_COUNT": "100000000",
        "GATEWAY_MAX_ANSWERS_IN_FLIGHT": "100000000",  # one user asks every question
        "WORKER_CONCURRENCY": str(args.worker_concurrency),
        "WORKER_AUTO_TITLE": "false",
    }
    log_dir = Path(env["RECHAT_DATA_DIR"]) / "logs"
    log_dir.mkdir()
    try:
        with processes(env, log_dir) as stack:
            if args.profile is not None:
                args.profile.mkdir(parents=True, exist_ok=True)
            report = uvloop.run(measure(stack, args))  # a cheap load generator
    finally:
        asyncio.run(delete_rabbit_names(RABBITMQ_URL, prefix))
        asyncio.run(delete_redis_prefix(REDIS_URL, redis_prefix))
        asyncio.run(drop_database(database))
    report["machine"] = {
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "load_average_at_end": [round(load, 2) for load in os.getloadavg()],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
