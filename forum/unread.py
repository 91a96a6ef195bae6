"""Unread: what is new for a member since they last read, per thread and per group.

Two facts decide it. ThreadRead(user, thread) holds the highest post number shown to the member
on the thread's page. A floor (ReadMark.all_read_at, or the account's creation before any "mark
everything read") says everything written before it counts as read. So a thread is unread when
it has a post after the floor AND past the member's ThreadRead; its first unread post is the
later of "just after ThreadRead" and "the first post after the floor" (post numbers grow with
time, so the posts after the floor are exactly the highest numbers).

Costs: a group page asks one query for the page's ThreadRead rows and, when some listed thread
has posts after the floor that the member never saw, one grouped query for where those start.
Counts per group (threads with unread posts) are two grouped COUNTs, whatever the number of
groups: threads active since the floor, minus threads read to their last post. "Mark everything
read" moves the floor (one row); "mark this group read" writes ThreadRead rows for its threads
active since the floor, in bulk.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Count

from convene.clock import Clock
from convene.db import Statement
from convene.errors import NotAuthenticated
from forum.access import GroupAccess, Need, effective_actor
from forum.models import ReadMark, Thread, ThreadRead
from members.models import User

BATCH = 500  # rows per bulk statement when marking a busy group read


def _signed_in(actor: User | None) -> User:
    if actor is None:
        raise NotAuthenticated("Please sign in to keep track of what you have read.")
    return actor


# The reads every group and thread page makes for a signed-in member, written out (convene/db.py
# Statement): Tortoise took longer to build each than SQLite to answer it.
_FLOOR = Statement("""SELECT "all_read_at" FROM "read_marks" WHERE "user_id" = ?""", moments=("all_read_at",))
_READ_MARKS = Statement(
    """
    SELECT "thread_id", "last_read_number" FROM "thread_reads"
    WHERE "user_id" = ? AND "thread_id" IN (?...)
    """
)
_FIRST_AFTER = Statement(
    """
    SELECT "thread_id", MIN("number") AS "first" FROM "posts"
    WHERE "thread_id" IN (?...) AND "created_at" > ?
    GROUP BY "thread_id"
    """
)
# A thread page: the member's mark on the thread (NULL: none yet) and their floor, in one read.
_VISIT = Statement(
    """
    SELECT
        (SELECT "last_read_number" FROM "thread_reads" WHERE "user_id" = ? AND "thread_id" = ?)
            AS "last_read_number",
        (SELECT "all_read_at" FROM "read_marks" WHERE "user_id" = ?) AS "all_read_at"
    """,
    moments=("all_read_at",),
)


async def get_floor(user: User) -> datetime:
    """Before this moment, everything counts as read for the member."""
    mark = await _FLOOR.row(user.id)
    return mark["all_read_at"] if mark else user.created_at


async def _starts_after(floor: datetime, rows: list[dict[str, Any]]) -> dict[int, int]:
    """thread id -> number of its first post written after the floor, for threads that have
    one. A thread started after the floor starts at 1 with no query; the others (older threads
    with new posts) are looked up together, in one grouped query."""
    starts = {r["id"]: 1 for r in rows if r["created_at"] > floor}
    older = [r["id"] for r in rows if r["id"] not in starts]
    if older:
        starts.update((r["thread_id"], r["first"]) for r in await _FIRST_AFTER.rows(older, floor))
    return starts


def _first_unread(last_read: int, post_count: int, start: int | None) -> int | None:
    if start is None:
        return None
    first = max(last_read + 1, start)
    return first if first <= post_count else None


async def annotate_unread(viewer: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add "unread" (number of unread posts), "first_unread" (post number or None) and
    "new_thread" (never opened, started after the floor) to thread rows (id, post_count,
    last_post_at, created_at). Anonymous visitors get None everywhere: nothing is tracked."""
    actor = effective_actor(viewer)
    for row in rows:
        row["unread"], row["first_unread"], row["new_thread"] = None, None, False
    if actor is None or not rows:
        return rows
    floor = await get_floor(actor)
    for row in rows:
        row["unread"] = 0
    active = [r for r in rows if r["last_post_at"] > floor]
    if not active:
        return rows
    marks = await _READ_MARKS.rows(actor.id, [r["id"] for r in active])
    seen = {m["thread_id"]: m["last_read_number"] for m in marks}
    # Only threads with posts the member has not been shown need to know where "new" starts.
    pending = [r for r in active if seen.get(r["id"], 0) < r["post_count"]]
    starts = await _starts_after(floor, pending) if pending else {}
    for row in pending:
        first = _first_unread(seen.get(row["id"], 0), row["post_count"], starts.get(row["id"]))
        if first is not None:
            row["unread"] = row["post_count"] - first + 1
            row["first_unread"] = first
            row["new_thread"] = row["id"] not in seen and row["created_at"] > floor
    return rows


async def do_visit_thread(viewer: Any, thread: Thread, shown_up_to: int, *, clock: Clock) -> int | None:
    """A member looked at a thread page showing posts up to `shown_up_to`: remember it, and
    return the first post that was unread before this visit (for the "new" marker), if any.
    A member who has read the thread to its end costs one query; nothing is written unless
    the mark moves forward."""
    actor = effective_actor(viewer)
    if actor is None:
        return None
    row = await _VISIT.row(actor.id, thread.id, actor.id)
    assert row is not None  # a SELECT without FROM gives one row
    marked = row["last_read_number"] is not None
    last_read = row["last_read_number"] if marked else 0
    first_unread = None
    if last_read < thread.post_count:
        floor = row["all_read_at"] or actor.created_at  # get_floor
        if thread.last_post_at > floor:
            info = {"id": thread.id, "created_at": thread.created_at}
            start = (await _starts_after(floor, [info])).get(thread.id)
            first_unread = _first_unread(last_read, thread.post_count, start)
    number = min(shown_up_to, thread.post_count)
    if number > last_read:
        await _raise_mark(actor.id, thread.id, number, clock.now(), exists=marked)
    return first_unread


async def _raise_mark(user_id: int, thread_id: int, number: int, now: datetime, *, exists: bool) -> None:
    """ThreadRead only ever moves forward (a condition of the UPDATE, so two tabs cannot move it back)."""
    forward = ThreadRead.filter(user_id=user_id, thread_id=thread_id, last_read_number__lt=number)
    if exists:
        await forward.update(last_read_number=number, updated_at=now)
        return
    try:
        await ThreadRead.create(user_id=user_id, thread_id=thread_id, last_read_number=number, updated_at=now)
    except IntegrityError:
        # The same member's other tab got there first: move its row forward instead.
        await ThreadRead.filter(user_id=user_id, thread_id=thread_id, last_read_number__lt=number).update(
            last_read_number=number, updated_at=now
        )


async def count_unread_by_group(viewer: Any, group_ids: list[int]) -> dict[int, int]:
    """group id -> how many of its threads have unread posts, for the groups given (the caller
    passes groups the viewer may read). Two grouped COUNT queries."""
    actor = effective_actor(viewer)
    if actor is None or not group_ids:
        return {}
    floor = await get_floor(actor)
    active = dict(
        await Thread.filter(group_id__in=group_ids, deleted_at=None, last_post_at__gt=floor)
        .annotate(n=Count("id"))
        .group_by("group_id")
        .values_list("group_id", "n")
    )
    if not active:
        return {}
    read = dict(
        await ThreadRead.filter(
            user_id=actor.id,
            thread__group_id__in=list(active),
            thread__deleted_at=None,
            thread__last_post_at__gt=floor,
            last_read_number__gte=F("thread__post_count"),
        )
        .annotate(n=Count("id"))
        .group_by("thread__group_id")
        .values_list("thread__group_id", "n")
    )
    counts = {gid: n - read.get(gid, 0) for gid, n in active.items()}
    return {gid: n for gid, n in counts.items() if n > 0}


async def list_group_unread(access: GroupAccess, *, limit: int = 100) -> list[dict[str, Any]]:
    """The group's threads with unread posts for the viewer, latest activity first."""
    access.require(Need.READ)
    actor = _signed_in(access.actor)
    floor = await get_floor(actor)
    rows = (
        await Thread.filter(group_id=access.group.id, deleted_at=None, last_post_at__gt=floor)
        .order_by("-last_post_at", "-id")
        .limit(limit * 4)  # most active threads are read; look a little further than the limit
        .values("id", "title", "post_count", "last_post_at", "created_at")
    )
    await annotate_unread(actor, rows)
    slug = access.group.slug
    unread = [r for r in rows if r["unread"]][:limit]
    for row in unread:
        row["first_unread_url"] = f"/g/{slug}/t/{row['id']}/p/{row['first_unread']}"
    return unread


async def do_mark_group_read(access: GroupAccess, *, clock: Clock) -> int:
    """Everything in this group is read: each thread active since the floor gets a ThreadRead
    at its last post. Returns how many threads moved."""
    access.require(Need.READ)
    actor = _signed_in(access.actor)
    floor, now = await get_floor(actor), clock.now()
    threads = dict(
        await Thread.filter(group_id=access.group.id, deleted_at=None, last_post_at__gt=floor).values_list(
            "id", "post_count"
        )
    )
    moved = 0
    ids = list(threads)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        existing = {r.thread_id: r for r in await ThreadRead.filter(user_id=actor.id, thread_id__in=chunk)}  # type: ignore[attr-defined]
        stale = [r for tid, r in existing.items() if r.last_read_number < threads[tid]]
        for row in stale:
            row.last_read_number, row.updated_at = threads[row.thread_id], now  # type: ignore[attr-defined]
        if stale:
            await ThreadRead.bulk_update(stale, fields=["last_read_number", "updated_at"])
        missing = [
            ThreadRead(user_id=actor.id, thread_id=tid, last_read_number=threads[tid], updated_at=now)
            for tid in chunk
            if tid not in existing
        ]
        if missing:
            await ThreadRead.bulk_create(missing, ignore_conflicts=True)
        moved += len(stale) + len(missing)
    return moved


async def do_mark_all_read(viewer: Any, *, clock: Clock) -> datetime:
    """Everything everywhere is read: the floor moves to now (one row, whatever the site's size)."""
    actor = _signed_in(effective_actor(viewer))
    now = clock.now()
    if not await ReadMark.filter(user_id=actor.id).update(all_read_at=now):
        try:
            await ReadMark.create(user_id=actor.id, all_read_at=now)
        except IntegrityError:
            await ReadMark.filter(user_id=actor.id).update(all_read_at=now)
    return now


async def read_marks(user_ids: list[int]) -> dict[tuple[int, int], int]:
    """For the digest (digest/forum_links.py): (member, thread) -> last post number they read."""
    if not user_ids:
        return {}
    rows = await ThreadRead.filter(user_id__in=user_ids).values_list(
        "user_id", "thread_id", "last_read_number"
    )
    return {(uid, tid): number for uid, tid, number in rows}
