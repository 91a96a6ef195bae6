"""In-site notifications: someone mentioned you, or replied to one of your posts.

They are written in the same transaction as the post that causes them (a rolled-back post tells
no one), at most one per member and post (the table's unique key does the refusing), and only to
members who may read the thread: a mention of someone outside a private group notifies no one.
Reading them is checked again at read time, so a member who has since left a private group, or
whose notification points at a post that was deleted or hidden, never sees it in their list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise.expressions import Q, RawSQL, Subquery

from convene.clock import Clock
from convene.db import Statement
from convene.errors import NotAuthenticated, NotFound
from convene.markup import plain_text
from forum.access import GroupAccess, Need, effective_actor
from forum.models import (
    Group,
    Membership,
    MembershipStatus,
    Notification,
    NotificationKind,
    Post,
    Thread,
    Visibility,
)
from forum.schemas import Pagination
from members.models import User, UserStatus

NOTIFICATIONS_PER_PAGE = 30
EXCERPT_CHARS = 160
COLUMNS = (
    "id", "kind", "created_at", "read_at", "post_id", "thread_id",
    "actor_id", "actor__username", "actor__name",
    "post__number", "post__body", "thread__title", "thread__group__slug", "thread__group__name",
)  # fmt: skip


# ---- Writing ----


async def do_notify_post(
    post: Post,
    *,
    thread: Thread,
    group: Group,
    actor: User | None,
    mentioned_ids: Iterable[int] = (),
    parent_author_id: int | None = None,
    clock: Clock,
    using_db: Any = None,
) -> int:
    """Notify the members a post mentions, and the author of the post it answers. Call inside
    the transaction that writes the post. Returns how many new notifications were written."""
    actor_id = actor.id if actor is not None else None
    kinds: dict[int, NotificationKind] = {
        uid: NotificationKind.MENTION for uid in mentioned_ids if uid != actor_id
    }
    if parent_author_id is not None and parent_author_id != actor_id:
        kinds.setdefault(parent_author_id, NotificationKind.REPLY)
    if not kinds:
        return 0
    readers = await _readers(group, list(kinds), using_db)
    if not readers:
        return 0
    already = set(
        await Notification.filter(post_id=post.id, user_id__in=readers)
        .using_db(using_db)
        .values_list("user_id", flat=True)
    )
    now = clock.now()
    rows = [
        Notification(
            user_id=uid,
            kind=kinds[uid],
            actor_id=actor_id,
            group_id=group.id,
            thread_id=thread.id,
            post_id=post.id,
            created_at=now,
        )
        for uid in readers
        if uid not in already
    ]
    if rows:
        # ignore_conflicts: a concurrent edit may have just written the same (member, post).
        await Notification.bulk_create(rows, ignore_conflicts=True, using_db=using_db)
    return len(rows)


async def _readers(group: Group, user_ids: list[int], using_db: Any) -> list[int]:
    """Those of `user_ids` who may read the group's threads: the same rule as the pages."""
    users = await User.filter(id__in=user_ids, status=UserStatus.ACTIVE).using_db(using_db)
    memberships = {
        m.user_id: m  # type: ignore[attr-defined]
        for m in await Membership.filter(group_id=group.id, user_id__in=user_ids).using_db(using_db)
    }
    return [u.id for u in users if GroupAccess(u, group, memberships.get(u.id)).allows(Need.READ_THREAD)]


# ---- Reading ----


def _readable(user: User) -> Q:
    """Notifications whose post the member may read now: still in a group they can read (checked
    through the thread, which may have moved), not deleted, not hidden."""
    visible = Q(thread__deleted_at=None, post__deleted_at=None, post__hidden_at=None)
    if user.is_admin:
        return visible
    member_of = Subquery(
        Membership.filter(user_id=user.id, status=MembershipStatus.ACTIVE).values("group_id")
    )
    open_groups = [Visibility.PUBLIC.value, Visibility.MEMBERS.value]
    return visible & (Q(thread__group__visibility__in=open_groups) | Q(thread__group_id__in=member_of))


def _actor(viewer: Any) -> User:
    actor = effective_actor(viewer)
    if actor is None:
        raise NotAuthenticated("Please sign in to see your notifications.")
    return actor


# The header's count on every page a member views: _readable written out, since Tortoise took
# 1.4 ms to build this query and SQLite 0.05 ms to answer it (bench/pages.py).
_COUNT_UNREAD = Statement("""
    SELECT COUNT(*) AS "n" FROM "notifications" n
    LEFT JOIN "threads" t ON t."id" = n."thread_id"
    LEFT JOIN "posts" p ON p."id" = n."post_id"
    LEFT JOIN "groups" g ON g."id" = t."group_id"
    WHERE n."user_id" = ? AND n."read_at" IS NULL
      AND t."deleted_at" IS NULL AND p."deleted_at" IS NULL AND p."hidden_at" IS NULL
      AND (g."visibility" IN (?, ?) OR t."group_id" IN (
          SELECT "group_id" FROM "memberships" WHERE "user_id" = ? AND "status" = ?))
""")
_COUNT_UNREAD_FOR_ADMIN = Statement("""
    SELECT COUNT(*) AS "n" FROM "notifications" n
    LEFT JOIN "threads" t ON t."id" = n."thread_id"
    LEFT JOIN "posts" p ON p."id" = n."post_id"
    WHERE n."user_id" = ? AND n."read_at" IS NULL
      AND t."deleted_at" IS NULL AND p."deleted_at" IS NULL AND p."hidden_at" IS NULL
""")


async def count_unread_notifications(viewer: Any) -> int:
    """Unread notifications the member may still read: one COUNT query (the header shows it)."""
    actor = effective_actor(viewer)
    if actor is None:
        return 0
    if actor.is_admin:
        row = await _COUNT_UNREAD_FOR_ADMIN.row(actor.id)
    else:
        open_groups = (Visibility.PUBLIC.value, Visibility.MEMBERS.value)
        row = await _COUNT_UNREAD.row(actor.id, *open_groups, actor.id, MembershipStatus.ACTIVE.value)
    return int(row["n"]) if row else 0


def _row(row: dict[str, Any]) -> dict[str, Any]:
    slug = row.pop("thread__group__slug")
    row["group_slug"] = slug
    row["group_name"] = row.pop("thread__group__name")
    row["number"] = row.pop("post__number")
    row["excerpt"] = plain_text(row.pop("post__body"), EXCERPT_CHARS)
    row["url"] = f"/g/{slug}/t/{row['thread_id']}/p/{row['number']}"
    row["read"] = row["read_at"] is not None
    return row


async def list_notifications(
    viewer: Any, *, page: int = 1, unread_only: bool = False
) -> tuple[list[dict[str, Any]], Pagination, int]:
    """(a page of notifications, unread first then newest; pagination; unread count)."""
    actor = _actor(viewer)
    query = Notification.filter(user_id=actor.id).filter(_readable(actor))
    unread = await query.filter(read_at=None).count()
    total = unread if unread_only else await query.count()
    if unread_only:
        query = query.filter(read_at=None)
    pagination = Pagination.clamp(page, NOTIFICATIONS_PER_PAGE, total)
    rows = (
        # Raw CASE: a parameterised one gives PostgreSQL constants of unknown (text) type.
        await query.annotate(unread=RawSQL('CASE WHEN "notifications"."read_at" IS NULL THEN 1 ELSE 0 END'))
        .order_by("-unread", "-created_at", "-id")
        .offset(pagination.offset)
        .limit(pagination.per_page)
        .values(*COLUMNS)
    )
    return [_row(r) for r in rows], pagination, unread


async def do_mark_notifications_read(viewer: Any, *, clock: Clock, ids: Iterable[int] | None = None) -> int:
    """Mark the member's notifications read: these ids, or all of them. Returns how many changed."""
    actor = _actor(viewer)
    query = Notification.filter(user_id=actor.id, read_at=None)
    if ids is not None:
        wanted = list(ids)
        if not wanted:
            return 0
        query = query.filter(id__in=wanted)
    return await query.update(read_at=clock.now())


async def do_open_notification(viewer: Any, notification_id: int, *, clock: Clock) -> str:
    """Mark one notification read and return where its post is. Someone else's notification, or
    one whose post the member can no longer read, does not exist."""
    actor = _actor(viewer)
    row = (
        await Notification.filter(id=notification_id, user_id=actor.id)
        .filter(_readable(actor))
        .first()
        .values(*COLUMNS)
    )
    if row is None:
        raise NotFound("That notification is gone: the post may have been deleted or moved out of reach.")
    if row["read_at"] is None:
        await Notification.filter(id=notification_id).update(read_at=clock.now())
    return _row(row)["url"]


# ---- The count in the header ----


class NotificationCountMiddleware:
    """Puts the signed-in member's unread count in request.state.notification_count for HTML
    pages (base.html shows it), with one COUNT query; API, static files and WebSockets skip it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path: str = scope["path"]
            user = scope.get("user")
            if (
                getattr(user, "is_authenticated", False)
                and not path.startswith(("/api/", "/static/", "/ws", "/healthz"))
                and not path.endswith((".atom", ".xml", ".json", ".csv"))
            ):
                request = Request(scope)
                accept = request.headers.get("accept", "")
                if "text/html" in accept or "application/json" not in accept:
                    request.state.notification_count = await count_unread_notifications(user)
        await self.app(scope, receive, send)


# ---- For the digest (digest/forum_links.py) ----


async def list_recent_notifications(since: Any) -> list[dict[str, Any]]:
    """Mention and reply notifications created since `since`, oldest first, with what an email
    needs; "visible" is False when the post was deleted or hidden, or its thread deleted. Whether
    the member may still read the group is for the caller to check (it knows their groups)."""
    rows = (
        await Notification.filter(created_at__gte=since)
        .order_by("created_at", "id")
        .values(
            "id", "user_id", "kind", "created_at", "read_at", "group_id", "thread_id",
            "post__number", "post__body_html", "post__deleted_at", "post__hidden_at",
            "thread__title", "thread__deleted_at", "thread__group_id", "thread__group__slug",
            "actor__name",
        )
    )  # fmt: skip
    out = []
    for r in rows:
        visible = r["post__deleted_at"] is None and r["post__hidden_at"] is None
        visible = visible and r["thread__deleted_at"] is None
        out.append(
            {
                "id": r["id"],
                "user_id": r["user_id"],
                "kind": str(r["kind"]),
                "created_at": r["created_at"],
                "read": r["read_at"] is not None,
                "visible": visible,
                "group_id": r["thread__group_id"],  # where the thread is now, if it moved
                "group_slug": r["thread__group__slug"],
                "thread_id": r["thread_id"],
                "number": r["post__number"],
                "thread_title": r["thread__title"],
                "author_name": r["actor__name"] or "A former member",
                "body_html": r["post__body_html"] if visible else "",
            }
        )
    return out


async def list_mention_rows(user_ids: list[int], start: Any, end: Any) -> list[dict[str, Any]]:
    """Mentions of these members written in [start, end), for the digest: user_id, post_id,
    thread_id, group_id (where the thread is now), number, thread_title, author_name, at,
    body_html. Deleted or hidden posts and deleted threads are left out."""
    if not user_ids:
        return []
    rows = (
        await Notification.filter(
            user_id__in=user_ids, kind=NotificationKind.MENTION, created_at__gte=start, created_at__lt=end
        )
        .filter(thread__deleted_at=None, post__deleted_at=None, post__hidden_at=None)
        .order_by("created_at", "id")
        .values(
            "user_id", "post_id", "thread_id", "thread__group_id", "post__number", "thread__title",
            "actor__name", "created_at", "post__body_html",
        )
    )  # fmt: skip
    return [
        {
            "user_id": r["user_id"],
            "post_id": r["post_id"],
            "thread_id": r["thread_id"],
            "group_id": r["thread__group_id"],
            "number": r["post__number"],
            "thread_title": r["thread__title"],
            "author_name": r["actor__name"] or "A former member",
            "at": r["created_at"],
            "body_html": r["post__body_html"],
        }
        for r in rows
    ]
