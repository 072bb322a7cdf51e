"""The nginx template routes every public /api prefix to the service that owns it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rechat_cli.routes import AUTH, GATEWAY, HISTORY, PUBLIC_PREFIXES

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "rechat.conf.template"
UPSTREAMS = {AUTH: "rechat_auth", GATEWAY: "rechat_gateway", HISTORY: "rechat_history"}


def locations() -> dict[str, str]:
    """`location <prefix> { ... }` blocks (no nesting in our template) by prefix."""
    text = TEMPLATE.read_text()
    return {
        match.group(1): match.group(2)
        for match in re.finditer(r"location\s+([^\s{]+)\s*\{([^}]*)\}", text)
    }


@pytest.mark.parametrize(("prefix", "service"), PUBLIC_PREFIXES)
def test_prefix_goes_to_its_service(prefix: str, service: str) -> None:
    body = locations()[prefix]
    assert f"proxy_pass http://{UPSTREAMS[service]};" in body


def test_streams_are_not_buffered_and_may_last() -> None:
    body = locations()["/api/chat/"]
    assert "proxy_buffering off;" in body
    assert "proxy_read_timeout 1h;" in body
    assert "gzip off;" in body


def test_internal_routes_are_closed_and_the_spa_falls_back_to_index() -> None:
    found = locations()
    assert "return 404" in found["/internal/"]
    assert "try_files $uri $uri/ /index.html;" in found["/"]


def test_placeholders_are_only_ours() -> None:
    placeholders = set(re.findall(r"\$\{([A-Z_]+)\}", TEMPLATE.read_text()))
    assert placeholders == {
        "RECHAT_AUTH_UPSTREAM",
        "RECHAT_GATEWAY_UPSTREAM",
        "RECHAT_HISTORY_UPSTREAM",
        "RECHAT_IMAGE_HOSTS",
        "RECHAT_LISTEN_PORT",
        "RECHAT_WEB_ROOT",
    }
