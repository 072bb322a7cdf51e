"""Log lines tagged with the service that wrote them, in one process or from child processes."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import TextIO

from rechat_shared.logging import trace_id_var

SERVICE_OF_LOGGER = {
    "rechat_auth": "auth",
    "rechat_gateway": "chat-gateway",
    "rechat_history": "history",
    "rechat_worker": "dify-worker",
    "rechat_dify_emulator": "dify-emulator",
    "uvicorn": "web",
}
WIDTH = 13
COLOURS = {
    "auth": 36,
    "chat-gateway": 35,
    "history": 34,
    "dify-worker": 33,
    "dify-emulator": 32,
    "web": 37,
    "rechat": 1,
}
NOISY = ("uvicorn.access", "aiormq", "aio_pika", "httpx", "httpcore", "alembic.runtime.plugins")


def _use_colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def tag(service: str, stream: TextIO = sys.stderr) -> str:
    """`service     |` padded to one width, coloured on a terminal."""
    label = f"{service:<{WIDTH}}|"
    if _use_colour(stream):
        return f"\x1b[{COLOURS.get(service, 0)}m{label}\x1b[0m"
    return label


class _ServiceFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        root = record.name.split(".", 1)[0]
        service = SERVICE_OF_LOGGER.get(root, "rechat")
        trace = trace_id_var.get()
        text = super().format(record)
        suffix = f" [{trace[:8]}]" if trace != "-" else ""
        return f"{tag(service)} {record.levelname:<7} {text}{suffix}"


def configure(level: str = "INFO") -> None:
    """One handler on stderr that names each line's service from its logger (embedded mode)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ServiceFormatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def say(message: str) -> None:
    """A line from `rechat` itself (mode, addresses, shutdown)."""
    print(f"{tag('rechat')} {message}", file=sys.stderr, flush=True)


async def relay(service: str, stream: asyncio.StreamReader, out: TextIO = sys.stderr) -> None:
    """Copy a child's output line by line, each line tagged with the child's service name."""
    prefix = tag(service, out)
    while True:
        line = await stream.readline()
        if not line:
            return
        out.write(f"{prefix} {line.decode(errors='replace').rstrip()}\n")
        out.flush()
