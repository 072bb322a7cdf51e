"""``rechat-dify-emulator``: serve the emulated Dify Service API with uvicorn."""

from __future__ import annotations

import argparse
import gc
from pathlib import Path

import uvicorn

from rechat_dify_emulator.app import create_app
from rechat_dify_emulator.config import default_config, load_config
from rechat_dify_emulator.profiles import PROFILES


def main(argv: list[str] | None = None) -> None:
    """Parse the flags and run the server until interrupted."""
    parser = argparse.ArgumentParser(prog="rechat-dify-emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--config", type=Path, help="YAML or JSON file with apps and settings")
    parser.add_argument("--profile", choices=["current", "0.15"], default=None)
    parser.add_argument("--ping-interval", type=float, default=None, help="seconds (default 10)")
    parser.add_argument("--token-delay", type=float, default=None, help="seconds between tokens")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    overrides = {
        "profile": args.profile,
        "ping_interval": args.ping_interval,
        "token_delay": args.token_delay,
    }
    overrides = {key: value for key, value in overrides.items() if value is not None}
    config = load_config(args.config, **overrides) if args.config else default_config(**overrides)
    app = create_app(config)
    tune_collector()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        backlog=4096,
        timeout_keep_alive=30,
        # a paced stream may run for minutes: on SIGTERM, end it after this long, not wait
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        server_header=PROFILES[config.profile].server_header is None,  # else the app sends it
    )


GRACEFUL_SECONDS = 2


def tune_collector() -> None:
    """Collect cyclic garbage less often than the default of every 700 allocations.

    Each paced token allocates a few short-lived containers (coroutines, a future); at 60,000
    tokens/s the default thresholds ran the collector hundreds of times a second over every
    open stream's objects (~7 % of the CPU at 2,000 paced streams, ~1 % now). The objects of
    the app itself are frozen: they live as long as the process.
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


if __name__ == "__main__":
    main()
