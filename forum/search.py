"""Full-text search over the threads and posts a viewer may read.

SQLite: an FTS5 table `post_search(title, body)` whose rowid is the post's id. It holds plain text
(the stored, sanitised HTML turned back into words), never HTML, so a snippet is built from plain
text and escaped before the matching words are wrapped in <mark>. The thread's title is indexed
with its opening post only. The service keeps it current: `index_post` after a post is written or
edited or shown again, `unindex_post` after it is hidden or deleted; `rebuild_search_index` fills
it from the posts table (the migration, and `convene search rebuild`).

PostgreSQL has no FTS5: the same search runs on to_tsvector('simple', ...) computed from the posts
table itself (so nothing needs indexing), ranked with ts_rank and highlighted with ts_headline.

Authorisation is in the SQL: only posts in groups the viewer may read (forum.groups.
list_readable_group_ids), never hidden or deleted ones, whatever the index holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from markupsafe import Markup, escape

from convene.db import default_db
from forum.groups import list_readable_group_ids
from forum.models import Post
from forum.search_query import SORT_DATE, SearchQuery, fts5_query

__all__ = [
    "SEARCH_SCHEMA_SQL",
    "SEARCH_DROP_SQL",
    "POSTGRES_SEARCH_SCHEMA_SQL",
    "SearchHit",
    "SearchPage",
    "SearchQuery",
    "create_search_schema",
    "index_post",
    "index_thread",
    "unindex_post",
    "rebuild_search_index",
    "search_posts",
]

# The DDL for the migration (RunSQL on SQLite, or RunPython(create_search_schema) on any database).
# remove_diacritics 2: "cafe" finds "café", "Lodz" finds "Łódź"'s decomposable letters.
SEARCH_SCHEMA_SQL: list[str] = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS post_search USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 2')",
]
SEARCH_DROP_SQL: list[str] = ["DROP TABLE IF EXISTS post_search"]
# PostgreSQL needs no table: its fallback reads the posts table directly (see _postgres_sql).
POSTGRES_SEARCH_SCHEMA_SQL: list[str] = []

PER_PAGE = 20
SNIPPET_TOKENS = 24
TITLE_WEIGHT, BODY_WEIGHT = 5.0, 1.0
_OPEN, _CLOSE = "\x02", "\x03"  # highlight markers: control characters never indexed (see _clean)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
     "tr", "td", "th", "table", "hr"}
)  # fmt: skip


class _TextOf(HTMLParser):
    """The words of sanitised HTML, with a space wherever a block ends so "<p>a</p><p>b</p>" is
    two words, not "ab". Character references are decoded (convert_charrefs)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    return _clean("".join(parser.parts))


def _clean(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def highlight_html(marked: str | None) -> Markup:
    """Plain text with _OPEN/_CLOSE around the matches -> safe HTML with <mark>. The text is
    escaped piece by piece; the only markup added is balanced <mark> elements."""
    out: list[str] = []
    open_ = False
    for piece in re.split(f"([{_OPEN}{_CLOSE}])", marked or ""):
        if piece == _OPEN:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif piece == _CLOSE:
            if open_:
                out.append("</mark>")
                open_ = False
        else:
            out.append(str(escape(piece)))
    if open_:
        out.append("</mark>")
    return Markup("".join(out))  # noqa: S704  every piece of text above was escaped


# ---- The connection and its dialect ----


def _connection(using_db: Any = None) -> Any:
    # Inside `in_transaction()` this is the transaction's connection, so an index write commits or
    # rolls back with the post it describes.
    return using_db if using_db is not None else default_db()


def _dialect(conn: Any) -> str:
    return str(conn.capabilities.dialect)


class _Params:
    """Placeholders for raw SQL: "?" on SQLite, "$1, $2, ..." on PostgreSQL (asyncpg)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.dialect == "postgres" else "?"

    def many(self, values: list[Any]) -> str:
        return ", ".join(self(v) for v in values)


async def create_search_schema(conn: Any = None) -> None:
    """Create what search needs on this database (idempotent)."""
    conn = _connection(conn)
    statements = POSTGRES_SEARCH_SCHEMA_SQL if _dialect(conn) == "postgres" else SEARCH_SCHEMA_SQL
    for statement in statements:
        await conn.execute_script(statement)


# ---- Keeping the index current ----


def _visible_filter() -> dict[str, Any]:
    # Hidden (forum/moderation.py) and deleted posts, and every post of a deleted thread
    # (forum/editing.py), are never searchable.
    return {"hidden_at": None, "deleted_at": None, "thread__deleted_at": None}


async def unindex_post(post_id: int, *, using_db: Any = None) -> None:
    """Take a post out of the index (hidden, deleted). A no-op on PostgreSQL."""
    conn = _connection(using_db)
    if _dialect(conn) == "sqlite":
        await conn.execute_query("DELETE FROM post_search WHERE rowid = ?", [post_id])


async def index_post(post_id: int, *, using_db: Any = None) -> None:
    """(Re-)index one post from its stored HTML: call after it is created or edited, shown again,
    or its thread renamed. A hidden or deleted post is taken out instead."""
    conn = _connection(using_db)
    if _dialect(conn) != "sqlite":
        return
    row = (
        await Post.filter(id=post_id, **_visible_filter())
        .using_db(conn)
        .first()
        .values("id", "number", "body_html", "thread__title")
    )
    await conn.execute_query("DELETE FROM post_search WHERE rowid = ?", [post_id])
    if row is None:
        return
    title = _clean(row["thread__title"]) if row["number"] == 1 else ""
    await conn.execute_query(
        "INSERT INTO post_search (rowid, title, body) VALUES (?, ?, ?)",
        [row["id"], title, html_to_text(row["body_html"])],
    )


async def index_thread(thread_id: int, *, using_db: Any = None) -> None:
    """After a thread is renamed: its title lives with its opening post."""
    opening = await Post.filter(thread_id=thread_id, number=1).using_db(_connection(using_db)).first()
    if opening is not None:
        await index_post(opening.id, using_db=using_db)


async def rebuild_search_index(conn: Any = None, *, batch: int = 500) -> int:
    """Refill the index from every visible post; returns how many were indexed. Raw SQL, so it
    also runs inside a migration, before the ORM is set up."""
    conn = _connection(conn)
    if _dialect(conn) != "sqlite":
        return 0
    await conn.execute_script("DELETE FROM post_search")
    columns = {row["name"] for row in await conn.execute_query_dict("PRAGMA table_info(posts)")}
    # The migration that creates the index may run before the one adding these columns.
    thread_columns = {row["name"] for row in await conn.execute_query_dict("PRAGMA table_info(threads)")}
    deleted = " AND p.deleted_at IS NULL" if "deleted_at" in columns else ""
    deleted += " AND t.deleted_at IS NULL" if "deleted_at" in thread_columns else ""
    hidden = " AND p.hidden_at IS NULL" if "hidden_at" in columns else ""
    select = (
        # Only constant fragments are joined in: the values travel as parameters.
        "SELECT p.id, p.number, p.body_html, t.title FROM posts p JOIN threads t ON t.id = p.thread_id"  # noqa: S608
        f" WHERE p.id > ?{hidden}{deleted} ORDER BY p.id LIMIT ?"
    )
    done, last_id = 0, 0
    while True:
        rows = await conn.execute_query_dict(select, [last_id, batch])
        if not rows:
            return done
        for row in rows:
            title = _clean(row["title"]) if row["number"] == 1 else ""
            await conn.execute_query(
                "INSERT INTO post_search (rowid, title, body) VALUES (?, ?, ?)",
                [row["id"], title, html_to_text(row["body_html"])],
            )
        done += len(rows)
        last_id = rows[-1]["id"]


# ---- Searching ----


@dataclass
class SearchHit:
    post_id: int
    number: int
    thread_id: int
    thread_title: str
    title_html: Markup
    snippet_html: Markup
    group_slug: str
    group_name: str
    author_username: str | None
    author_name: str | None
    created_at: datetime
    score: float

    @property
    def url(self) -> str:
        return f"/g/{self.group_slug}/t/{self.thread_id}/p/{self.number}"


@dataclass
class SearchPage:
    query: SearchQuery
    hits: list[SearchHit]
    page: int
    pages: int
    total: int
    per_page: int = PER_PAGE

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _filters(sql: _Params, query: SearchQuery, readable: list[int] | None) -> str:
    where = ["p.hidden_at IS NULL", "p.deleted_at IS NULL", "t.deleted_at IS NULL"]
    if readable is not None:
        where.append(f"t.group_id IN ({sql.many(readable)})")
    if query.group:
        where.append(f"g.slug = {sql(query.group)}")
    if query.author:
        where.append(f"u.username = {sql(query.author)}")
    if query.since is not None:
        where.append(f"p.created_at >= {sql(query.since_at)}")
    if query.until is not None:
        where.append(f"p.created_at < {sql(query.until_at)}")
    return " AND ".join(where)


_SELECT = (
    "p.id AS post_id, p.number, p.thread_id, p.created_at, t.title AS thread_title,"
    " g.slug AS group_slug, g.name AS group_name, u.username AS author_username, u.name AS author_name"
)
_JOINS = (
    "JOIN threads t ON t.id = p.thread_id JOIN groups g ON g.id = t.group_id"
    " LEFT JOIN users u ON u.id = p.author_id"
)


# Each builder returns (select, its parameters, count, its parameters).
_Queries = tuple[str, list[Any], str, list[Any]]


def _sqlite_sql(query: SearchQuery, readable: list[int] | None, match: str) -> _Queries:
    sql = _Params("sqlite")
    # "?" placeholders bind in the order they appear: the MATCH comes first in the text.
    matching = f"post_search MATCH {sql(match)}"
    where = f"{matching} AND {_filters(sql, query, readable)}"
    base = f"FROM post_search JOIN posts p ON p.id = post_search.rowid {_JOINS} WHERE {where}"
    order = "p.created_at DESC, p.id DESC" if query.sort == SORT_DATE else "score, p.created_at DESC"
    select = (
        f"SELECT {_SELECT},"
        f" snippet(post_search, 1, char(2), char(3), '…', {SNIPPET_TOKENS}) AS snippet,"
        " highlight(post_search, 0, char(2), char(3)) AS title_marked,"
        f" bm25(post_search, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS score {base} ORDER BY {order}"
    )
    return select, sql.values, f"SELECT count(*) AS n {base}", sql.values


# The document a post is searched as on PostgreSQL: its thread's title (opening post only, weighted
# higher) and its Markdown source, with the 'simple' configuration: no language's stemming is
# right for a multilingual network. Computed per query, without an index: a fallback that is
# correct first; a site large enough to need more can add a stored tsvector column.
_PG_DOCUMENT = (
    "(setweight(to_tsvector('simple', CASE WHEN p.number = 1 THEN t.title ELSE '' END), 'A')"
    " || setweight(to_tsvector('simple', p.body), 'D'))"
)


def _postgres_sql(query: SearchQuery, readable: list[int] | None) -> _Queries:
    sql = _Params("postgres")
    q = sql(query.q)
    tsq = f"websearch_to_tsquery('simple', {q})"
    filters = _filters(sql, query, readable)
    counted = list(sql.values)  # the count needs no highlighting options, and asyncpg wants exactly its own
    options = sql(f"StartSel={_OPEN}, StopSel={_CLOSE}, MaxWords=35, MinWords=15")
    whole = sql(f"StartSel={_OPEN}, StopSel={_CLOSE}, HighlightAll=true")  # a title is shown whole
    base = f"FROM posts p {_JOINS} WHERE {_PG_DOCUMENT} @@ {tsq} AND {filters}"
    order = "p.created_at DESC, p.id DESC" if query.sort == SORT_DATE else "score DESC, p.created_at DESC"
    select = (
        f"SELECT {_SELECT}, ts_headline('simple', p.body, {tsq}, {options}) AS snippet,"
        f" CASE WHEN p.number = 1 THEN ts_headline('simple', t.title, {tsq}, {whole}) ELSE '' END"
        f" AS title_marked, ts_rank({_PG_DOCUMENT}, {tsq}) AS score {base} ORDER BY {order}"
    )
    return select, sql.values, f"SELECT count(*) AS n {base}", counted


def _hit(row: dict[str, Any]) -> SearchHit:
    created = row["created_at"]
    if isinstance(created, str):  # SQLite hands back the stored text
        created = datetime.fromisoformat(created)
    title_marked = row["title_marked"] or ""
    return SearchHit(
        post_id=row["post_id"],
        number=row["number"],
        thread_id=row["thread_id"],
        thread_title=row["thread_title"],
        title_html=highlight_html(title_marked) if title_marked else escape(row["thread_title"]),
        snippet_html=highlight_html(row["snippet"]),
        group_slug=row["group_slug"],
        group_name=row["group_name"],
        author_username=row["author_username"],
        author_name=row["author_name"],
        created_at=created,
        score=float(row["score"] or 0),
    )


async def search_posts(viewer: Any, query: SearchQuery) -> SearchPage:
    """One page of the posts matching `query` that `viewer` may read, best (or newest) first."""
    readable = await list_readable_group_ids(viewer)
    empty = SearchPage(query=query, hits=[], page=1, pages=1, total=0)
    if readable is not None and not readable:
        return empty
    conn = _connection()
    if _dialect(conn) == "postgres":
        select, params, count, count_params = _postgres_sql(query, readable)
    else:
        match = fts5_query(query.q)
        if match is None:
            return empty
        select, params, count, count_params = _sqlite_sql(query, readable, match)
    total = (await conn.execute_query_dict(count, count_params))[0]["n"]
    pages = max(1, -(-total // PER_PAGE))
    page = min(query.page, pages)
    limits = f" LIMIT {PER_PAGE} OFFSET {(page - 1) * PER_PAGE}"  # integers we computed, not input
    rows = await conn.execute_query_dict(select + limits, params)
    return SearchPage(query=query, hits=[_hit(r) for r in rows], page=page, pages=pages, total=total)


async def migrate_search_forward(apps: Any, schema_editor: Any) -> None:
    """For a migration's RunPython: create the search table on this database and fill it."""
    await create_search_schema(schema_editor.client)
    await rebuild_search_index(schema_editor.client)


async def migrate_search_backward(apps: Any, schema_editor: Any) -> None:
    if _dialect(schema_editor.client) == "sqlite":
        for statement in SEARCH_DROP_SQL:
            await schema_editor.client.execute_script(statement)
