"""The FastAPI application shell every service shares, and the entry-point runner."""

from __future__ import annotations

import argparse
import gc
import os
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import uvicorn
from fastapi import FastAPI
from uvicorn.importer import import_from_string

from rechat_shared.db import install_database_error_handler
from rechat_shared.errors import document_error_envelope, install_error_handlers
from rechat_shared.logging import TraceMiddleware, configure_logging
from rechat_shared.observability import MetricsMiddleware, health_router

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_service_app(service: str, *, title: str, lifespan: Lifespan) -> FastAPI:
    """A FastAPI app with the error envelope, trace ids, metrics, /healthz and /readyz."""
    app = FastAPI(title=title, version="0.1.0", lifespan=lifespan)
    app.state.service = service
    app.state.readiness_checks = {}
    install_error_handlers(app)
    install_database_error_handler(app)
    document_error_envelope(app)
    app.add_middleware(MetricsMiddleware, service=service)
    app.add_middleware(TraceMiddleware)
    app.include_router(health_router())
    return app


def run_service(
    service: str, app_factory: str, *, default_port: int, argv: list[str] | None = None
) -> None:
    """`rechat-<service> [--host H] [--port P]`: serve `module:factory` with uvicorn."""
    parser = argparse.ArgumentParser(prog=f"rechat-{service}")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", default_port)))
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)
    configure_logging(service, args.log_level, os.environ.get("LOG_FORMAT", "json"))
    import_from_string(app_factory)  # the code of the service, frozen below
    tune_collector()
    uvicorn.run(
        app_factory,
        factory=True,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )


def tune_collector() -> None:
    """Run the cyclic garbage collector less often than every 700 allocations.

    A streaming service allocates a few short-lived containers per event (coroutines, futures,
    dicts); with the default thresholds the collector ran hundreds of times a second over every
    open stream's objects. What is loaded by now (the code, its module-level objects) lives as
    long as the process, so it is frozen out of the collector's scans.
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
