"""What the digest reads from the forum's own bookkeeping, in bulk: notification rows (mentions
and replies, forum/notifications.py) and read state (forum/unread.py: ThreadRead marks and the
"everything before this counts as read" floor). The rules are the forum's; this module only loads
them for many members at once, which the forum's per-viewer functions are not made for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from digest.window import chunks
from forum.models import Notification, ReadMark, ThreadRead
from forum.notifications import list_mention_rows

NOTIFICATION_COLUMNS = (
    "id", "user_id", "kind", "created_at", "read_at", "post_id", "thread_id", "post__number",
    "post__body_html", "post__deleted_at", "post__hidden_at", "thread__deleted_at", "thread__title",
    "thread__group_id", "thread__group__slug", "actor__name",
)  # fmt: skip


def _normal(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "user_id": row["user_id"],
        "kind": str(row["kind"]),
        "created_at": row["created_at"],
        "read": row["read_at"] is not None,
        # The forum's own rule for showing a notification: the post and its thread still exist
        # and are not hidden. The group is the thread's (a thread may have moved).
        "visible": row["post__deleted_at"] is None
        and row["post__hidden_at"] is None
        and row["thread__deleted_at"] is None,
        "post_id": row["post_id"],
        "thread_id": row["thread_id"],
        "group_id": row["thread__group_id"],
        "group_slug": row["thread__group__slug"],
        "number": row["post__number"],
        "thread_title": row["thread__title"],
        "author_name": row["actor__name"] or "",
        "at": row["created_at"],
        "body_html": row["post__body_html"],
    }


async def mention_rows(user_ids: list[int], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Mentions of these members written in [start, end), still visible (the forum's own query,
    forum.notifications.list_mention_rows). Those already opened on the site are left out by the
    composer, from read_notifications."""
    found: list[dict[str, Any]] = []
    for ids in chunks(user_ids):
        found += await list_mention_rows(ids, start, end)
    return found


async def read_notifications(user_ids: list[int], start: datetime) -> set[tuple[int, int]]:
    """(member, post) pairs whose notification the member has opened on the site since `start`."""
    found: set[tuple[int, int]] = set()
    for ids in chunks(user_ids):
        rows = await Notification.filter(
            user_id__in=ids, created_at__gte=start, read_at__not_isnull=True
        ).values_list("user_id", "post_id")
        found.update((u, p) for u, p in rows)
    return found


async def recent_notifications(after_id: int, since: datetime) -> list[dict[str, Any]]:
    """Mention and reply notifications with an id above `after_id` created since `since`, oldest
    first (the id range uses the primary key: a pass reads only what is new)."""
    rows = (
        await Notification.filter(id__gt=after_id, created_at__gte=since)
        .order_by("id")
        .values(*NOTIFICATION_COLUMNS)
    )
    return [_normal(r) for r in rows]


async def settled_before(since: datetime) -> int:
    """The highest notification id created before `since` (where a new cursor starts)."""
    found = await Notification.filter(created_at__lt=since).order_by("-id").first().values("id")
    return found["id"] if found else 0


async def forum_read_marks(user_ids: list[int], since: datetime) -> dict[tuple[int, int], int]:
    """(member, thread) -> the last post number shown to the member, for marks moved since `since`
    (an older mark cannot cover anything written after it)."""
    marks: dict[tuple[int, int], int] = {}
    for ids in chunks(user_ids):
        rows = await ThreadRead.filter(user_id__in=ids, updated_at__gte=since).values_list(
            "user_id", "thread_id", "last_read_number"
        )
        marks.update({(u, t): n for u, t, n in rows})
    return marks


async def read_floors(members: dict[int, datetime]) -> dict[int, datetime]:
    """member -> the moment before which everything counts as read for them: their "mark
    everything read", else their account's creation (the forum's rule, forum/unread.py)."""
    floors = dict(members)
    for ids in chunks(list(members)):
        for uid, at in await ReadMark.filter(user_id__in=ids).values_list("user_id", "all_read_at"):
            floors[uid] = at
    return floors
