"""Flags and the moderation queue: members flag posts, moderators hide them or dismiss the flags.

Who may act: a group's moderators on their own group's posts, administrators on every group
(forum/access.py, Need.MODERATE). A member may flag only a post they may read, once while the
flag is open. Flags from AUTO_HIDE_FLAGS distinct members hide a post at once, pending review: it
stays in the queue, and dismissing the flags shows it again.

A hidden post keeps its text for the moderators; everyone else gets a placeholder, on the page,
in the API, the live room, search (it is taken out of the index) and feeds. Every moderator
action is written to the audit log (members/audit.py) in the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Count, Min
from tortoise.transactions import in_transaction

from convene.api import validate
from convene.clock import Clock
from convene.errors import Conflict, NotAuthenticated, NotFound, RateLimited
from forum.access import GroupAccess, Need, get_access
from forum.models import Flag, FlagResolution, Group, Post
from forum.moderation_schemas import FlagIn, HideIn
from forum.search import index_post, unindex_post
from members.audit import AuditPage, do_record_audit, query_audit
from members.permissions import check_is_admin

AUTO_HIDE_FLAGS = 3  # distinct members whose open flags hide a post until a moderator decides
FLAGS_PER_DAY = 30  # per member: flagging is for emergencies, not a way to bury someone
QUEUE_PER_PAGE = 20
AUTO_HIDE_REASON = "Hidden automatically after several members flagged it. A moderator will review it."
# What the live room sends instead of a hidden post's body (frames carry no translations).
HIDDEN_PLACEHOLDER_HTML = '<p class="hidden-post">This post has been hidden by a moderator.</p>'


# ---- Reading a hidden post ----


def redact_hidden(rows: list[dict[str, Any]], *, reveal: bool) -> list[dict[str, Any]]:
    """Mark hidden posts ("hidden": True) and, unless `reveal` (moderators), drop their text."""
    for row in rows:
        row["hidden"] = row.get("hidden_at") is not None
        if row["hidden"] and not reveal:
            row["body_html"] = ""
            if "body" in row:
                row["body"] = ""
    return rows


# ---- Looking a post up with the viewer's standing ----


@dataclass
class PostInGroup:
    post: Post
    access: GroupAccess

    @property
    def group(self) -> Group:
        return self.access.group


async def get_post_for(viewer: Any, post_id: int, need: Need, slug: str | None = None) -> PostInGroup:
    """A post the viewer may read, and `need` in its group. A post they may not read, or asked for
    under another group's address, does not exist as far as they can tell."""
    post = await Post.get_or_none(id=post_id).select_related("thread__group", "author")
    if post is None or (slug is not None and post.thread.group.slug != slug):
        raise NotFound("There is no such post.")
    if post.deleted_at is not None or post.thread.deleted_at is not None:  # forum/editing.py
        raise NotFound("That post has been deleted.")
    access = (await get_access(viewer, post.thread.group)).require(Need.READ_THREAD).require(need)
    return PostInGroup(post, access)


# ---- Flags ----


async def do_flag_post(actor: Any, post_id: int, *, reason: str, note: str = "", clock: Clock) -> Flag:
    """Flag a post for the moderators. Returns the flag; may hide the post (AUTO_HIDE_FLAGS)."""
    found = await get_post_for(actor, post_id, Need.READ_THREAD)
    user = found.access.actor
    if user is None:
        raise NotAuthenticated("Please sign in to flag a post.")
    post = found.post
    if post.author_id == user.id:  # type: ignore[attr-defined]
        raise Conflict("You cannot flag your own post. You can edit or delete it instead.")
    data = validate(FlagIn, {"reason": reason, "note": note})
    now = clock.now()
    if await Flag.filter(user_id=user.id, created_at__gt=now - timedelta(days=1)).count() >= FLAGS_PER_DAY:
        raise RateLimited("You have flagged many posts today. Please wait a day, or write to a moderator.")
    try:
        async with in_transaction():
            # Take the post's write lock first, so concurrent flags count each other (auto-hide).
            await Post.filter(id=post.id).update(hide_reason=F("hide_reason"))
            flag = await Flag.create(
                post_id=post.id,
                user_id=user.id,
                reason=data.reason,
                note=data.note,
                created_at=now,
                open_key=f"{post.id}:{user.id}",
            )
            await _auto_hide(post, found.group, clock)
    except IntegrityError:
        raise Conflict("You have already flagged this post. The moderators will look at it.") from None
    return flag


async def _auto_hide(post: Post, group: Group, clock: Clock) -> None:
    if post.hidden_at is not None:
        return
    flaggers = (
        await Flag.filter(post_id=post.id, resolved_at=None).distinct().values_list("user_id", flat=True)
    )
    if len(set(flaggers)) < AUTO_HIDE_FLAGS:
        return
    now = clock.now()
    await Post.filter(id=post.id, hidden_at=None).update(
        hidden_at=now, hidden_by_id=None, hide_reason=AUTO_HIDE_REASON
    )
    post.hidden_at, post.hide_reason = now, AUTO_HIDE_REASON
    await unindex_post(post.id)
    await do_record_audit(
        None,
        "post.auto_hide",
        target_type="post",
        target_id=post.id,
        group_id=group.id,
        reason=AUTO_HIDE_REASON,
        data={"flags": len(set(flaggers)), "thread_id": post.thread_id},  # type: ignore[attr-defined]
        clock=clock,
    )


async def get_my_open_flag(viewer: Any, post_id: int) -> Flag | None:
    viewer_id = getattr(viewer, "id", None)
    if viewer_id is None:
        return None
    return await Flag.get_or_none(post_id=post_id, user_id=viewer_id, resolved_at=None)


async def _resolve_flags(post_id: int, actor_id: int | None, resolution: FlagResolution, clock: Clock) -> int:
    return await Flag.filter(post_id=post_id, resolved_at=None).update(
        resolved_at=clock.now(), resolved_by_id=actor_id, resolution=resolution, open_key=None
    )


# ---- Moderator actions on a post ----


async def do_hide_post(
    actor: Any, post_id: int, *, reason: str = "", clock: Clock, slug: str | None = None
) -> Post:
    """Hide a post (agreeing with any flags, which are resolved)."""
    found = await get_post_for(actor, post_id, Need.MODERATE, slug)
    data = validate(HideIn, {"reason": reason})
    post, moderator = found.post, found.access.actor
    now = clock.now()
    moderator_id = moderator.id if moderator else None
    async with in_transaction():
        hidden = await Post.filter(id=post.id, hidden_at=None).update(
            hidden_at=now, hidden_by_id=moderator_id, hide_reason=data.reason
        )
        # A post the flags hid automatically: the moderator confirms it, and it becomes theirs.
        confirmed = hidden or await Post.filter(
            id=post.id, hidden_by_id=None, hidden_at__isnull=False
        ).update(hidden_by_id=moderator_id, hide_reason=data.reason or F("hide_reason"))
        resolved = await _resolve_flags(post.id, moderator_id, FlagResolution.HIDDEN, clock)
        if not confirmed and not resolved:
            raise Conflict("This post is already hidden.")
        if hidden:
            post.hidden_at, post.hide_reason = now, data.reason
            await unindex_post(post.id)
        await do_record_audit(
            moderator,
            "post.hide",
            target_type="post",
            target_id=post.id,
            group_id=found.group.id,
            reason=data.reason,
            data={"thread_id": post.thread_id, "flags_resolved": resolved, "was_hidden": not hidden},  # type: ignore[attr-defined]
            clock=clock,
        )
    return post


async def do_unhide_post(
    actor: Any, post_id: int, *, reason: str = "", clock: Clock, slug: str | None = None
) -> Post:
    """Show a hidden post again. Open flags on it are dismissed: a moderator has decided."""
    found = await get_post_for(actor, post_id, Need.MODERATE, slug)
    data = validate(HideIn, {"reason": reason})
    post, moderator = found.post, found.access.actor
    async with in_transaction():
        shown = await Post.filter(id=post.id, hidden_at__isnull=False).update(
            hidden_at=None, hidden_by_id=None, hide_reason=""
        )
        if not shown:
            raise Conflict("This post is not hidden.")
        resolved = await _resolve_flags(
            post.id, moderator.id if moderator else None, FlagResolution.DISMISSED, clock
        )
        post.hidden_at, post.hide_reason = None, ""
        await index_post(post.id)
        await do_record_audit(
            moderator,
            "post.unhide",
            target_type="post",
            target_id=post.id,
            group_id=found.group.id,
            reason=data.reason,
            data={"thread_id": post.thread_id, "flags_resolved": resolved},  # type: ignore[attr-defined]
            clock=clock,
        )
    return post


async def do_dismiss_flags(
    actor: Any, post_id: int, *, reason: str = "", clock: Clock, slug: str | None = None
) -> int:
    """Nothing wrong with the post: resolve its open flags. A post the flags hid automatically is
    shown again; one a moderator hid stays hidden (unhide is its own, deliberate action)."""
    found = await get_post_for(actor, post_id, Need.MODERATE, slug)
    data = validate(HideIn, {"reason": reason})
    post, moderator = found.post, found.access.actor
    async with in_transaction():
        resolved = await _resolve_flags(
            post.id, moderator.id if moderator else None, FlagResolution.DISMISSED, clock
        )
        if not resolved:
            raise Conflict("There are no open flags on this post.")
        restored = await Post.filter(id=post.id, hidden_at__isnull=False, hidden_by_id=None).update(
            hidden_at=None, hide_reason=""
        )
        if restored:
            post.hidden_at, post.hide_reason = None, ""
            await index_post(post.id)
        await do_record_audit(
            moderator,
            "flags.dismiss",
            target_type="post",
            target_id=post.id,
            group_id=found.group.id,
            reason=data.reason,
            data={"thread_id": post.thread_id, "flags_resolved": resolved, "restored": bool(restored)},  # type: ignore[attr-defined]
            clock=clock,
        )
    return resolved


async def withdraw_flags(post_id: int, clock: Clock, *, using_db: Any = None) -> int:
    """For deletion (forum/editing.py): a deleted post's open flags leave the queue."""
    return (
        await Flag.filter(post_id=post_id, resolved_at=None)
        .using_db(using_db)
        .update(resolved_at=clock.now(), resolution=FlagResolution.WITHDRAWN, open_key=None)
    )


# ---- The queue ----


@dataclass
class QueueItem:
    post: dict[str, Any]
    flags: list[dict[str, Any]]
    flag_count: int

    @property
    def url(self) -> str:
        p = self.post
        return f"/g/{p['thread__group__slug']}/t/{p['thread_id']}/p/{p['number']}"


@dataclass
class QueuePage:
    items: list[QueueItem]
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


_QUEUE_POST_COLUMNS = (
    "id", "number", "thread_id", "body_html", "created_at", "hidden_at", "hidden_by_id", "hide_reason",
    "author_id", "author__username", "author__name", "thread__title", "thread__group_id",
    "thread__group__slug", "thread__group__name",
)  # fmt: skip


async def _queue(group_id: int | None, page: int) -> QueuePage:
    # Deleted posts and threads have left the conversation, and so the queue.
    flags = Flag.filter(resolved_at=None, post__deleted_at=None, post__thread__deleted_at=None)
    if group_id is not None:
        flags = flags.filter(post__thread__group_id=group_id)
    total = len(await flags.distinct().values_list("post_id", flat=True))
    pages = max(1, -(-total // QUEUE_PER_PAGE))
    page = min(max(1, page), pages)
    # Most-flagged first, then the longest waiting.
    counted = (
        await flags.annotate(n=Count("id"), first=Min("created_at"))
        .group_by("post_id")
        .order_by("-n", "first", "post_id")
        .offset((page - 1) * QUEUE_PER_PAGE)
        .limit(QUEUE_PER_PAGE)
        .values("post_id", "n")
    )
    post_ids = [row["post_id"] for row in counted]
    posts = {p["id"]: p for p in await Post.filter(id__in=post_ids).values(*_QUEUE_POST_COLUMNS)}
    by_post: dict[int, list[dict[str, Any]]] = {pid: [] for pid in post_ids}
    for flag in (
        await Flag.filter(post_id__in=post_ids, resolved_at=None)
        .order_by("created_at", "id")
        .values("id", "post_id", "reason", "note", "created_at", "user__username", "user__name")
    ):
        by_post[flag["post_id"]].append(flag)
    items = [
        QueueItem(posts[r["post_id"]], by_post[r["post_id"]], r["n"])
        for r in counted
        if r["post_id"] in posts
    ]
    return QueuePage(items=items, page=page, pages=pages, total=total)


async def list_group_queue(viewer: Any, group: Group, *, page: int = 1) -> QueuePage:
    """A group's open flags, grouped by post: for its moderators (and administrators)."""
    (await get_access(viewer, group)).require(Need.MODERATE)
    return await _queue(group.id, page)


async def list_site_queue(viewer: Any, *, page: int = 1) -> QueuePage:
    """Every group's open flags: administrators only."""
    check_is_admin(viewer)
    return await _queue(None, page)


async def list_post_flags(
    viewer: Any, post_id: int, slug: str | None = None
) -> tuple[PostInGroup, list[dict]]:
    """A post and its whole flag history (open first), for the post's moderation page."""
    found = await get_post_for(viewer, post_id, Need.MODERATE, slug)
    flags = (
        await Flag.filter(post_id=post_id)
        .order_by("-resolved_at", "created_at")
        .values(
            "id", "reason", "note", "created_at", "resolved_at", "resolution",
            "user__username", "user__name", "resolved_by__name",
        )
    )  # fmt: skip
    flags.sort(key=lambda f: f["resolved_at"] is not None)
    return found, flags


# ---- The group's audit log ----


async def list_group_audit(
    viewer: Any,
    group: Group,
    *,
    action: str | None = None,
    actor: str | None = None,
    since: Any = None,
    until: Any = None,
    page: int = 1,
) -> AuditPage:
    """The audit entries about one group, for its moderators (and administrators)."""
    (await get_access(viewer, group)).require(Need.MODERATE)
    return await query_audit(
        action=action, actor=actor, group_id=group.id, since=since, until=until, page=page
    )
