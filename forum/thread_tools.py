"""Thread tools for a group's moderators (and admins): pin, lock, close on a date, rename, move.

Each tool checks Need.MODERATE in the thread's group (a moderator of one group has no say in
another), changes the thread in one transaction and writes an audit entry in that same
transaction (members/audit.py), so an action and its record stand or fall together.

A pinned thread is listed first on its group's page. A locked thread takes no new replies and
no members' edits; so does a thread whose closing date (closes_at) has passed: the injected
clock decides at each request (forum/access.py thread_is_locked), no job has to run. A rename
keeps the old title in the opening post's revisions. A move takes the thread, its posts and its
live room to another group the moderator also moderates; both groups' counters follow, and the
old addresses redirect to the new ones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from convene.api import validate
from convene.clock import Clock
from convene.errors import Conflict, Forbidden, Invalid, NotFound
from forum.access import GroupAccess, Need, get_access, thread_is_locked, thread_refusal
from forum.depth_schemas import CloseIn, MoveIn, RenameIn, ToolIn
from forum.editing import record_revision
from forum.models import (
    Group,
    GroupRole,
    Membership,
    MembershipStatus,
    Notification,
    Post,
    Thread,
    ThreadMove,
)
from members.audit import do_record_audit


def thread_state(thread: Thread, now: datetime) -> dict[str, Any]:
    """What the pages show about a thread's tools: pinned, locked (by hand or by date), closing."""
    closes_at = thread.closes_at
    return {
        "pinned": thread.pinned_at is not None,
        "locked": thread_is_locked(thread, now),
        "locked_by_hand": thread.locked_at is not None,
        "closed_by_date": thread.locked_at is None and closes_at is not None and closes_at <= now,
        "closes_at": closes_at,
        "closing": closes_at is not None and closes_at > now and thread.locked_at is None,
        "deleted": thread.deleted_at is not None,
    }


async def _audit(
    access: GroupAccess, action: str, thread: Thread, clock: Clock, conn: Any, **kw: Any
) -> None:
    await do_record_audit(
        access.actor,
        action,
        target_type="thread",
        target_id=thread.id,
        group_id=kw.pop("group_id", access.group.id),
        reason=kw.pop("reason", ""),
        data={"title": thread.title, **kw},
        clock=clock,
        using_db=conn,
    )


def _reason(reason: str) -> str:
    return validate(ToolIn, {"reason": reason}).reason


async def _set(
    access: GroupAccess,
    thread: Thread,
    action: str,
    changes: dict[str, Any],
    clock: Clock,
    reason: str,
    **data: Any,
) -> Thread:
    access.require(Need.MODERATE)
    async with in_transaction() as conn:
        await Thread.filter(id=thread.id).using_db(conn).update(**changes)
        for key, value in changes.items():
            setattr(thread, key, value)
        await _audit(access, action, thread, clock, conn, reason=reason, **data)
    return thread


async def do_pin_thread(access: GroupAccess, thread: Thread, *, clock: Clock, reason: str = "") -> Thread:
    access.require(Need.MODERATE)
    if thread.pinned_at is not None:
        raise Conflict("This thread is already pinned.")
    return await _set(access, thread, "thread.pin", {"pinned_at": clock.now()}, clock, _reason(reason))


async def do_unpin_thread(access: GroupAccess, thread: Thread, *, clock: Clock, reason: str = "") -> Thread:
    access.require(Need.MODERATE)
    if thread.pinned_at is None:
        raise Conflict("This thread is not pinned.")
    return await _set(access, thread, "thread.unpin", {"pinned_at": None}, clock, _reason(reason))


async def do_lock_thread(access: GroupAccess, thread: Thread, *, clock: Clock, reason: str = "") -> Thread:
    access.require(Need.MODERATE)
    if thread.locked_at is not None:
        raise Conflict("This thread is already locked.")
    return await _set(access, thread, "thread.lock", {"locked_at": clock.now()}, clock, _reason(reason))


async def do_unlock_thread(access: GroupAccess, thread: Thread, *, clock: Clock, reason: str = "") -> Thread:
    """Reopen a thread: locked by hand, or closed because its closing date has passed."""
    access.require(Need.MODERATE)
    now = clock.now()
    if not thread_is_locked(thread, now):
        raise Conflict("This thread is not locked.")
    changes: dict[str, Any] = {"locked_at": None}
    if thread.closes_at is not None and thread.closes_at <= now:
        changes["closes_at"] = None  # otherwise the passed date would keep it closed
    return await _set(access, thread, "thread.unlock", changes, clock, _reason(reason))


def _aware(value: datetime, timezone: str | None) -> datetime:
    """A date typed without a UTC offset is read in the member's own time zone."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return value.replace(tzinfo=zone).astimezone(UTC)


async def do_set_thread_closing(
    access: GroupAccess, thread: Thread, *, closes_at: Any, clock: Clock, reason: str = ""
) -> Thread:
    """Close the thread to replies after a moment (None: never). The moment must be ahead."""
    access.require(Need.MODERATE)
    data = validate(CloseIn, {"closes_at": closes_at})
    when = None if data.closes_at is None else _aware(data.closes_at, getattr(access.actor, "timezone", None))
    if when is not None and when <= clock.now():
        raise Invalid(fields={"closes_at": "Choose a moment in the future, or lock the thread now."})
    if when is None and thread.closes_at is None:
        raise Conflict("This thread has no closing date.")
    return await _set(
        access, thread, "thread.close_date", {"closes_at": when}, clock, _reason(reason),
        closes_at=when.isoformat() if when else None,
    )  # fmt: skip


async def do_rename_thread(
    access: GroupAccess, thread: Thread, *, title: str, clock: Clock, reason: str = ""
) -> Thread:
    """A new title; the old one stays in the opening post's revision history."""
    access.require(Need.MODERATE)
    data = validate(RenameIn, {"title": title, "reason": reason})
    if data.title == thread.title:
        return thread
    old, now = thread.title, clock.now()
    async with in_transaction() as conn:
        # Bumping the opening post's counter first takes its write lock (see forum/editing.py).
        await (
            Post.filter(thread_id=thread.id, number=1)
            .using_db(conn)
            .update(edit_count=F("edit_count") + 1, edited_at=now)
        )
        opening = await Post.get_or_none(thread_id=thread.id, number=1).using_db(conn)
        if opening is None:
            raise NotFound("This thread has no opening post.")
        await record_revision(
            opening, thread, body=opening.body, body_html=opening.body_html, title=data.title,
            editor=access.actor, reason=data.reason, now=now, using_db=conn,
        )  # fmt: skip
        await Thread.filter(id=thread.id).using_db(conn).update(title=data.title)
        thread.title = data.title
        from forum.search import index_post  # the title is searched with the opening post

        await index_post(opening.id, using_db=conn)
        await _audit(access, "thread.rename", thread, clock, conn, reason=data.reason, old_title=old)
    return thread


async def list_move_targets(access: GroupAccess) -> list[Group]:
    """The groups this moderator may move the thread to: the others they moderate (any, for admins)."""
    access.require(Need.MODERATE)
    if access.is_admin:
        return await Group.exclude(id=access.group.id).order_by("name")
    assert access.actor is not None
    ids = await Membership.filter(
        user_id=access.actor.id, role=GroupRole.MODERATOR, status=MembershipStatus.ACTIVE
    ).values_list("group_id", flat=True)
    return await Group.filter(id__in=list(ids)).exclude(id=access.group.id).order_by("name")


async def do_move_thread(
    access: GroupAccess, thread: Thread, *, group: str, clock: Clock, reason: str = ""
) -> Group:
    """Move a thread to another group the moderator moderates. Returns the new group."""
    access.require(Need.MODERATE)
    data = validate(MoveIn, {"group": group, "reason": reason})
    target = await Group.get_or_none(slug=data.group)
    if target is None:
        raise Invalid(fields={"group": "There is no group with that address."})
    if target.id == access.group.id:
        raise Invalid(fields={"group": "The thread is already in that group."})
    if not (await get_access(access.actor, target)).can_moderate:
        raise Forbidden("You can only move a thread to a group you moderate.")
    source = access.group
    async with in_transaction() as conn:
        moved = (
            await Thread.filter(id=thread.id, group_id=source.id).using_db(conn).update(group_id=target.id)
        )
        if not moved:
            raise Conflict("This thread has just been moved by someone else. Reload the page.")
        if thread.deleted_at is None:
            await Group.filter(id=source.id).using_db(conn).update(thread_count=F("thread_count") - 1)
            await Group.filter(id=target.id).using_db(conn).update(thread_count=F("thread_count") + 1)
        if target.last_activity_at is None or target.last_activity_at < thread.last_post_at:
            await Group.filter(id=target.id).using_db(conn).update(last_activity_at=thread.last_post_at)
        await ThreadMove.create(
            thread_id=thread.id, from_group_id=source.id, to_group_id=target.id,
            moved_by=access.actor, moved_at=clock.now(), using_db=conn,
        )  # fmt: skip
        # Notifications follow the thread (their readers are checked through it anyway).
        await Notification.filter(thread_id=thread.id).using_db(conn).update(group_id=target.id)
        await _audit(
            access, "thread.move", thread, clock, conn, reason=data.reason,
            from_group=source.slug, to_group=target.slug, to_group_id=target.id,
        )  # fmt: skip
    thread.group = target
    return target


async def get_current_thread_url(viewer: Any, thread_id: int, old_slug: str) -> str | None:
    """Where a thread moved out of the group `old_slug` lives now, if the viewer may read it
    there (its old addresses redirect); None otherwise: under any other group's address a
    thread does not exist."""
    if not await ThreadMove.exists(thread_id=thread_id, from_group__slug=old_slug):
        return None
    thread = await Thread.get_or_none(id=thread_id).select_related("group")
    if thread is None:
        return None
    access = await get_access(viewer, thread.group)
    if not access.allows(Need.READ_THREAD) or thread_refusal(access, thread, None, writing=False):
        return None
    return f"/g/{thread.group.slug}/t/{thread.id}"


async def list_deleted_threads(access: GroupAccess, *, limit: int = 100) -> list[dict[str, Any]]:
    """The group's deleted threads, most recently deleted first, for its moderators to restore."""
    access.require(Need.MODERATE)
    return (
        await Thread.filter(group_id=access.group.id, deleted_at__isnull=False)
        .order_by("-deleted_at", "-id")
        .limit(limit)
        .values("id", "title", "post_count", "created_at", "deleted_at", "author__name", "deleted_by__name")
    )
