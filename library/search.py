"""Full-text search over the library, following forum/search.py's pattern.

SQLite: an FTS5 table `resource_search(title, body)` whose rowid is the resource's id; `body` is
the description as plain text, the publishing organisation, the tags and the file name. The
service keeps it current inside the same transaction as the change (`index_resource`,
`unindex_resource`). Search returns matching ids best first; *which* of them a viewer may see is
decided afterwards by the same visibility filter as browsing (library/browse.py), so the index
never needs to know about groups.

The table is created and filled from the resources already there by the migration
library/0002_search (RunPython `migrate_search_forward`, like forum's 0002_search). A database
upgraded from a release without that migration may already hold the table, made on first use:
`IF NOT EXISTS` and the rebuild make the migration safe there too.

PostgreSQL has no FTS5: there the words are matched with ILIKE on title, description, publisher
and tags (library/browse.py), which is correct if not fast; a large site can add a tsvector.
"""

from __future__ import annotations

import json
from typing import Any

from convene.db import default_db
from forum.search import html_to_text
from forum.search_query import fts5_query

SEARCH_SCHEMA_SQL: list[str] = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS resource_search USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 2')",
]
SEARCH_DROP_SQL: list[str] = ["DROP TABLE IF EXISTS resource_search"]
MAX_HITS = 2000
TITLE_WEIGHT, BODY_WEIGHT = 5.0, 1.0

# Only constants are joined in; the words travel as a parameter.
_MATCH_SQL = (
    "SELECT rowid AS id FROM resource_search WHERE resource_search MATCH ?"  # noqa: S608
    f" ORDER BY bm25(resource_search, {TITLE_WEIGHT}, {BODY_WEIGHT}) LIMIT {MAX_HITS}"
)


def _connection(using_db: Any = None) -> Any:
    return using_db if using_db is not None else default_db()


def is_sqlite(conn: Any) -> bool:
    return str(conn.capabilities.dialect) == "sqlite"


def _document(row: dict[str, Any]) -> tuple[str, str]:
    tags = row.get("tags") or []
    if isinstance(tags, str):  # raw SQL hands JSON back as text
        tags = json.loads(tags or "[]")
    body = " ".join(
        part
        for part in (
            html_to_text(row.get("description_html") or ""),
            row.get("publisher") or "",
            " ".join(t.replace("-", " ") for t in tags),
            row.get("file_name") or "",
        )
        if part
    )
    return " ".join((row.get("title") or "").split()), body


async def _rebuild(conn: Any, batch: int = 500) -> int:
    await conn.execute_script("DELETE FROM resource_search")
    done, last_id = 0, 0
    while True:
        rows = await conn.execute_query_dict(
            "SELECT id, title, description_html, publisher, tags, file_name FROM library_resources"
            " WHERE id > ? ORDER BY id LIMIT ?",
            [last_id, batch],
        )
        if not rows:
            return done
        for row in rows:
            title, body = _document(row)
            await conn.execute_query(
                "INSERT INTO resource_search (rowid, title, body) VALUES (?, ?, ?)", [row["id"], title, body]
            )
        done += len(rows)
        last_id = rows[-1]["id"]


async def index_resource(resource: Any, *, using_db: Any = None) -> None:
    """(Re-)index one resource from its stored fields; call inside the transaction that wrote it."""
    conn = _connection(using_db)
    if not is_sqlite(conn):
        return
    title, body = _document(
        {
            "title": resource.title,
            "description_html": resource.description_html,
            "publisher": resource.publisher,
            "tags": resource.tags,
            "file_name": resource.file_name,
        }
    )
    await conn.execute_query("DELETE FROM resource_search WHERE rowid = ?", [resource.id])
    await conn.execute_query(
        "INSERT INTO resource_search (rowid, title, body) VALUES (?, ?, ?)", [resource.id, title, body]
    )


async def unindex_resource(resource_id: int, *, using_db: Any = None) -> None:
    conn = _connection(using_db)
    if not is_sqlite(conn):
        return
    await conn.execute_query("DELETE FROM resource_search WHERE rowid = ?", [resource_id])


async def matching_ids(text: str) -> list[int] | None:
    """Ids of the resources matching `text`, best first (at most MAX_HITS); None on a database
    without FTS5, where the caller filters with ILIKE instead."""
    conn = _connection()
    if not is_sqlite(conn):
        return None
    match = fts5_query(text)
    if match is None:
        return []
    rows = await conn.execute_query_dict(_MATCH_SQL, [match])
    return [row["id"] for row in rows]


async def migrate_search_forward(apps: Any, schema_editor: Any) -> None:
    """For a migration's RunPython: create the search table on this database and fill it."""
    conn = schema_editor.client
    if is_sqlite(conn):
        for statement in SEARCH_SCHEMA_SQL:
            await conn.execute_script(statement)
        await _rebuild(conn)


async def migrate_search_backward(apps: Any, schema_editor: Any) -> None:
    if is_sqlite(schema_editor.client):
        for statement in SEARCH_DROP_SQL:
            await schema_editor.client.execute_script(statement)
