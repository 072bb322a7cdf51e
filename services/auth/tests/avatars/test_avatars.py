"""Profile pictures: upload (type told from the bytes, size capped), serve, replace, remove."""

from __future__ import annotations

import base64

import httpx

from rechat_auth.testing import Account, MakeUser, StartAuth

# a 1x1 PNG, a JPEG and a WebP header with bytes after them
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


async def upload(
    client: httpx.AsyncClient, account: Account, data: bytes, content_type: str = "image/png"
) -> httpx.Response:
    headers = {**account.headers, "Content-Type": content_type}
    return await client.put("/api/auth/me/avatar", content=data, headers=headers)


async def test_upload_sets_my_avatar_served_as_its_type(
    client: httpx.AsyncClient, member: Account
) -> None:
    big = PNG + b"\x00" * 100_000  # past the 64 KiB every other auth route takes
    answer = await upload(client, member, big)
    assert answer.status_code == 200, answer.text
    url = answer.json()["avatar_url"]
    assert url.startswith("/api/auth/avatars/")
    me = await client.get("/api/auth/me", headers=member.headers)
    assert me.json()["avatar_url"] == url

    picture = await client.get(url)  # no token: an <img> sends none
    assert picture.status_code == 200
    assert picture.content == big
    assert picture.headers["content-type"] == "image/png"
    assert picture.headers["x-content-type-options"] == "nosniff"
    assert "immutable" in picture.headers["cache-control"]


async def test_the_bytes_decide_the_type_not_the_header(
    client: httpx.AsyncClient, member: Account
) -> None:
    answer = await upload(client, member, JPEG, "image/png")
    picture = await client.get(answer.json()["avatar_url"])
    assert picture.headers["content-type"] == "image/jpeg"
    webp = await upload(client, member, WEBP, "application/octet-stream")
    assert (await client.get(webp.json()["avatar_url"])).headers["content-type"] == "image/webp"


async def test_what_is_no_picture_is_refused_with_400(
    client: httpx.AsyncClient, member: Account
) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for data, declared in [
        (svg, "image/svg+xml"),
        (b"<html><script>alert(1)</script></html>", "image/png"),
        (b"just text", "text/plain"),
        (b"", "image/png"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),  # a signature with nothing after it
        (b"RIFF\x00\x00\x00\x00WAVE" + b"\x00" * 16, "image/webp"),  # RIFF, but audio
    ]:
        answer = await upload(client, member, data, declared)
        assert answer.status_code == 400, (data, answer.text)
        assert answer.json()["error"] == "avatar_rejected"
    me = await client.get("/api/auth/me", headers=member.headers)
    assert me.json()["avatar_url"] is None


async def test_a_picture_past_the_limit_is_413_and_changes_nothing(
    start_auth: StartAuth, make_user: MakeUser
) -> None:
    async with start_auth(avatar_max_bytes=2_000, keep_data=True) as running:
        member = await make_user("user")
        too_big = await upload(running.client, member, PNG + b"\x00" * 2_000)
        assert too_big.status_code == 413
        assert too_big.json()["error"] == "payload_too_large"
        me = await running.client.get("/api/auth/me", headers=member.headers)
        assert me.json()["avatar_url"] is None
        assert (await upload(running.client, member, PNG)).status_code == 200


async def test_replace_and_remove_retire_the_old_picture(
    client: httpx.AsyncClient, member: Account, admin: Account
) -> None:
    first = (await upload(client, member, PNG)).json()["avatar_url"]
    second = (await upload(client, member, JPEG)).json()["avatar_url"]
    assert second != first
    assert (await client.get(first)).status_code == 404
    listed = await client.get("/api/admin/users", headers=admin.headers)
    by_id = {user["id"]: user for user in listed.json()["items"]}
    assert by_id[member.id]["avatar_url"] == second  # the admin's list shows it too

    removed = await client.delete("/api/auth/me/avatar", headers=member.headers)
    assert removed.status_code == 200
    assert removed.json()["avatar_url"] is None
    assert (await client.get(second)).status_code == 404


async def test_unknown_or_malformed_ids_are_404_or_422(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"/api/auth/avatars/{'0' * 32}")
    assert missing.status_code == 404
    assert (await client.get("/api/auth/avatars/..%2f..%2fetc")).status_code in {404, 422}


async def test_pending_and_anonymous_cannot_set_one(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    waiting = await make_user("pending")
    assert (await upload(client, waiting, PNG)).status_code == 403
    anonymous = await client.put("/api/auth/me/avatar", content=PNG)
    assert anonymous.status_code == 401
