"""Emulator throughput: many concurrent SSE streams and events per second, printed as JSON.

Starts the emulator as a real process and drives it with a minimal raw-socket HTTP/1.1 client
(so the load generator costs little next to the server). Two scenarios:
``concurrent``: N streams held open at once, each one token every 100 ms (LLM-like pacing);
``full_speed``: M streams of instant tokens, to measure the event rate ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import time
from dataclasses import dataclass

from rechat_shared.testing.emulator import start_emulator, stop_emulator


@dataclass
class Result:
    events: int = 0
    ok: bool = False
    first_event_s: float = 0.0


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
            if not result.events:
                result.first_event_s = time.perf_counter() - started
            result.events += chunk.count(b"data: ")
            tail = (tail + chunk)[-2048:]
        result.ok = b'"message_end"' in tail
    finally:
        writer.close()
    return result


async def scenario(port: int, streams: int, query: str, ramp: float) -> dict[str, float]:
    started = time.perf_counter()

    async def delayed(index: int) -> Result:
        await asyncio.sleep(ramp * index / max(1, streams))
        return await one_stream(port, query, time.perf_counter())

    results = await asyncio.gather(*(delayed(i) for i in range(streams)), return_exceptions=True)
    elapsed = time.perf_counter() - started
    good = [r for r in results if isinstance(r, Result) and r.ok]
    events = sum(r.events for r in good)
    first = sorted(r.first_event_s for r in good) or [0.0]
    return {
        "streams": streams,
        "completed": len(good),
        "failed": streams - len(good),
        "events": events,
        "seconds": round(elapsed, 3),
        "events_per_s": round(events / elapsed, 1),
        "p50_first_byte_ms": round(first[len(first) // 2] * 1000, 1),
        "p99_first_byte_ms": round(first[int(len(first) * 0.99) - 1] * 1000, 1),
    }


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
    parser.add_argument("--concurrent", type=int, default=2000)
    parser.add_argument("--concurrent-tokens", type=int, default=30)
    parser.add_argument("--full-speed-streams", type=int, default=200)
    parser.add_argument("--full-speed-tokens", type=int, default=500)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    process, emulator = start_emulator()
    port = int(emulator.root_url.rsplit(":", 1)[1])
    try:
        paced = f"bench [[tokens:{args.concurrent_tokens}]][[tps:10]]"
        before = cpu_seconds(process.pid)
        concurrent = asyncio.run(scenario(port, args.concurrent, paced, ramp=1.0))
        concurrent = measured(process.pid, concurrent, before)
        instant = f"bench [[tokens:{args.full_speed_tokens}]]"
        before = cpu_seconds(process.pid)
        full_speed = asyncio.run(scenario(port, args.full_speed_streams, instant, ramp=0.0))
        full_speed = measured(process.pid, full_speed, before)
    finally:
        stop_emulator(process)
    print(
        json.dumps(
            {
                "benchmark": "dify_emulator_throughput",
                "concurrent_paced_streams": concurrent,
                "full_speed": full_speed,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
