"""Upgrading a real database: rows written under the FIRST migration of each app survive every later
migration, and the upgraded site serves them. Rows are written with raw SQL, in the columns the
first migrations created, exactly as an old installation would have them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as tortoise_migrate

from convene.db import APPS, migrate, tortoise_config
from convene.security import Passwords
from tests.conftest import Browserish, start_server

PASSWORD = "an old but good passphrase"


MIGRATIONS = Path(__file__).resolve().parents[2] / "convene" / "migrations"


def first_migration(label: str) -> str:
    return min(p.stem for p in (MIGRATIONS / label).glob("[0-9]*.py"))


async def migrate_to_first(url: str) -> None:
    """Each app at its first migration (members.0001_initial, forum.0001_initial, ...): the
    database of the oldest installation that can upgrade."""
    for label in APPS:
        ctx = TortoiseContext()
        with ctx:
            try:
                await tortoise_migrate(
                    config=tortoise_config(url), target=f"{label}.{first_migration(label)}"
                )
            finally:
                await ctx.close_connections()


def applied(path) -> set[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        table = next(t for t in tables if "migration" in t)
        return {(r[0], r[1]) for r in db.execute(f"SELECT app, name FROM {table}")}  # noqa: S608


def stamp(dt: datetime) -> str:
    return dt.isoformat(sep=" ")


def insert_old_rows(path, when: datetime) -> None:
    password_hash = Passwords(1, 8192).hash(PASSWORD)
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO users (id, email, username, name, password_hash, role, status, organisation, "
            "organisation_type, country, bio, bio_html, locale, timezone, terms_accepted_at, created_at, "
            "last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (7, "veteran@example.org", "veteran", "Vera Veteran", password_hash, "moderator", "active",
             "Old Town Council", "local_government", "DK", "Here since *day one*.",
             "<p>Here since <em>day one</em>.</p>", "", "Europe/Copenhagen", stamp(when), stamp(when), None),
        )  # fmt: skip
        db.execute(
            "INSERT INTO groups (id, slug, name, description, description_html, visibility, created_by_id, "
            "created_at, thread_count, member_count, last_activity_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (3, "old-timers", "Old timers", "From **before**.", "<p>From <strong>before</strong>.</p>",
             "public", 7, stamp(when), 1, 1, stamp(when)),
        )  # fmt: skip
        db.execute(
            "INSERT INTO memberships (id, group_id, user_id, role, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (11, 3, 7, "moderator", "active", stamp(when)),
        )
        db.execute(
            "INSERT INTO threads (id, group_id, title, author_id, created_at, last_post_at, post_count) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (5, 3, "Winter clothing drives that worked", 7, stamp(when), stamp(when), 1),
        )
        db.execute(
            "INSERT INTO posts (id, thread_id, number, author_id, parent_id, body, body_html, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (13, 5, 1, 7, None, "We sorted coats by **size**, not by donor.",
             "<p>We sorted coats by <strong>size</strong>, not by donor.</p>", stamp(when)),
        )  # fmt: skip
        # The group's chat, one message in: its room, the message and its log entry.
        db.execute(
            "INSERT INTO rt_rooms (key, last_seq, slow_mode_seconds, created_at) VALUES (?, ?, ?, ?)",
            ("group:3", 1, 0, stamp(when)),
        )
        db.execute(
            "INSERT INTO rt_messages (id, room, seq, author_id, client_key, body, body_html, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (21, "group:3", 1, 7, "old-1", "Coats first, then boots.", "<p>Coats first, then boots.</p>",
             stamp(when)),
        )  # fmt: skip
        db.execute(
            "INSERT INTO rt_events (room, seq, kind, message_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            ("group:3", 1, "message", 21, "{}", stamp(when)),
        )


async def test_rows_from_the_first_migration_survive_the_upgrade(tmp_path):
    path = tmp_path / "convene.sqlite3"
    url = f"sqlite://{path}"
    await migrate_to_first(url)
    firsts = {(label, first_migration(label)) for label in APPS}
    assert firsts <= applied(path)
    assert ("members", "0001_initial") in firsts and ("forum", "0001_initial") in firsts

    when = datetime.now(UTC).replace(microsecond=0) - timedelta(days=400)
    insert_old_rows(path, when)

    await migrate(url)  # to the head of every app, as `convene migrate` and start-up do
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT email, name, role FROM users WHERE id = 7").fetchone() == (
            "veteran@example.org", "Vera Veteran", "moderator",
        )  # fmt: skip
        assert db.execute("SELECT slug, thread_count FROM groups WHERE id = 3").fetchone() == (
            "old-timers",
            1,
        )
        assert db.execute("SELECT role FROM memberships WHERE id = 11").fetchone() == ("moderator",)
        assert db.execute("SELECT title FROM threads WHERE id = 5").fetchone() == (
            "Winter clothing drives that worked",
        )
        assert db.execute("SELECT body FROM posts WHERE id = 13").fetchone() == (
            "We sorted coats by **size**, not by donor.",
        )

    server = start_server(tmp_path, database_url=url)
    try:
        async with httpx.AsyncClient(base_url=server.url) as anonymous:
            page = await anonymous.get("/g/old-timers/t/5")
            api = await anonymous.get("/api/v1/threads/5")
            group = await anonymous.get("/g/old-timers")
        async with Browserish(server.url) as browser:
            signed = await browser.post_form("/login", {"email": "veteran@example.org", "password": PASSWORD})
            me = await browser.get("/api/v1/me")
            # The chat goes on from where it was: the next message is number 2, with its log entry.
            said = await browser.post_form("/g/old-timers/chat", {"body": "Boots by size too."})
            chat = await browser.get("/g/old-timers/chat")
    finally:
        server.stop()
    assert said.status_code == 303
    assert chat.status_code == 200
    assert chat.text.index("Coats first, then boots.") < chat.text.index("Boots by size too.")
    with sqlite3.connect(path) as db:
        assert db.execute(
            "SELECT e.seq, m.body FROM rt_events e JOIN rt_messages m ON m.id = e.message_id "
            "WHERE e.room = 'group:3' ORDER BY e.seq"
        ).fetchall() == [(1, "Coats first, then boots."), (2, "Boots by size too.")]
        assert db.execute("SELECT last_seq FROM rt_rooms WHERE key = 'group:3'").fetchone() == (2,)
    assert page.status_code == 200
    assert "Winter clothing drives that worked" in page.text
    assert "We sorted coats by <strong>size</strong>, not by donor." in page.text
    assert "Vera Veteran" in page.text
    assert api.status_code == 200
    assert "Winter clothing drives that worked" in api.text
    assert group.status_code == 200 and "Old timers" in group.text
    assert signed.status_code == 303
    assert me.json()["username"] == "veteran"
    assert me.json()["organisation"] == "Old Town Council"


def index_columns(path) -> dict[str, set[tuple[str, ...]]]:
    """Every index of every table (its columns, in order), by table."""
    with sqlite3.connect(path) as db:
        found: dict[str, set[tuple[str, ...]]] = {}
        for name, table in db.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"):
            columns = tuple(row[2] for row in db.execute(f"PRAGMA index_info('{name}')"))
            found.setdefault(table, set()).add(columns)
        return found


async def test_a_migrated_database_has_every_index_the_models_declare(tmp_path):
    """The migrations must build what the models describe. On SQLite, Tortoise carries out some
    operations (RemoveField, AlterField) by rebuilding the table, without its indexes and triggers:
    digest.0002_email lost the outbox's three indexes this way until digest.0003 made them again.
    Compared with a schema Tortoise generates straight from the models."""
    migrated, generated = tmp_path / "migrated.sqlite3", tmp_path / "generated.sqlite3"
    await migrate(f"sqlite://{migrated}")
    ctx = TortoiseContext()
    with ctx:
        try:
            await ctx.init(config=tortoise_config(f"sqlite://{generated}"))
            await ctx.generate_schemas()
        finally:
            await ctx.close_connections()
    have, want = index_columns(migrated), index_columns(generated)
    missing = {table: want[table] - have.get(table, set()) for table in want}
    assert {table: columns for table, columns in missing.items() if columns} == {}
    assert ("status", "next_attempt_at") in have["outbox"]
    # And the trigger that writes a chat message's log entry (realtime.0002) is there.
    with sqlite3.connect(migrated) as db:
        assert db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'rt_messages'"
        ).fetchall() == [("rt_messages_log",)]
