"""What happened to one member in particular, loaded for a batch of members at once: replies to
their posts, mentions of them (the forum's notification rows), and what they have already read on
the site (the forum's read marks and floor, and their own posts), which the digest leaves out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.functions import Max

from digest.forum_links import forum_read_marks, mention_rows, read_floors, read_notifications
from digest.window import chunks, excerpt
from forum.models import Post


@dataclass
class PersonalItem:
    kind: str  # "reply" | "mention"
    post_id: int
    thread_id: int
    group_id: int
    number: int
    thread_title: str
    author_name: str
    at: datetime
    excerpt: str
    group_slug: str = ""  # filled by the composer, which knows every group
    group_name: str = ""


REPLY_COLUMNS = (
    "id", "number", "thread_id", "author_id", "author__name", "parent_id", "parent__author_id",
    "thread__author_id", "thread__title", "thread__group_id", "created_at", "body_html",
)  # fmt: skip


async def load_replies(user_ids: list[int], start: datetime, end: datetime) -> dict[int, list[PersonalItem]]:
    """Replies to each member's posts written in [start, end): a post whose parent is theirs, or a
    reply to the whole thread when they started it. Their own posts never count."""
    found: dict[int, list[PersonalItem]] = defaultdict(list)
    for ids in chunks(user_ids):
        rows = (
            await Post.filter(created_at__gte=start, created_at__lt=end, number__gt=1)
            .filter(hidden_at=None, deleted_at=None, thread__deleted_at=None)
            .filter(Q(parent__author_id__in=ids) | Q(parent_id=None, thread__author_id__in=ids))
            .values(*REPLY_COLUMNS)
        )
        for row in rows:
            to = row["parent__author_id"] if row["parent_id"] is not None else row["thread__author_id"]
            if to is None or to == row["author_id"]:
                continue
            found[to].append(
                PersonalItem(
                    kind="reply",
                    post_id=row["id"],
                    thread_id=row["thread_id"],
                    group_id=row["thread__group_id"],
                    number=row["number"],
                    thread_title=row["thread__title"],
                    author_name=row["author__name"] or "",
                    at=row["created_at"],
                    excerpt=excerpt(row["body_html"], 160),
                )
            )
    return found


async def load_mentions(user_ids: list[int], start: datetime, end: datetime) -> dict[int, list[PersonalItem]]:
    """Mentions of each member in [start, end), from the forum's notification rows."""
    rows = await mention_rows(user_ids, start, end)
    found: dict[int, list[PersonalItem]] = defaultdict(list)
    for row in rows:
        found[row["user_id"]].append(
            PersonalItem(
                kind="mention",
                post_id=row["post_id"],
                thread_id=row["thread_id"],
                group_id=row["group_id"],
                number=row["number"],
                thread_title=row["thread_title"],
                author_name=row["author_name"],
                at=row["at"],
                excerpt=excerpt(row["body_html"], 160),
            )
        )
    return found


@dataclass
class ReadState:
    """What a batch of members has read, by the forum's rules (forum/unread.py): a thread is read
    up to its ThreadRead mark; everything written before the member's floor counts as read; a
    notification opened on the site is read. Writing in a thread also means having read it."""

    marks: dict[tuple[int, int], int]
    floors: dict[int, datetime]
    opened: set[tuple[int, int]]

    def thread_read(self, uid: int, thread_id: int, last_number: int, last_at: datetime) -> bool:
        floor = self.floors.get(uid)
        return self.marks.get((uid, thread_id), 0) >= last_number or (floor is not None and last_at <= floor)

    def post_read(self, uid: int, item: PersonalItem) -> bool:
        return (uid, item.post_id) in self.opened or self.thread_read(
            uid, item.thread_id, item.number, item.at
        )


async def load_read_state(joined: dict[int, datetime], start: datetime) -> ReadState:
    """Read state for these members (id -> account creation) as it concerns posts since `start`."""
    user_ids = list(joined)
    marks: dict[tuple[int, int], int] = {}
    for ids in chunks(user_ids):
        rows = (
            # Up to now, not only the period: a post written since means everything before was seen.
            await Post.filter(author_id__in=ids, created_at__gte=start)
            .annotate(last=Max("number"))
            .group_by("author_id", "thread_id")
            .values("author_id", "thread_id", "last")
        )
        for row in rows:
            marks[(row["author_id"], row["thread_id"])] = row["last"]
    for key, number in (await forum_read_marks(user_ids, start)).items():
        if number > marks.get(key, 0):
            marks[key] = number
    return ReadState(marks, await read_floors(joined), await read_notifications(user_ids, start))
