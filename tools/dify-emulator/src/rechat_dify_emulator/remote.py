"""``remote_url`` files, looked up the way Dify does before a generation starts.

Dify sends a HEAD request to the URL through its SSRF proxy helper, which retries a connection
error or a 429/5xx answer 3 times, waiting ``backoff * 2**n`` seconds (0.5, 1 and 2 s), and then
fails the request with 400 ``invalid_param`` "Reached maximum retries (3) for URL …" before any
stream (``chat_error_remote_url_unreachable``: answered after about 3.6 s). Any other answer is
accepted; only a 200 tells the file's name, size and type.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
from dataclasses import dataclass

import httpx

from rechat_dify_emulator.http import invalid

MAX_RETRIES = 3
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
TIMEOUT = 5.0
FILENAME = re.compile(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", re.IGNORECASE)


@dataclass(frozen=True)
class RemoteFile:
    filename: str
    mime_type: str | None
    size: int


async def remote_file_info(url: str, backoff: float) -> RemoteFile:
    """Name, type and size of the file at ``url`` (from a HEAD), or the 400 Dify answers."""
    filename = url.split("/")[-1].split("?")[0] or "unknown_file"
    mime_type = mimetypes.guess_type(filename)[0]
    size = -1
    response = await _head(url, backoff)
    if response.status_code == 200:
        disposition = FILENAME.search(response.headers.get("content-disposition", ""))
        if disposition:
            filename = disposition.group(1)
        size = int(response.headers.get("content-length", size))
        mime_type = mime_type or response.headers.get("content-type")
    return RemoteFile(filename=filename, mime_type=mime_type, size=size)


async def _head(url: str, backoff: float) -> httpx.Response:
    async with httpx.AsyncClient(follow_redirects=True, timeout=TIMEOUT) as client:
        for attempt in range(MAX_RETRIES + 1):
            try:
                response = await client.head(url)
            except (httpx.HTTPError, httpx.InvalidURL):
                pass
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
            if attempt < MAX_RETRIES:
                await asyncio.sleep(backoff * 2**attempt)
    raise invalid(f"Reached maximum retries ({MAX_RETRIES}) for URL {url}")
