"""Helpers for the members tests: private servers, registration modes set as an admin would, email links."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Browserish, LiveServer, SMTPSink, make_user, signed_in, start_server

PASSWORD = "correct horse battery staple"
LINK_RE = re.compile(r"https?://127\.0\.0\.1:\d+/\S+")


@pytest.fixture
def private(tmp_path: Path, smtp: SMTPSink) -> Iterator[Callable[..., LiveServer]]:
    """Start servers of this test's own (own database, own FrozenClock, settings overridden)."""
    servers: list[LiveServer] = []

    def start(**overrides: Any) -> LiveServer:
        folder = tmp_path / f"site{len(servers)}"
        folder.mkdir()
        server = start_server(folder, smtp_port=smtp.port, **overrides)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def fake_ip() -> str:
    """A distinct client address per test (the server trusts X-Forwarded-For from its loopback proxy),
    so one test's failed sign-ins never throttle another's."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def client(live: LiveServer, ip: str | None = None) -> Browserish:
    browser = Browserish(live.url)
    browser.http.headers["x-forwarded-for"] = ip or fake_ip()
    return browser


async def read(live: LiveServer, query: Callable[[], Any]) -> Any:
    """Run a query on the server's loop, to look at rows the way the CLI would. Pass a callable:
    Tortoise binds a query to a database connection when it is built, so it is built there."""

    async def run() -> Any:
        return await query()

    return await asyncio.to_thread(live.run, run())


async def login(browser: Browserish, email: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
    return await browser.post_form("/login", {"email": email, "password": password, **extra})


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()  # type: ignore[union-attr]


def link_in(message: EmailMessage) -> str:
    found = LINK_RE.findall(text_of(message))
    assert found, text_of(message)
    return found[0]


def path_of(url: str) -> str:
    parts = httpx.URL(url)
    return parts.raw_path.decode()


@asynccontextmanager
async def registration_mode(live: LiveServer, mode: str) -> AsyncIterator[Browserish]:
    """Set the registration mode through the admin API, as an administrator would, and put the
    previous mode back afterwards. Yields the admin's browser."""
    admin = await make_user(live, role="admin")
    browser = await signed_in(live, admin)
    before = (await browser.api("GET", "/api/v1/admin/overview")).json()["registration_mode"]
    r = await browser.api("PATCH", "/api/v1/admin/settings", json={"registration_mode": mode})
    assert r.status_code == 200, r.text
    try:
        yield browser
    finally:
        await browser.api("PATCH", "/api/v1/admin/settings", json={"registration_mode": before})
        await browser.__aexit__()


def register_form(email: str, **fields: str) -> dict[str, str]:
    data = {
        "name": fields.pop("name", "Amira Haddad"),
        "email": email,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "consent": "on",
    }
    data.update(fields)
    return data
