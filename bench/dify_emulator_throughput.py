"""Emulator throughput: many concurrent SSE streams and events per second, printed as JSON.

Starts the emulator as a real process and drives it with a minimal raw-socket HTTP/1.1 client
(so the load generator costs little next to the server). Three parts (``--parts``):
``concurrent``: N streams held open at once, each one token every 100 ms;
``full_speed``: M streams of instant tokens, to measure the event rate ceiling;
``paced``: P streams of 180 tokens at 30 tokens/s (one ``message`` event per token, as Dify
sends them; what ``bench/pipeline.py``'s ``live`` part asks of the emulator): how many keep
≥ 27 tokens/s, the emulator's CPU per token over the whole run and over a steady window in
which every stream runs, and the time to the first byte (high when requests queue).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import time
from dataclasses import dataclass
from typing import Any

import uvloop

from rechat_shared.testing.emulator import start_emulator, stop_emulator

TOKEN = b'"answer":"t'
"""A ``[[tokens:N]]`` chunk (``t0 ``, ``t1 ``...) in a compact ``message`` event."""


@dataclass
class Result:
    events: int = 0
    ok: bool = False
    first_event_s: float = 0.0
    tokens: int = 0
    first_token_at: float = 0.0
    last_token_at: float = 0.0

    def tokens_per_s(self) -> float:
        span = self.last_token_at - self.first_token_at
        return (self.tokens - 1) / span if span > 0 else 0.0


async def one_stream(port: int, query: str, started: float) -> Result:
    body = json.dumps(
        {"query": query, "user": "bench", "inputs": {}, "response_mode": "streaming"}
    ).encode()
    head = (
        "POST /v1/chat-messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Authorization: Bearer app-emulator-chat\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    result = Result()
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    try:
        writer.write(head + body)
        await writer.drain()
        tail = b""
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            arrived = time.perf_counter()
            if not result.events:
                result.first_event_s = arrived - started
            result.events += chunk.count(b"data: ")
            tokens = chunk.count(TOKEN)
            if tokens:
                result.first_token_at = result.first_token_at or arrived
                result.last_token_at = arrived
                result.tokens += tokens
            tail = (tail + chunk)[-2048:]
        result.ok = b'"message_end"' in tail
    finally:
        writer.close()
    return result


async def run_streams(port: int, streams: int, query: str, ramp: float) -> list[Result]:
    """``streams`` requests started evenly over ``ramp`` seconds; the ones that ended well."""

    async def delayed(index: int) -> Result:
        await asyncio.sleep(ramp * index / max(1, streams))
        return await one_stream(port, query, time.perf_counter())

    results = await asyncio.gather(*(delayed(i) for i in range(streams)), return_exceptions=True)
    return [r for r in results if isinstance(r, Result) and r.ok]


async def scenario(port: int, streams: int, query: str, ramp: float) -> dict[str, float]:
    started = time.perf_counter()
    good = await run_streams(port, streams, query, ramp)
    elapsed = time.perf_counter() - started
    events = sum(r.events for r in good)
    return {
        "streams": streams,
        "completed": len(good),
        "failed": streams - len(good),
        "events": events,
        "seconds": round(elapsed, 3),
        "events_per_s": round(events / elapsed, 1),
        **first_byte(good),
    }


def first_byte(results: list[Result]) -> dict[str, float]:
    first = sorted(r.first_event_s for r in results) or [0.0]
    return {
        "p50_first_byte_ms": round(first[len(first) // 2] * 1000, 1),
        "p99_first_byte_ms": round(first[max(0, int(len(first) * 0.99) - 1)] * 1000, 1),
    }


async def paced(pid: int, port: int, streams: int, tokens: int, tps: float) -> dict[str, Any]:
    """``streams`` answers at ``tps`` tokens/s at once; each must keep ≥ 90 % of that pace.

    The steady window starts half a second after the last request went out and lasts three
    seconds: every stream is sending then (unless requests queued, which the first-byte times
    show), so its CPU per token is the cost of holding them all, without the requests' own cost.
    The load generator shares the machine: its own CPU time is reported next to the emulator's.
    """
    ramp = 2.0
    query = f"bench [[tokens:{tokens}]][[tps:{tps:g}]]"
    started = time.perf_counter()
    cpu_before, own_before = cpu_seconds(pid), time.process_time()
    window = asyncio.create_task(cpu_window(pid, ramp + 0.5, 3.0))
    good = await run_streams(port, streams, query, ramp)
    cpu, own = cpu_seconds(pid) - cpu_before, time.process_time() - own_before
    window_start, window_cpu = await window
    window_end = window_start + 3.0
    in_window = sum(
        max(0.0, min(r.last_token_at, window_end) - max(r.first_token_at, window_start))
        * r.tokens_per_s()
        for r in good
    )
    delivered = sum(r.tokens for r in good)
    rates = sorted(r.tokens_per_s() for r in good if r.tokens == tokens)
    return {
        "streams": streams,
        "tokens_per_stream": tokens,
        "target_tokens_per_s": tps,
        "completed": len(rates),
        "held": sum(1 for rate in rates if rate >= 0.9 * tps),
        "p10_tokens_per_s": round(rates[len(rates) // 10], 1) if rates else 0.0,
        "median_tokens_per_s": round(rates[len(rates) // 2], 1) if rates else 0.0,
        "seconds": round(time.perf_counter() - started, 2),
        "emulator_cpu_s": round(cpu, 2),
        "emulator_cpu_us_per_token": round(cpu / max(1, delivered) * 1e6, 1),
        "steady_cpu_us_per_token": round(window_cpu / max(1.0, in_window) * 1e6, 1),
        "load_generator_cpu_s": round(own, 2),
        **first_byte(good),
    }


async def cpu_window(pid: int, after: float, length: float) -> tuple[float, float]:
    """When a window of ``length`` seconds started ``after`` seconds from now, and the CPU
    seconds ``pid`` used in it."""
    await asyncio.sleep(after)
    start, cpu = time.perf_counter(), cpu_seconds(pid)
    await asyncio.sleep(length)
    return start, cpu_seconds(pid) - cpu


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc``): a load-independent cost figure."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid: int, run: dict[str, float], started_cpu: float) -> dict[str, float]:
    cpu = cpu_seconds(pid) - started_cpu
    run["emulator_cpu_s"] = round(cpu, 2)
    run["emulator_cpu_us_per_event"] = round(cpu / max(1, run["events"]) * 1e6, 1)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parts", default="concurrent,full_speed,paced")
    parser.add_argument("--concurrent", type=int, default=2000)
    parser.add_argument("--concurrent-tokens", type=int, default=30)
    parser.add_argument("--full-speed-streams", type=int, default=200)
    parser.add_argument("--full-speed-tokens", type=int, default=500)
    parser.add_argument("--paced", type=int, default=2000, help="streams at 30 tokens/s")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    process, emulator = start_emulator()
    port = int(emulator.root_url.rsplit(":", 1)[1])
    report: dict[str, Any] = {"benchmark": "dify_emulator_throughput"}
    try:
        if "concurrent" in parts:
            query = f"bench [[tokens:{args.concurrent_tokens}]][[tps:10]]"
            before = cpu_seconds(process.pid)
            run = uvloop.run(scenario(port, args.concurrent, query, ramp=1.0))
            report["concurrent_paced_streams"] = measured(process.pid, run, before)
        if "full_speed" in parts:
            query = f"bench [[tokens:{args.full_speed_tokens}]]"
            before = cpu_seconds(process.pid)
            run = uvloop.run(scenario(port, args.full_speed_streams, query, ramp=0.0))
            report["full_speed"] = measured(process.pid, run, before)
        if "paced" in parts:
            report["paced"] = uvloop.run(paced(process.pid, port, args.paced, 180, 30.0))
    finally:
        stop_emulator(process)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
