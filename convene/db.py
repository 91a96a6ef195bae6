"""Database: Tortoise config from the URL, the migration runner, and the transaction helper."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise.context import TortoiseContext, _current_context, require_context
from tortoise.migrations.api import migrate as tortoise_migrate
from tortoise.transactions import in_transaction

__all__ = [
    "APPS",
    "in_transaction",
    "tortoise_config",
    "open_db",
    "migrate",
    "current_db",
    "DBContextMiddleware",
]

# One Tortoise app per domain package; its migrations live in convene/migrations/<label>/.
APPS: dict[str, str] = {
    "members": "members.models",
    "forum": "forum.models",
    "realtime": "realtime.models",
    "digest": "digest.models",
    "consultations": "consultations.models",
    "library": "library.models",
    "messages": "messages.models",
}


def _db_url(url: str) -> str:
    if url.startswith("sqlite://") and "?" not in url:
        # WAL is Tortoise's default; concurrent writers also need to wait instead of failing.
        return url + "?busy_timeout=10000&synchronous=NORMAL"
    if url.startswith("postgresql://"):
        return "postgres://" + url.removeprefix("postgresql://")
    return url


def default_db() -> Any:
    """The current context's database connection, for the few places that write raw SQL."""
    return require_context().db()


def tortoise_config(database_url: str, apps: dict[str, str] | None = None) -> dict[str, Any]:
    apps = APPS if apps is None else apps
    return {
        "connections": {"default": _db_url(database_url)},
        "apps": {
            label: {
                "models": [module],
                "default_connection": "default",
                "migrations": f"convene.migrations.{label}",
            }
            for label, module in apps.items()
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(database_url: str) -> None:
    """Apply every pending migration (idempotent), in a database context of its own."""
    ctx = TortoiseContext()
    with ctx:
        try:
            await tortoise_migrate(config=tortoise_config(database_url))
        finally:
            # A failed migration must not leave its connection open behind the error.
            await ctx.close_connections()


async def open_db(database_url: str, *, run_migrations: bool = True) -> TortoiseContext:
    """Open a database context. Each app holds its own, so several apps can live in one process
    (tests restart servers); DBContextMiddleware makes it current for every request."""
    if run_migrations:
        await migrate(database_url)
    ctx = TortoiseContext()
    with ctx:
        await ctx.init(config=tortoise_config(database_url))
    return ctx


@contextmanager
def current_db(ctx: TortoiseContext) -> Iterator[None]:
    """Make `ctx` the database context of the running task only. `with ctx:` keeps one token on
    the shared TortoiseContext, which concurrent requests overwrite ("Token ... was created in a
    different Context"); each task here keeps its own token instead."""
    token = _current_context.set(ctx)
    try:
        yield
    finally:
        _current_context.reset(token)


class DBContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctx = scope["app"].state.db if scope["type"] != "lifespan" else None
        if ctx is None:
            await self.app(scope, receive, send)
            return
        with current_db(ctx):
            await self.app(scope, receive, send)
