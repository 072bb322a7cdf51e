"""`rechat-history`: serve history's API and consume its events."""

from __future__ import annotations

from rechat_shared.app import run_service


def main() -> None:
    run_service("history", "rechat_history.app:create_app", default_port=8003)


if __name__ == "__main__":
    main()
