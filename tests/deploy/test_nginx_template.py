"""The nginx template routes every public /api prefix to the service that owns it, looks the
services up again as they come and go, and its CSP lets the SPA's own scripts run."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
from pathlib import Path

import pytest

from rechat_cli.routes import AUTH, GATEWAY, HISTORY, PUBLIC_PREFIXES

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "nginx" / "rechat.conf.template"
INDEX = ROOT / "web" / "index.html"
RESOLVER_SCRIPT = ROOT / "deploy" / "nginx" / "15-rechat-resolver.envsh"
UPSTREAMS = {AUTH: "rechat_auth", GATEWAY: "rechat_gateway", HISTORY: "rechat_history"}
PLACEHOLDERS = {
    "RECHAT_AUTH_UPSTREAM": "rechat_auth",
    "RECHAT_GATEWAY_UPSTREAM": "rechat_gateway",
    "RECHAT_HISTORY_UPSTREAM": "rechat_history",
}


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
    assert f"proxy_pass http://${UPSTREAMS[service]};" in body


def test_upstreams_are_looked_up_again_not_once_at_start() -> None:
    """A name in proxy_pass (or an upstream block) is resolved once, when nginx starts: after a
    service restarts with a new address nginx answers 502/504 until it restarts too. Through a
    variable, nginx asks its resolver per request, keeping an answer only `valid` seconds."""
    text = TEMPLATE.read_text()
    assert "upstream " not in re.sub(r"#.*", "", text)
    resolver = re.search(r"^\s*resolver\s+\$\{RECHAT_RESOLVER\}\s+valid=(\d+)s;", text, re.M)
    assert resolver
    assert int(resolver.group(1)) <= 30
    for placeholder, variable in PLACEHOLDERS.items():
        assert f"set ${variable} ${{{placeholder}}};" in text
    proxied = re.findall(r"proxy_pass\s+([^;]+);", text)
    assert proxied
    assert all(re.fullmatch(r"http://\$rechat_[a-z]+", target) for target in proxied)


@pytest.mark.parametrize(
    ("resolv_conf", "expected"),
    [
        # podman: the network's own server first, then the host's, which knows no service
        ("search dns.podman\nnameserver 10.89.0.1\nnameserver 10.255.255.53\n", "10.89.0.1"),
        ("nameserver 127.0.0.11\noptions ndots:0\n", "127.0.0.11"),  # Docker
        ("search rechat.svc.cluster.local\nnameserver fd00::a\n", "[fd00::a]"),  # IPv6 kube-dns
    ],
)
def test_the_resolver_is_the_containers_first_nameserver(
    tmp_path: Path, resolv_conf: str, expected: str
) -> None:
    """nginx spreads queries over every resolver it is given: only the first one is named."""
    (tmp_path / "resolv.conf").write_text(resolv_conf)
    script = RESOLVER_SCRIPT.read_text().replace("/etc/resolv.conf", str(tmp_path / "resolv.conf"))
    (tmp_path / "script.envsh").write_text(script)
    env = {"PATH": "/usr/bin:/bin"}
    sourced = f'. {tmp_path / "script.envsh"} && printf %s "$RECHAT_RESOLVER"'
    result = subprocess.run(["sh", "-c", sourced], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected
    kept = subprocess.run(
        ["sh", "-c", sourced],
        capture_output=True,
        text=True,
        env={**env, "RECHAT_RESOLVER": "192.0.2.53"},
    )
    assert kept.stdout == "192.0.2.53"  # an operator's own setting stays


def test_streams_are_not_buffered_and_may_last() -> None:
    body = locations()["/api/chat/"]
    assert "proxy_buffering off;" in body
    assert "proxy_read_timeout 1h;" in body
    assert "gzip off;" in body


def test_internal_routes_are_closed_and_the_spa_falls_back_to_index() -> None:
    found = locations()
    assert "return 404" in found["/internal/"]
    assert "try_files $uri $uri/ /index.html;" in found["/"]


def test_placeholders_are_ours_and_the_images_resolvers() -> None:
    placeholders = set(re.findall(r"\$\{([A-Z_]+)\}", TEMPLATE.read_text()))
    assert placeholders == {
        *PLACEHOLDERS,
        "RECHAT_IMAGE_HOSTS",
        "RECHAT_LISTEN_PORT",
        "RECHAT_WEB_ROOT",
        "RECHAT_RESOLVER",
    }


def script_sources() -> list[str]:
    """script-src of the production Content-Security-Policy."""
    header = re.search(r'add_header Content-Security-Policy "([^"]+)"', TEMPLATE.read_text())
    assert header
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in header.group(1).split(";") if part.strip()
    )
    return directives.get("script-src", directives["default-src"])


def test_the_csp_allows_every_script_of_the_spa() -> None:
    """An inline script needs its hash in script-src; a file must be one the SPA serves (a file
    of web/public, copied to the root as it is, or the module entry Vite bundles)."""
    allowed = script_sources()
    assert "'self'" in allowed
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", INDEX.read_text(), flags=re.DOTALL)
    assert scripts
    for attributes, body in scripts:
        source = re.search(r'src="([^"]+)"', attributes)
        if source is None:
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in allowed, f"inline script the CSP blocks: {body[:60]}"
            continue
        path = source.group(1)
        assert path.startswith("/"), path
        assert not path.startswith("//"), path
        served = ROOT / "web" / "public" / path.lstrip("/")
        bundled = 'type="module"' in attributes and (ROOT / "web" / path.lstrip("/")).is_file()
        assert served.is_file() or bundled, f"{path} is neither in web/public nor bundled"


def test_the_theme_is_applied_before_first_paint() -> None:
    """The theme script runs before the body renders: a classic script in <head>, not deferred."""
    head = INDEX.read_text().split("</head>")[0]
    tag = re.search(r'<script\b[^>]*src="/theme.js"[^>]*>', head)
    assert tag, head
    assert not re.search(r"\b(defer|async|type=\"module\")", tag.group(0))
    assert "localStorage.getItem('theme')" in (ROOT / "web" / "public" / "theme.js").read_text()
