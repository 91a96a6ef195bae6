"""Error handling against the live server: one error tree, shown as a page or as JSON by the request;
body limits, CSRF refusals and security headers on every answer."""

from __future__ import annotations

import asyncio
import json
import socket
from urllib.parse import urlsplit

import httpx

from tests.conftest import Browserish, make_user, signed_in, unique

HTML = {"accept": "text/html,application/xhtml+xml"}
JSON = {"accept": "application/json"}


# ---- 404 and 405 ----


async def test_unknown_page_is_a_404_page(live):
    async with httpx.AsyncClient(base_url=live.url) as client:
        r = await client.get(f"/{unique('nowhere-')}", headers=HTML)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "<html" in r.text and "Not found" in r.text
    assert "We could not find that page" in r.text


async def test_unknown_api_path_is_a_json_404(live):
    async with httpx.AsyncClient(base_url=live.url) as client:
        r = await client.get(f"/api/v1/{unique('nothing-')}", headers=HTML)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    error = r.json()["error"]
    assert error["code"] == "not_found"
    assert error["message"].startswith("We could not find that page")


async def test_a_json_client_gets_json_errors_anywhere(live):
    async with httpx.AsyncClient(base_url=live.url) as client:
        r = await client.get(f"/{unique('nowhere-')}", headers=JSON)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


async def test_wrong_method_is_405_as_page_and_as_json(live):
    async with Browserish(live.url) as browser:
        page = await browser.post_form("/healthz", headers=HTML)
        api = await browser.api("PUT", "/api/v1/openapi.json", json={})
    assert page.status_code == 405
    assert "That action is not available here." in page.text
    assert "GET" in page.headers["allow"]
    assert api.status_code == 405
    assert api.json() == {
        "error": {"code": "method_not_allowed", "message": "That action is not available here."}
    }
    assert "GET" in api.headers["allow"]


# ---- 413: bodies over settings.max_body_bytes ----


def raw_exchange(url: str, head: str, chunks: list[bytes] = ()) -> tuple[int, dict[str, str], bytes]:
    """Speak HTTP/1.1 over a plain socket, so the test controls exactly what is (not) sent."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        sock.sendall(head.encode("latin-1"))
        for chunk in chunks:
            sock.sendall(chunk)
        data = b""
        while True:  # the server closes the connection after refusing a body
            part = sock.recv(65536)
            if not part:
                break
            data += part
    header_block, _, body = data.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def test_declared_oversized_body_is_refused_before_it_is_sent(live):
    limit = live.settings.max_body_bytes
    head = (
        f"POST /api/v1/groups HTTP/1.1\r\nHost: {urlsplit(live.url).netloc}\r\n"
        f"Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {limit + 1}\r\n\r\n"
    )
    status, headers, body = raw_exchange(live.url, head)
    assert status == 413
    assert headers["connection"] == "close"
    error = json.loads(body)["error"]
    assert error["code"] == "too_large"
    assert error["message"] == f"What you sent is too large: the limit is {limit // 1000:,} kB."


def test_streamed_oversized_body_without_length_is_refused(live):
    limit = live.settings.max_body_bytes
    size = 64 * 1024
    chunk = f"{size:x}\r\n".encode() + b"a" * size + b"\r\n"
    count = limit // size + 1  # just past the limit, then the end of the body, as a browser sends it
    head = (
        f"POST /login HTTP/1.1\r\nHost: {urlsplit(live.url).netloc}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nAccept: text/html\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    status, headers, body = raw_exchange(live.url, head, [chunk] * count + [b"0\r\n\r\n"])
    assert status == 413
    assert "content-length" not in headers or int(headers["content-length"]) == len(body)
    assert headers["content-type"].startswith("text/html")
    assert b"Too large" in body
    assert b"What you sent is too large" in body


def test_a_small_streamed_body_reaches_the_csrf_check(live):
    # The same request under the limit is read in full and judged on its CSRF token instead.
    body = b"email=a%40b.org&password=x"
    chunk = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    head = (
        f"POST /login HTTP/1.1\r\nHost: {urlsplit(live.url).netloc}\r\nConnection: close\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    status, _, response = raw_exchange(live.url, head, [chunk])
    assert status == 403
    assert json.loads(response)["error"]["code"] == "csrf"


# ---- CSRF ----


async def test_form_post_without_csrf_token_is_refused(live):
    async with httpx.AsyncClient(base_url=live.url) as client:
        page = await client.post("/login", data={"email": "a@example.org", "password": "x"}, headers=HTML)
        api = await client.post("/api/v1/groups", json={"name": "x"}, headers=JSON)
    assert page.status_code == 403
    assert "This form has expired or did not come from this site." in page.text
    assert api.status_code == 403
    assert api.json()["error"] == {
        "code": "csrf",
        "message": "This form has expired or did not come from this site. "
        "Please reload the page and try again.",
    }


async def test_csrf_token_must_match_the_cookie(live):
    async with Browserish(live.url) as browser:
        await browser.csrf()
        wrong = await browser.http.post(
            "/login", data={"email": "a@example.org", "password": "x", "csrf_token": "forged"}
        )
        header = await browser.http.post("/api/v1/session", json={}, headers={"x-csrf-token": "forged"})
    assert wrong.status_code == 403
    assert header.status_code == 403


async def test_signed_in_member_without_token_cannot_post(live):
    user = await make_user(live)
    client = await signed_in(live, user)
    async with client:
        r = await client.http.post("/logout", headers=HTML)
        still = await client.get("/api/v1/me")
    assert r.status_code == 403
    assert still.status_code == 200  # the refused sign-out changed nothing


# ---- invalid JSON ----


def _fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + ":int}", value).replace("{" + name + "}", value)
    return path


async def test_invalid_json_is_a_json_400_on_every_api_route_with_a_body(live):
    from forum.models import Visibility
    from forum.service import do_create_group, do_create_thread

    admin = await make_user(live, role="admin")
    other = await make_user(live)
    group = await asyncio.to_thread(
        live.run,
        do_create_group(
            admin, name=unique("JSON "), description="", visibility=Visibility.PUBLIC, clock=live.clock
        ),
    )
    thread = await asyncio.to_thread(
        live.run, do_create_thread(admin, group, title="A thread", body="Hello", clock=live.clock)
    )
    values = {
        "slug": group.slug,
        "thread_id": str(thread.id),
        "user_id": str(other.id),
        "id": str(other.id),
        "username": other.username,
    }
    from forum.models import Post

    opening = await asyncio.to_thread(live.run, lambda: Post.get(thread_id=thread.id, number=1))
    values["post_id"] = str(opening.id)
    # Consultations (any number will do: every endpoint reads its body before looking anything up).
    values.update({name: "1" for name in ("cid", "section_id", "question_id", "session_id", "comment_id")})
    operations = [
        (op.method, op.path)
        for route in live.app.routes
        if (op := getattr(getattr(route, "endpoint", None), "__openapi__", None)) is not None and op.body
    ]
    assert operations, "no API route takes a body"
    client = await signed_in(live, admin)
    async with client:
        token = await client.csrf()
        for method, path in operations:
            assert "{" not in _fill(path, values), f"give {path} a real value for its parameter in `values`"
            for payload in (b"{not json", b"[1, 2]"):
                r = await client.http.request(
                    method,
                    _fill(path, values),
                    content=payload,
                    headers={"content-type": "application/json", "x-csrf-token": token, **JSON},
                )
                assert r.status_code == 400, (method, path, r.status_code, r.text)
                error = r.json()["error"]
                assert error["code"] == "bad_request"
                assert error["message"] in (
                    "The request body is not valid JSON.",
                    "The request body must be a JSON object.",
                )


# ---- security headers and health ----


async def test_security_headers_on_pages_api_and_errors(live):
    async with httpx.AsyncClient(base_url=live.url) as client:
        responses = [
            await client.get("/", headers=HTML),
            await client.get("/healthz"),
            await client.get("/api/v1/openapi.json"),
            await client.get(f"/{unique('missing-')}", headers=HTML),
            await client.get("/static/css/convene.css"),
        ]
    for r in responses:
        assert r.headers["x-content-type-options"] == "nosniff", r.url
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "same-origin"
        csp = r.headers["content-security-policy"]
        for directive in (
            "default-src 'self'",
            "script-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ):
            assert directive in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


async def test_csrf_cookie_is_http_only_and_same_site(live):
    async with httpx.AsyncClient(base_url=live.url) as client:
        r = await client.get("/healthz")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("convene_csrf=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; https base URLs add it


async def test_healthz(live):
    async with httpx.AsyncClient(base_url=live.url) as client:
        r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["database"] == "up"
    assert r.json()["version"]
