"""Which mode `rechat dev` picks from the environment, and the route table it dispatches by."""

from __future__ import annotations

import pytest

from rechat_cli.environment import Mode, ModeError, Origin, detect_mode
from rechat_cli.routes import AUTH, GATEWAY, HISTORY, service_for

SERVERS = {
    "DATABASE_URL": "mysql+aiomysql://u:p@db/rechat",
    "RABBITMQ_URL": "amqp://guest:guest@mq:5672/",
    "REDIS_URL": "redis://cache:6379/0",
}


def test_nothing_set_is_embedded() -> None:
    assert detect_mode({}) is Mode.EMBEDDED
    assert detect_mode({"DATABASE_URL": SERVERS["DATABASE_URL"]}) is Mode.EMBEDDED


def test_all_three_set_is_processes() -> None:
    assert detect_mode(SERVERS) is Mode.PROCESSES


@pytest.mark.parametrize("missing", ["RABBITMQ_URL", "REDIS_URL", "DATABASE_URL"])
def test_half_configured_is_refused_naming_what_is_missing(missing: str) -> None:
    env = {k: v for k, v in SERVERS.items() if k != missing}
    with pytest.raises(ModeError, match=missing):
        detect_mode(env)


def test_memory_urls_cannot_span_processes() -> None:
    with pytest.raises(ModeError):
        detect_mode({**SERVERS, "REDIS_URL": "memory://"})


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/auth/login", AUTH),
        ("/api/auth/.well-known/jwks.json", AUTH),
        ("/api/admin/users/42", AUTH),
        ("/api/admin/settings", AUTH),
        ("/api/apps", GATEWAY),
        ("/api/chat/messages", GATEWAY),
        ("/api/admin/apps/1/test", GATEWAY),
        ("/api/files", GATEWAY),
        ("/api/conversations/abc/messages", HISTORY),
        ("/api/me/usage", HISTORY),
        ("/api/admin/usage", HISTORY),
        ("/api/admin/usersx", None),
        ("/api/unknown", None),
        ("/", None),
        ("/c/123", None),
        ("/internal/conversations/1", None),
    ],
)
def test_public_routes(path: str, service: str | None) -> None:
    assert service_for(path) == service


def test_internal_routes_only_inside_the_process() -> None:
    assert service_for("/internal/conversations/1", internal=True) == HISTORY


def test_origin_loopback_for_wildcard_binds() -> None:
    assert Origin("0.0.0.0", 8080).loopback_url == "http://127.0.0.1:8080"
    assert Origin("127.0.0.1", 9000).url == "http://127.0.0.1:9000"
