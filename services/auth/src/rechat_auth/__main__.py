"""`rechat-auth [--host H] [--port P]` / `python -m rechat_auth`: serve the auth service."""

from __future__ import annotations

from rechat_shared.app import run_service


def main() -> None:
    run_service("auth", "rechat_auth.app:create_app", default_port=8001)


if __name__ == "__main__":
    main()
