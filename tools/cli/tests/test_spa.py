"""Serving the built SPA (files, client-side routes, no escape from dist) and when to rebuild."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from rechat_cli.spa import SpaFiles, ensure_built, needs_build


@pytest.fixture
def web(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.ts").write_text("console.log(1)")
    (tmp_path / "dist" / "assets").mkdir(parents=True)
    (tmp_path / "dist" / "index.html").write_text("<div id=app></div>")
    (tmp_path / "dist" / "assets" / "app-1234.js").write_text("js")
    (tmp_path / "secret.txt").write_text("outside dist")
    return tmp_path


def client(dist: Path) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=SpaFiles(dist))
    return httpx.AsyncClient(transport=transport, base_url="http://rechat")


async def test_files_assets_and_fallback(web: Path) -> None:
    async with client(web / "dist") as spa:
        asset = await spa.get("/assets/app-1234.js")
        assert asset.text == "js"
        assert "immutable" in asset.headers["cache-control"]
        route = await spa.get("/c/some-conversation")
        assert route.text == "<div id=app></div>"
        assert route.headers["cache-control"] == "no-cache"
        escape = await spa.get("/../secret.txt")
        assert escape.text == "<div id=app></div>"
        assert (await spa.post("/")).status_code == 405


async def test_unbuilt_app_explains_itself(tmp_path: Path) -> None:
    async with client(tmp_path / "dist") as spa:
        page = await spa.get("/")
    assert page.status_code == 503
    assert "npm run build" in page.text


def test_rebuild_when_missing_or_older_than_sources(web: Path) -> None:
    index = web / "dist" / "index.html"
    source = web / "src" / "main.ts"
    os.utime(source, (1_000, 1_000))
    os.utime(index, (2_000, 2_000))
    assert not needs_build(web)
    os.utime(source, (3_000, 3_000))
    assert needs_build(web)
    index.unlink()
    assert needs_build(web)


def failing_web_app(root: Path) -> Path:
    """A web app whose dependencies are installed and whose build fails."""
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.ts").write_text("")
    (root / "package.json").write_text('{"name": "w", "scripts": {"build": "exit 3"}}')
    (root / "node_modules").mkdir()
    (root / "node_modules" / ".package-lock.json").write_text("{}")
    return root


def test_a_failed_build_serves_the_previous_one_or_the_api_only(tmp_path: Path) -> None:
    web = failing_web_app(tmp_path / "web")
    assert ensure_built(web) is False  # nothing to serve: the API only
    (web / "dist").mkdir()
    (web / "dist" / "index.html").write_text("old build")
    os.utime(web / "dist" / "index.html", (1_000, 1_000))
    assert ensure_built(web) is True  # the previous build
