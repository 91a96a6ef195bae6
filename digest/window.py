"""What happened in the forum during one period, for everyone: the threads started and the threads
that were active, per group. Loaded once per distinct period and shared by every member whose
digest covers that period (most members of one run share a handful of periods), so the cost of a
run grows with the activity, not with the number of members. Who may see what is decided per
member afterwards (digest/compose.py); nothing here is filtered by viewer.
"""

from __future__ import annotations

import html
import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from tortoise.functions import Count, Max

from forum.models import Group, Post, Thread

T = TypeVar("T")
CHUNK = 500  # ids per IN (...): well inside every database's parameter limit
EXCERPT_CHARS = 220
_TAGS = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|li|h[1-6]|blockquote|pre|div)>|<br\s*/?>", re.IGNORECASE)


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def excerpt(body_html: str, limit: int = EXCERPT_CHARS) -> str:
    """A one-paragraph plain-text excerpt of sanitised post HTML (for both parts of an email)."""
    text = html.unescape(_TAGS.sub("", _BLOCK_END.sub(" ", body_html or "")))
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"
    return text


@dataclass
class GroupInfo:
    id: int
    slug: str
    name: str
    visibility: str


@dataclass
class ThreadActivity:
    id: int
    group_id: int
    title: str
    author_id: int | None
    author_name: str
    created_at: datetime
    is_new: bool  # started during the period
    new_posts: int  # posts written during the period (visible ones)
    last_number: int  # the highest post number written during the period
    last_at: datetime
    excerpt: str = ""


@dataclass
class Window:
    start: datetime
    end: datetime
    by_group: dict[int, list[ThreadActivity]] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)  # digest/sources.py fills this lazily


async def load_groups() -> dict[int, GroupInfo]:
    rows = await Group.all().values("id", "slug", "name", "visibility")
    return {r["id"]: GroupInfo(r["id"], r["slug"], r["name"], str(r["visibility"])) for r in rows}


async def load_window(start: datetime, end: datetime) -> Window:
    window = Window(start, end)
    # One row per thread with visible posts in the period: how many, the last number, when.
    stats = (
        await Post.filter(created_at__gte=start, created_at__lt=end, hidden_at=None, deleted_at=None)
        .annotate(n=Count("id"), last=Max("number"), at=Max("created_at"))
        .group_by("thread_id")
        .values("thread_id", "n", "last", "at")
    )
    by_thread = {row["thread_id"]: row for row in stats}
    new_ids: list[int] = []
    for ids in chunks(list(by_thread)):
        rows = await Thread.filter(id__in=ids, deleted_at=None).values(
            "id", "group_id", "title", "author_id", "author__name", "created_at"
        )
        for row in rows:
            stat = by_thread[row["id"]]
            is_new = start <= row["created_at"] < end
            item = ThreadActivity(
                id=row["id"],
                group_id=row["group_id"],
                title=row["title"],
                author_id=row["author_id"],
                author_name=row["author__name"] or "",
                created_at=row["created_at"],
                is_new=is_new,
                new_posts=stat["n"],
                last_number=stat["last"],
                last_at=stat["at"],
            )
            window.by_group.setdefault(row["group_id"], []).append(item)
            if is_new:
                new_ids.append(row["id"])
    excerpts: dict[int, str] = {}
    for ids in chunks(new_ids):
        rows = await Post.filter(thread_id__in=ids, number=1, hidden_at=None, deleted_at=None).values(
            "thread_id", "body_html"
        )
        for row in rows:
            excerpts[row["thread_id"]] = excerpt(row["body_html"])
    for items in window.by_group.values():
        for item in items:
            item.excerpt = excerpts.get(item.id, "")
        # Newest first: the order every section of the digest shows.
        items.sort(key=lambda t: (t.last_at, t.id), reverse=True)
    return window


class WindowCache:
    """A few recent periods' activity, least recently used dropped first: memory stays bounded
    however many members a run composes for."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: OrderedDict[tuple[datetime, datetime], Window] = OrderedDict()

    async def get(self, start: datetime, end: datetime) -> Window:
        key = (start, end)
        window = self._items.get(key)
        if window is None:
            window = await load_window(start, end)
            self._items[key] = window
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return window
