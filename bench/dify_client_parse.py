"""Dify client parse rate (events/s), printed as JSON.

``in_memory``: the SSE decoder plus typed-event parsing over the recorded 0.15.3 streams
(spaced, ASCII-escaped JSON) and the same events re-encoded compact UTF-8 (today's servers).
``end_to_end``: ``DifyClient.stream_chat`` against the emulator process (HTTP, decoding,
parsing, terminal handling), several streams at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from rechat_shared.dify import ChatRequest, DifyClient, DifyTimeouts, parse_event
from rechat_shared.dify.sse import SSEDecoder
from rechat_shared.testing.emulator import load_recordings, start_emulator, stop_emulator


def corpus() -> tuple[list[bytes], list[bytes]]:
    """Every recorded SSE frame, as recorded and re-encoded compact."""
    spaced: list[bytes] = []
    compact: list[bytes] = []
    for recording in load_recordings():
        if not recording.is_stream:
            continue
        for part in recording.body.split(b"\n\n"):
            if part.startswith(b"data: "):
                spaced.append(part + b"\n\n")
                payload = json.loads(part[6:])
                compact.append(
                    b"data: "
                    + json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
                    + b"\n\n"
                )
            elif part.strip() == b"event: ping":
                spaced.append(b"event: ping\n\n")
                compact.append(b"event: ping\n\n")
    return spaced, compact


def parse_rate(frames: list[bytes], repeat: int, chunk_size: int) -> dict[str, float]:
    wire = b"".join(frames) * repeat
    chunks = [wire[index : index + chunk_size] for index in range(0, len(wire), chunk_size)]
    decoder = SSEDecoder()
    started = time.perf_counter()
    count = 0
    for chunk in chunks:
        for name, data in decoder.feed(chunk):
            parse_event(data, name)
            count += 1
    elapsed = time.perf_counter() - started
    return {
        "events": count,
        "seconds": round(elapsed, 3),
        "events_per_s": round(count / elapsed),
        "mb_per_s": round(len(wire) / elapsed / 1e6, 1),
    }


async def end_to_end(base_url: str, streams: int, tokens: int) -> dict[str, float]:
    from pydantic import SecretStr

    from rechat_shared.dify import DifyApp

    app = DifyApp(base_url=base_url, api_key=SecretStr("app-emulator-chat"))
    async with DifyClient(DifyTimeouts(deadline=120)) as client:

        async def one() -> int:
            stream = client.stream_chat(app, ChatRequest(query=f"[[tokens:{tokens}]]", user="b"))
            async with stream:
                return sum([1 async for _event in stream])

        started = time.perf_counter()
        counts = await asyncio.gather(*(one() for _ in range(streams)))
        elapsed = time.perf_counter() - started
    total = sum(counts)
    return {
        "streams": streams,
        "events": total,
        "seconds": round(elapsed, 3),
        "events_per_s": round(total / elapsed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--chunk-size", type=int, default=4096)
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--tokens", type=int, default=2000)
    args = parser.parse_args()
    spaced, compact = corpus()
    report: dict[str, object] = {
        "benchmark": "dify_client_parse",
        "in_memory_015_spaced_ascii": parse_rate(spaced, args.repeat, args.chunk_size),
        "in_memory_current_compact_utf8": parse_rate(compact, args.repeat, args.chunk_size),
    }
    process, emulator = start_emulator()
    try:
        report["end_to_end_emulator"] = asyncio.run(
            end_to_end(emulator.base_url, args.streams, args.tokens)
        )
    finally:
        stop_emulator(process)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
