"""`rechat-worker [--concurrency N] [--host H] [--port P]` (port serves health and metrics)."""

from __future__ import annotations

import argparse
import os
import sys

from rechat_shared.app import run_service


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="rechat-worker", add_help=False)
    parser.add_argument("--concurrency", type=int, default=None)
    args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if args.concurrency is not None:
        os.environ["WORKER_CONCURRENCY"] = str(args.concurrency)
    run_service("worker", "rechat_worker.app:create_app", default_port=8004, argv=rest)


if __name__ == "__main__":
    main()
