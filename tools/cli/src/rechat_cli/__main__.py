"""`rechat`: run ReChat locally (`dev`), migrate, create an admin, serve one service."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from rechat_cli import commands, logs
from rechat_cli.environment import (
    Mode,
    ModeError,
    Origin,
    data_dir,
    detect_mode,
    load_env_file,
    repository_root,
)
from rechat_cli.services import SPECS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rechat", description=__doc__)
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO (default), WARNING")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    dev = sub.add_parser(
        "dev",
        help="run every service and the web app at one origin",
        description="Embedded single process when DATABASE_URL, RABBITMQ_URL and REDIS_URL are"
        " unset (SQLite in RECHAT_DATA_DIR); separate processes against those servers when set.",
    )
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8080)
    dev.add_argument("--no-build", action="store_true", help="serve web/dist as it is")
    dev.add_argument("--web-dir", type=Path, default=None, help="the web app (default: ./web)")
    dev.add_argument(
        "--service-port",
        action="append",
        default=[],
        metavar="SERVICE=PORT",
        help="processes mode: where a service listens (default 8001-8004, 8090, or a free port)",
    )

    sub.add_parser("migrate", help="run every service's database migrations")

    admin = sub.add_parser("create-admin", help="create an administrator account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Admin")
    admin.add_argument(
        "--password", default=None, help="default: $RECHAT_ADMIN_PASSWORD, else asked"
    )

    serve = sub.add_parser("serve", help="run one service (its own --host/--port flags follow)")
    serve.add_argument("service", choices=sorted(SPECS))
    serve.add_argument("arguments", nargs=argparse.REMAINDER)
    return parser


def _service_ports(pairs: list[str]) -> dict[str, int]:
    ports: dict[str, int] = {}
    for pair in pairs:
        name, _, port = pair.partition("=")
        if name not in SPECS or not port.isdigit():
            raise SystemExit(
                f"--service-port {pair}: expected SERVICE=PORT, SERVICE in {sorted(SPECS)}"
            )
        ports[name] = int(port)
    return ports


def _refuse_busy_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        if os.name != "nt":  # as uvicorn does: a closed server's TIME_WAIT must not count
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SystemExit(
                f"rechat dev: cannot listen on {host}:{port} ({exc.strerror});"
                " is ReChat already running? Pick another with --port"
            ) from exc


def _dev(args: argparse.Namespace, log_level: str) -> int:
    mode = detect_mode()
    _refuse_busy_port(args.host, args.port)
    from rechat_cli import dev, spa  # the services load only once the command can go ahead

    web_dir: Path = (args.web_dir or repository_root() / "web").resolve()
    if not args.no_build:
        spa.ensure_built(web_dir)
    origin = Origin(args.host, args.port)
    ports = _service_ports(args.service_port)
    options = dev.DevOptions(origin, data_dir(), web_dir / "dist", log_level, ports)
    if mode is Mode.EMBEDDED:
        logs.say(
            f"embedded mode: one process, SQLite in {options.data_dir}, in-process bus and"
            " streams (set DATABASE_URL, RABBITMQ_URL and REDIS_URL to use real servers)"
        )
    else:
        logs.say("processes mode: each service in its own process against the configured servers")
    logs.say(f"starting ReChat at {origin.url}")
    return dev.run(mode, options)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    env_file = load_env_file()
    log_level = args.log_level or os.environ.get("LOG_LEVEL", "INFO")
    logs.configure(log_level)
    if env_file is not None:
        logs.say(f"read {env_file}")
    try:
        code = _run(args, log_level)
    except ModeError as exc:
        raise SystemExit(f"rechat {args.command}: {exc}") from exc
    sys.exit(code)


def _run(args: argparse.Namespace, log_level: str) -> int:
    if args.command == "dev":
        return _dev(args, log_level)
    if args.command == "migrate":
        return commands.migrate()
    if args.command == "create-admin":
        return commands.create_admin(args.email, args.name, args.password)
    return commands.serve(args.service, args.arguments)


if __name__ == "__main__":
    main()
