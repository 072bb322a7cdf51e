"""The built web app: rebuild it when its sources changed, and serve it with SPA fallback."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.types import Receive, Scope, Send

logger = logging.getLogger("rechat.web")

SOURCE_ENTRIES = (
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
)
NOT_BUILT = """<!doctype html><title>ReChat</title>
<p>The web app is not built. Install Node.js 20+ and run
<code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>, then reload.
The API is up at <code>/api/...</code>.</p>"""


def _newest_mtime(path: Path) -> float:
    if path.is_file():
        return path.stat().st_mtime
    newest = 0.0
    for child in path.rglob("*"):
        if child.is_file():
            newest = max(newest, child.stat().st_mtime)
    return newest


def needs_build(web_dir: Path) -> bool:
    """`web/dist` is missing, or older than any of the sources it is built from."""
    index = web_dir / "dist" / "index.html"
    if not index.is_file():
        return True
    built = index.stat().st_mtime
    return any(
        _newest_mtime(web_dir / entry) > built
        for entry in SOURCE_ENTRIES
        if (web_dir / entry).exists()
    )


def _needs_install(web_dir: Path) -> bool:
    marker = web_dir / "node_modules" / ".package-lock.json"
    lock = web_dir / "package-lock.json"
    return not marker.is_file() or (
        lock.is_file() and lock.stat().st_mtime > marker.stat().st_mtime
    )


def ensure_built(web_dir: Path) -> bool:
    """Build the SPA when needed (`npm ci` only when the dependencies changed).

    Returns whether a build is there to serve. Without npm it says so and carries on: the API
    works, and the page explains how to build the web app.
    """
    if not needs_build(web_dir):
        return True
    if not (web_dir / "package.json").is_file():
        logger.warning("no web app sources in %s (--web-dir); the API still runs", web_dir)
        return (web_dir / "dist" / "index.html").is_file()
    npm = shutil.which("npm")
    if npm is None:
        logger.warning(
            "npm not found: cannot build the web app in %s (install Node.js 20+);"
            " the API still runs",
            web_dir,
        )
        return (web_dir / "dist" / "index.html").is_file()
    built = True
    if _needs_install(web_dir):
        logger.info("installing the web app's dependencies (npm ci)")
        built = _run([npm, "ci", "--no-audit", "--no-fund"], web_dir)
    if built:
        logger.info("building the web app (npm run build)")
        built = _run([npm, "run", "build"], web_dir)
    if built:
        return True
    # The services are still worth running: the page says what is wrong, the API answers.
    previous = (web_dir / "dist" / "index.html").is_file()
    logger.error(
        "the web app could not be built (see npm's output above); %s",
        "serving the previous build" if previous else "serving the API only",
    )
    return previous


def _run(command: list[str], cwd: Path) -> bool:
    # our own fixed npm commands, never user input
    result = subprocess.run(command, cwd=cwd, check=False)  # noqa: S603
    return result.returncode == 0


class SpaFiles:
    """ASGI app serving `dist/`: a file when it exists, else `index.html` (client routing)."""

    def __init__(self, dist: Path) -> None:
        self.dist = dist.resolve()

    def _response(self, path: str) -> Response:
        index = self.dist / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503)
        target = (self.dist / path.lstrip("/")).resolve()
        if target.is_relative_to(self.dist) and target.is_file():
            immutable = target.parent.name == "assets"
            cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
            return FileResponse(target, headers={"cache-control": cache})
        return FileResponse(index, headers={"cache-control": "no-cache"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] not in ("GET", "HEAD"):
            response: Response = Response(status_code=405, headers={"allow": "GET, HEAD"})
        else:
            response = self._response(scope["path"])
        await response(scope, receive, send)
