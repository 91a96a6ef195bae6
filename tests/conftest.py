"""Shared fixtures: a real uvicorn server on 127.0.0.1, a real aiosmtpd server, HTTP clients."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller

from convene.app import create_app
from convene.clock import FrozenClock
from convene.db import current_db
from convene.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPSink:
    """aiosmtpd handler that keeps every message it receives, parsed."""

    def __init__(self) -> None:
        self.port = 0
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(msg)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in str(m["To"])]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        # Delivery is a real network round trip; poll (briefly) for it to arrive.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"expected {count} message(s) to {address}, got {len(self.to(address))}")


@pytest.fixture(scope="session")
def smtp() -> Iterator[SMTPSink]:
    sink = SMTPSink()
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass
class LiveServer:
    url: str
    settings: Settings
    clock: FrozenClock
    app: Any
    server: uvicorn.Server
    thread: threading.Thread
    extra: dict[str, Any] = field(default_factory=dict)

    def run(self, coro: Any, timeout: float = 30) -> Any:
        """Run a coroutine on the server's own event loop (where its database connection lives),
        the way the `convene` CLI would: for seeding data and reading rows back."""
        loop = self.app.state.loop
        ctx = self.app.state.db

        async def in_context() -> Any:
            with current_db(ctx):
                # A callable is called inside the context: ORM queries bind their database
                # connection when they are built, so build them on the server's side.
                return await (coro() if callable(coro) else coro)

        return asyncio.run_coroutine_threadsafe(in_context(), loop).result(timeout)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def start_server(
    data_dir: Path,
    *,
    smtp_port: int | None = None,
    clock: FrozenClock | None = None,
    **overrides: Any,
) -> LiveServer:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        data_dir=data_dir,
        database_url=overrides.pop("database_url", f"sqlite://{data_dir / 'convene.sqlite3'}"),
        secret_key="test-secret-" + uuid.uuid4().hex,
        base_url=base,
        mail_url=f"smtp://127.0.0.1:{smtp_port}" if smtp_port else "memory://",
        # Cheaper Argon2id cost in tests: the same algorithm, less memory per hash.
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        **{"scheduler_interval": 0, **overrides},
    ).resolved()
    clock = clock or FrozenClock()
    app = create_app(settings, clock=clock)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        ws_per_message_deflate=settings.ws_compression,  # as `convene serve` runs it
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    return LiveServer(base, settings, clock, app, server, thread)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory, smtp: SMTPSink) -> Iterator[LiveServer]:
    """One server for the whole session; tests create their own uniquely named members and groups."""
    server = start_server(tmp_path_factory.mktemp("live"), smtp_port=smtp.port)
    try:
        yield server
    finally:
        server.stop()


def unique(prefix: str = "u") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browserish:
    """An httpx client that behaves like a browser: keeps cookies, sends the CSRF token."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, follow_redirects=False, timeout=30)

    async def __aenter__(self) -> Browserish:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def csrf(self) -> str:
        token = self.http.cookies.get("convene_csrf")
        if not token:
            await self.http.get("/healthz")
            token = self.http.cookies.get("convene_csrf")
        assert token
        return token

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.http.get(url, **kw)

    async def post_form(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        data = dict(data or {})
        data.setdefault("csrf_token", await self.csrf())
        return await self.http.post(url, data=data, **kw)

    async def api(self, method: str, url: str, json: Any = None, **kw: Any) -> httpx.Response:
        headers = {"x-csrf-token": await self.csrf(), "accept": "application/json"}
        headers.update(kw.pop("headers", {}))
        return await self.http.request(method, url, json=json, headers=headers, **kw)


async def query_plan(sql: str, values: list[Any]) -> list[str]:
    """SQLite's plan for a statement, one line per step ("SEARCH ... USING INDEX", "SCAN ..."), on
    the current database context (run it through LiveServer.run)."""
    from convene.db import default_db

    rows = await default_db().execute_query_dict("EXPLAIN QUERY PLAN " + sql, values)
    return [row["detail"] for row in rows]


async def make_user(live: LiveServer, role: str = "member", **fields: Any) -> Any:
    """Create a member through the service layer, as `convene user create` does."""
    from members.models import Role
    from members.service import do_create_user

    name = fields.pop("name", None) or f"Test {unique('')}"
    email = fields.pop("email", None) or f"{unique('m')}@example.org"
    password = fields.pop("password", "correct horse battery staple")
    user = await asyncio.to_thread(
        live.run,
        do_create_user(
            email=email,
            name=name,
            password=password,
            passwords=live.app.state.passwords,
            clock=live.clock,
            role=Role(role),
            **fields,
        ),
    )
    user.plain_password = password
    return user


async def signed_in(live: LiveServer, user: Any) -> Browserish:
    """A browser-like client already holding a session for `user` (tests of sign-in itself use
    the real form; everything else starts here)."""
    from convene.security import SESSION_COOKIE
    from members.sessions import do_start_session

    token = await asyncio.to_thread(live.run, do_start_session(user, live.clock, live.settings.session_days))
    client = Browserish(live.url)
    client.http.cookies.set(SESSION_COOKIE, token)
    return client
