"""Every route each service declares is dispatched to that service by the route table (and so
by nginx, whose template tests/deploy checks against the same table)."""

from __future__ import annotations

import re

import pytest

from rechat_cli.routes import AUTH, GATEWAY, HISTORY, service_for
from rechat_cli.services import SPECS

SHELL_ROUTES = {"/healthz", "/readyz", "/metrics"}
"""Each service's own health and metrics routes, never routed through the one origin."""


@pytest.mark.parametrize("service", [AUTH, GATEWAY, HISTORY])
def test_every_route_of_the_service_reaches_it(service: str) -> None:
    schema = SPECS[service].create_app().openapi()  # every route the service documents
    paths = {
        re.sub(r"\{[^}]+\}", "x", path) for path in schema["paths"] if path not in SHELL_ROUTES
    }
    assert paths, f"{service} declares no routes"
    misrouted = {
        path: service_for(path, internal=True)
        for path in paths
        if service_for(path, internal=True) != service
    }
    assert misrouted == {}
    public = {path for path in paths if not path.startswith("/internal/")}
    assert all(path.startswith("/api/") for path in public)
