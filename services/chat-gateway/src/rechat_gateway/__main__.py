"""`rechat-gateway [--host H] [--port P]`."""

from __future__ import annotations

from rechat_shared.app import run_service


def main() -> None:
    run_service("gateway", "rechat_gateway.app:create_app", default_port=8002)


if __name__ == "__main__":
    main()
