"""The baseline of `bench/pipeline.py`: a direct single-process proxy from a browser-like client
to Dify (no broker, no Redis, no worker), re-emitting each Dify text chunk as an SSE delta.

    python bench/pipeline_proxy.py --port 8700 --dify http://127.0.0.1:8090/v1
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route


def create_app(dify_url: str, api_key: str) -> Starlette:
    client = httpx.AsyncClient(
        timeout=60, limits=httpx.Limits(max_connections=None, max_keepalive_connections=500)
    )

    async def chat(request: Request) -> StreamingResponse:
        body = await request.json()
        payload = {
            "query": body["query"],
            "user": "bench",
            "inputs": {},
            "response_mode": "streaming",
        }

        async def relay() -> AsyncIterator[bytes]:
            seq = 0
            async with client.stream(
                "POST",
                f"{dify_url}/chat-messages",
                json=payload,
                headers={"Authorization": f"Bearer {api_key}"},
            ) as response:
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    event = json.loads(line[5:])
                    if event.get("event") == "message":
                        seq += 1
                        data = json.dumps({"text": event.get("answer", "")})
                        yield f"id: {seq}\nevent: delta\ndata: {data}\n\n".encode()
                    elif event.get("event") in ("message_end", "error"):
                        yield f"id: {seq + 1}\nevent: done\ndata: {{}}\n\n".encode()
                        return

        return StreamingResponse(relay(), media_type="text/event-stream")

    return Starlette(routes=[Route("/chat", chat, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dify", required=True)
    parser.add_argument("--key", default="app-emulator-chat")
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.dify, args.key),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
