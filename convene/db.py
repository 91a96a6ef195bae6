"""Database: Tortoise config from the URL, the migration runner, the transaction helper,
Statement, for the few hand-written reads on the hot path of every page view, and _Direct, which
runs a chat message's read and write at once on the event loop's thread."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.context import TortoiseContext, _current_context, require_context
from tortoise.fields import DatetimeField
from tortoise.migrations.api import migrate as tortoise_migrate
from tortoise.models import Model
from tortoise.timezone import get_default_timezone
from tortoise.transactions import in_transaction

__all__ = [
    "APPS",
    "in_transaction",
    "tortoise_config",
    "open_db",
    "close_db",
    "migrate",
    "current_db",
    "DBContextMiddleware",
    "Statement",
    "model_columns",
    "model_from_row",
]

M = TypeVar("M", bound=Model)

logger = logging.getLogger("convene.db")

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


# ---- Statements run at once, on the event loop's own thread ----

# Direct writes between two checkpoints of the write-ahead log: a chat message adds about 9 pages to
# it (the message, its log entry, the room's counter and their indexes; 38 KB, measured by
# tests/realtime/test_at_once.py), so this is near the 1,000 pages at which SQLite would checkpoint.
CHECKPOINT_EVERY = 128


class _Direct:
    """A second connection to a SQLite file, opened and used on the event loop's own thread, so that
    the statements a chat message cannot wait for run at once instead of going through Tortoise's
    connection thread (aiosqlite). That hop back and forth cost each statement a wait for the GIL
    and for the loop's turn, 5-60 ms at the 99th percentile while the loop was busy sending
    (bench/chat_fanout.py); on this connection the send's read takes 0.45 ms there and its write
    1.5 ms.

    It never waits for a lock: SQLite's busy timeout is 0, and a statement that finds the database
    locked (another connection writing) gives up at once and the caller goes the usual way, which
    waits. It never checkpoints the write-ahead log itself (6-8 ms of disk writes on the loop);
    every CHECKPOINT_EVERY writes it asks Tortoise's connection to, in its thread."""

    def __init__(self, client: Any, conn: sqlite3.Connection) -> None:
        self.client = client
        self.conn = conn
        self.thread = threading.get_ident()
        self.writes = 0
        self.checkpoints = 0
        self._checkpoint: asyncio.Task[None] | None = None

    @classmethod
    def open(cls, client: Any) -> _Direct | None:
        name = client.filename
        if name == ":memory:" or "mode=memory" in name:
            return None  # another connection would open another database
        conn = sqlite3.connect(name, isolation_level=None, timeout=0)
        try:
            pragmas = {**client.pragmas, "busy_timeout": 0, "wal_autocheckpoint": 0}
            for pragma, value in pragmas.items():
                conn.execute(f"PRAGMA {pragma}={value}")
        except sqlite3.Error:
            conn.close()
            raise
        conn.row_factory = sqlite3.Row
        return cls(client, conn)

    def rows(self, sql: str, values: list[Any]) -> list[dict[str, Any]] | None:
        if threading.get_ident() != self.thread:
            return None
        changes = self.conn.total_changes
        try:
            rows = [dict(row) for row in self.conn.execute(sql, values)]
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return None  # nothing was done: the statement is atomic
            raise
        if self.conn.total_changes != changes:
            self.writes += 1
            if self.writes >= CHECKPOINT_EVERY and self._checkpoint is None:
                self.writes = 0
                self._checkpoint = asyncio.get_running_loop().create_task(self._run_checkpoint())
        return rows

    async def _run_checkpoint(self) -> None:
        try:
            # PASSIVE: copies what it can without waiting for readers or writers.
            await self.client.execute_script("PRAGMA wal_checkpoint(PASSIVE)")
            self.checkpoints += 1
        except Exception:
            logger.exception("checkpoint of the write-ahead log failed; the next one will retry")
        finally:
            self._checkpoint = None

    async def idle(self) -> None:
        """Wait for a checkpoint under way."""
        if self._checkpoint is not None:
            await asyncio.shield(self._checkpoint)

    async def close(self) -> None:
        await self.idle()
        self.conn.close()


_DIRECT = "_convene_direct"


def direct_connection(client: Any) -> _Direct | None:
    """The loop-thread connection beside a Tortoise SQLite client (made on first use), or None:
    PostgreSQL (asyncpg has no thread to hop to), an in-memory database, or a transaction (whose
    statements must run on its own connection)."""
    if not isinstance(client, SqliteClient) or isinstance(client, TransactionalDBClient):
        return None
    if _DIRECT not in client.__dict__:
        client.__dict__[_DIRECT] = _Direct.open(client)
    return client.__dict__[_DIRECT]


async def close_db(ctx: TortoiseContext) -> None:
    """Close a database context's connections, the loop-thread one (if made) first."""
    if ctx.inited:
        direct = ctx.db().__dict__.pop(_DIRECT, None)
        if direct is not None:
            await direct.close()
    await ctx.close_connections()


# ---- Hand-written reads ----


class Statement:
    """A read on the hot path of every page view, written out once. Building a query costs
    Tortoise 0.3-1.5 ms here where running it costs SQLite 0.05 ms (bench/pages.py), and a signed-in
    page makes several; everywhere else, use Tortoise.

    The SQL is written with "?" placeholders (and no "?" anywhere else) and double-quoted names,
    which SQLite reads as written and PostgreSQL once the placeholders are numbered. Every value
    is bound, never formatted in; "(?...)" takes a list or tuple of values (never empty) and
    becomes one placeholder for each. `{alias}` stands for every column of the model given for
    that alias in `columns`, each read as "alias.column" (model_from_row makes the object again);
    Tortoise knows a model's columns only once it has started, so this is filled in on first use.
    It runs on the current context's connection, so inside `in_transaction()` on the
    transaction's. Rows come back as dicts; the columns named in `moments` hold datetimes and come
    back as Tortoise returns them (aware, in the configured time zone), whichever database stored
    them. Where the two databases need different SQL for one job, `postgres` gives PostgreSQL's: it
    takes the same values, and may number its placeholders itself ($1, $2, ...) to take them in
    another order or twice."""

    def __init__(
        self,
        sql: str,
        *,
        columns: dict[str, type[Model]] | None = None,
        moments: Iterable[str] = (),
        postgres: str | None = None,
    ) -> None:
        self._source = sql
        self._postgres = postgres
        self._columns = columns or {}
        self._lists = "(?...)" in sql
        self._sql: dict[tuple[str, tuple[int, ...]], str] = {}  # by dialect and list lengths
        self.moments = tuple(moments)

    def sql(self, dialect: str = "sqlite", lengths: tuple[int, ...] = ()) -> str:
        found = self._sql.get((dialect, lengths))
        if found is None:
            found = self._postgres if dialect != "sqlite" and self._postgres is not None else self._source
            for alias, model in self._columns.items():
                found = found.replace("{%s}" % alias, model_columns(model, alias))  # noqa: UP031
            for n in lengths:
                found = found.replace("(?...)", "(" + ", ".join("?" * n) + ")", 1)
            if dialect != "sqlite":
                counter = itertools.count(1)
                found = re.sub(r"\?", lambda _: f"${next(counter)}", found)
            if len(self._sql) < 256:  # list lengths vary; the common ones are kept
                self._sql[(dialect, lengths)] = found
        return found

    async def rows(self, *params: Any, at_once: bool = False) -> list[dict[str, Any]]:
        """The statement's rows. `at_once`: on SQLite, outside a transaction, run it on the event
        loop's own thread (_Direct), without waiting for Tortoise's connection thread; the same
        rows come back. Only for statements that take well under a millisecond, on the one path
        where that wait shows (a chat message's read and write, realtime/service.py)."""
        conn = default_db()
        lengths: tuple[int, ...] = ()
        values = list(params)
        if self._lists:
            lengths = tuple(len(p) for p in params if isinstance(p, list | tuple))
            values = [v for p in params for v in (p if isinstance(p, list | tuple) else (p,))]
        sql = self.sql(conn.capabilities.dialect, lengths)
        direct = direct_connection(conn) if at_once else None
        rows = direct.rows(sql, values) if direct is not None else None
        if rows is None:  # not at once, or the database was locked: wait for Tortoise's connection
            rows = await conn.execute_query_dict(sql, values)
        if self.moments:
            for row in rows:
                for name in self.moments:
                    row[name] = moment(row[name])
        return rows

    async def row(self, *params: Any, at_once: bool = False) -> dict[str, Any] | None:
        rows = await self.rows(*params, at_once=at_once)
        return rows[0] if rows else None


def moment(value: Any) -> datetime | None:
    """A datetime column's value as Tortoise's DatetimeField gives it (the project sets use_tz):
    SQLite hands back the text Tortoise stored (ISO 8601), PostgreSQL a datetime."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(value)
    zone = get_default_timezone()
    return value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)


def model_columns(model: type[Model], alias: str) -> str:
    """Every column of a model's table, as `"alias"."column" AS "alias.column"`."""
    return ", ".join(f'"{alias}"."{column}" AS "{alias}.{column}"' for column in model._meta.db_fields)


@cache
def _datetime_columns(model: type[Model]) -> frozenset[str]:
    meta = model._meta
    return frozenset(
        field.source_field or name
        for name, field in meta.fields_map.items()
        if isinstance(field, DatetimeField) and name in meta.fields_db_projection
    )


def model_from_row(model: type[M], row: dict[str, Any] | None, alias: str) -> M | None:
    """The model object a row holds under `alias` (`{alias}` in a Statement), built the way
    Tortoise builds the rows of its own queries; None for no row, or when an outer join found none.
    SQLite's datetimes (ISO 8601 text, as Tortoise wrote them) are read with the standard library's
    C parser first: Tortoise's own takes ten times as long, and a page builds dozens of rows."""
    meta = model._meta
    if row is None or row.get(f"{alias}.{meta.db_pk_column}") is None:
        return None
    values = {column: row[f"{alias}.{column}"] for column in meta.db_fields}
    for column in _datetime_columns(model):
        value = values[column]
        if isinstance(value, str):
            with suppress(ValueError):  # a form fromisoformat does not read: Tortoise will
                values[column] = datetime.fromisoformat(value)
    return model._init_from_db(**values)
