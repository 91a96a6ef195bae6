"""Threads and posts: start a thread, reply (optionally to one post), and read them flat or threaded.

A post's Markdown is rendered to HTML once, here, at write time; pages only print body_html.
Post numbers are per thread (1 is the opening post). A reply's transaction starts by bumping the
thread's counter, which takes the thread's write lock before the next number is read, so two
replies at the same moment get consecutive numbers; the unique (thread, number) constraint is
the backstop. Reads use `.values()` with joins: one query for a page of posts, never one per post;
the reads of every thread and group page view are written out as SQL (convene/db.py Statement),
with the same keys and values.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from tortoise.expressions import F
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from convene.api import validate
from convene.clock import Clock
from convene.db import Statement, model_from_row
from convene.errors import Conflict, Invalid, NotFound
from forum.access import (
    GroupAccess,
    Need,
    check_thread_writable,
    effective_actor,
    get_access,
    thread_refusal,
)
from forum.editing import redact_deleted
from forum.groups import list_readable_group_ids
from forum.mentions import render_post
from forum.models import Group, Membership, Post, Thread
from forum.moderation import redact_hidden
from forum.notifications import do_notify_post
from forum.schemas import Pagination, PostIn, ThreadIn
from forum.search import index_post
from forum.unread import annotate_unread
from members.models import User

THREADS_PER_PAGE = 30
POSTS_PER_PAGE = 50
MAX_DEPTH = 6  # deeper replies are shown at this depth, so a long exchange stays readable
FLAT, THREADED = "flat", "threaded"

THREAD_COLUMNS = (
    "id", "group_id", "title", "created_at", "last_post_at", "post_count",
    "author_id", "author__username", "author__name", "group__slug", "group__name",
    "pinned_at", "locked_at", "closes_at", "deleted_at",
)  # fmt: skip
POST_COLUMNS = (
    "id", "number", "thread_id", "parent_id", "body_html", "created_at",
    "author_id", "author__username", "author__name", "parent__number", "parent__author__name",
    "hidden_at", "hide_reason",
    "deleted_at", "deleted_by_id", "delete_reason", "edited_at", "edit_count",
)  # fmt: skip


async def do_create_thread(actor: User, group: Group, *, title: str, body: str, clock: Clock) -> Thread:
    """Start a thread: its title and opening post (number 1) are written together."""
    access = (await get_access(actor, group)).require(Need.POST)
    data = validate(ThreadIn, {"title": title, "body": body})
    rendered = await render_post(data.body)  # Markdown, then @mentions linked (forum/mentions.py)
    body_html = rendered.html
    now = clock.now()
    async with in_transaction():
        thread = await Thread.create(
            group=group, title=data.title, author=access.actor, created_at=now, last_post_at=now, post_count=1
        )
        opening = await Post.create(
            thread=thread, number=1, author=access.actor, body=data.body, body_html=body_html, created_at=now
        )
        await index_post(opening.id)  # in the transaction: searchable exactly when it exists
        await do_notify_post(
            opening, thread=thread, group=group, actor=access.actor, mentioned_ids=rendered.mentioned_ids,
            clock=clock,
        )  # fmt: skip
        await Group.filter(id=group.id).update(thread_count=F("thread_count") + 1, last_activity_at=now)
    group.thread_count += 1
    group.last_activity_at = now
    return thread


async def do_reply(
    actor: User,
    thread: Thread,
    *,
    body: str,
    clock: Clock,
    parent: Post | None = None,
    parent_id: int | None = None,
) -> Post:
    """Reply to a thread, or to one of its posts (`parent`, or `parent_id` from a form or JSON)."""
    group = thread.group if isinstance(thread.group, Group) else await Group.get(id=thread.group_id)  # type: ignore[attr-defined]
    # Reading comes first: someone who may not read a private thread must not learn it exists.
    access = (await get_access(actor, group)).require(Need.READ_THREAD).require(Need.POST)
    now = clock.now()
    check_thread_writable(access, thread, now)  # locked, closed or deleted (forum/access.py)
    if thread.deleted_at is not None:
        raise Conflict("This thread has been deleted. Restore it before replying.")
    data = validate(PostIn, {"body": body, "parent_id": parent.id if parent is not None else parent_id})
    # A reply to no post in particular answers the thread: its author is the one replied to.
    parent_author_id = thread.author_id  # type: ignore[attr-defined]
    if data.parent_id is not None:
        answered = (
            await Post.filter(id=data.parent_id, thread_id=thread.id)
            .first()
            .values("author_id", "deleted_at")
        )
        if answered is None:
            raise Invalid(fields={"parent_id": "The post you are replying to is not in this thread."})
        if answered["deleted_at"] is not None and not access.can_moderate:
            raise Invalid(fields={"parent_id": "That post has been deleted, so you cannot reply to it."})
        parent_author_id = answered["author_id"]
    rendered = await render_post(data.body)
    body_html = rendered.html
    async with in_transaction():
        bumped = await Thread.filter(id=thread.id).update(post_count=F("post_count") + 1, last_post_at=now)
        if not bumped:
            raise NotFound("This thread no longer exists.")
        row = await Post.filter(thread_id=thread.id).annotate(top=Max("number")).first().values("top")
        post = await Post.create(
            thread_id=thread.id,
            number=((row or {}).get("top") or 0) + 1,
            author=access.actor,
            parent_id=data.parent_id,
            body=data.body,
            body_html=body_html,
            created_at=now,
        )
        await index_post(post.id)
        await do_notify_post(
            post, thread=thread, group=group, actor=access.actor, mentioned_ids=rendered.mentioned_ids,
            parent_author_id=parent_author_id, clock=clock,
        )  # fmt: skip
        await Group.filter(id=group.id).update(last_activity_at=now)
    thread.post_count += 1
    thread.last_post_at = now
    return post


# Hot reads, written out (convene/db.py Statement): Tortoise spent longer building these than
# SQLite answering them. _THREAD is the thread with its group and author (as select_related
# gives them) and the viewer's membership of the group (get_access), in one read.
_THREAD = Statement(
    """
    SELECT {t}, {g}, {a}, {m} FROM "threads" t
    JOIN "groups" g ON g."id" = t."group_id"
    LEFT JOIN "users" a ON a."id" = t."author_id"
    LEFT JOIN "memberships" m ON m."group_id" = t."group_id" AND m."user_id" = ?
    WHERE t."id" = ?
    """,
    columns={"t": Thread, "g": Group, "a": User, "m": Membership},
)
# A page of posts in the order of writing, with the keys of POST_COLUMNS.
_POSTS = Statement(
    """
    SELECT p."id", p."number", p."thread_id", p."parent_id", p."body_html", p."created_at",
        p."author_id", a."username" AS "author__username", a."name" AS "author__name",
        q."number" AS "parent__number", qa."name" AS "parent__author__name",
        p."hidden_at", p."hide_reason",
        p."deleted_at", p."deleted_by_id", p."delete_reason", p."edited_at", p."edit_count"
    FROM "posts" p
    LEFT JOIN "users" a ON a."id" = p."author_id"
    LEFT JOIN "posts" q ON q."id" = p."parent_id"
    LEFT JOIN "users" qa ON qa."id" = q."author_id"
    WHERE p."thread_id" = ?
    ORDER BY p."number" LIMIT ? OFFSET ?
    """,
    moments=("created_at", "hidden_at", "deleted_at", "edited_at"),
)
# A group's threads with the keys of THREAD_COLUMNS: the pinned ones (few), then a page of the
# others by latest activity, which the (group_id, last_post_at) index gives in order: no sort
# of every thread in the group, however many it has.
_THREAD_MOMENTS = ("created_at", "last_post_at", "pinned_at", "locked_at", "closes_at", "deleted_at")
_GROUP_THREADS = """
    SELECT t."id", t."group_id", t."title", t."created_at", t."last_post_at", t."post_count",
        t."author_id", a."username" AS "author__username", a."name" AS "author__name",
        g."slug" AS "group__slug", g."name" AS "group__name",
        t."pinned_at", t."locked_at", t."closes_at", t."deleted_at"
    FROM "threads" t
    LEFT JOIN "users" a ON a."id" = t."author_id"
    LEFT JOIN "groups" g ON g."id" = t."group_id"
    WHERE t."group_id" = ? AND t."deleted_at" IS NULL AND t."pinned_at" IS {pinned}
    """
_PINNED_THREADS = Statement(
    _GROUP_THREADS.format(pinned="NOT NULL")
    + 'ORDER BY t."pinned_at" DESC, t."last_post_at" DESC, t."id" DESC',
    moments=_THREAD_MOMENTS,
)
_LATEST_THREADS = Statement(
    _GROUP_THREADS.format(pinned="NULL") + 'ORDER BY t."last_post_at" DESC, t."id" DESC LIMIT ? OFFSET ?',
    moments=_THREAD_MOMENTS,
)


async def get_thread(
    viewer: Any, thread_id: int, slug: str | None = None, *, need: Need = Need.READ_THREAD
) -> tuple[GroupAccess, Thread]:
    """A thread the viewer may read (and, with need=POST, reply to). A thread they may not read
    does not exist, as far as they can tell; so does one asked for under another group's address."""
    actor = effective_actor(viewer)
    row = await _THREAD.row(actor.id if actor is not None else None, thread_id)
    thread = model_from_row(Thread, row, "t")
    group = model_from_row(Group, row, "g")
    if thread is None or group is None or (slug is not None and group.slug != slug):
        raise NotFound()
    thread.group = group
    thread.author = model_from_row(User, row, "a")
    access = GroupAccess(actor, group, model_from_row(Membership, row, "m")).require(Need.READ_THREAD)
    error = thread_refusal(access, thread, None, writing=False)  # deleted: moderators only
    if error is not None:
        raise error
    return access.require(need), thread


async def list_group_threads(
    access: GroupAccess, *, page: int = 1
) -> tuple[list[dict[str, Any]], Pagination]:
    """A group's threads: pinned ones first, then latest activity first; deleted ones left out
    (thread_count counts the others). Each row says what is unread for the viewer."""
    access.require(Need.READ)
    pagination = Pagination.clamp(page, THREADS_PER_PAGE, access.group.thread_count)
    offset, per_page = pagination.offset, pagination.per_page
    pinned = await _PINNED_THREADS.rows(access.group.id)
    rows = pinned[offset : offset + per_page]
    if len(rows) < per_page:
        rows += await _LATEST_THREADS.rows(
            access.group.id, per_page - len(rows), max(0, offset - len(pinned))
        )
    return await annotate_unread(access.actor, rows), pagination


async def list_latest_threads(viewer: Any, *, limit: int = 10) -> list[dict[str, Any]]:
    """The most recently active threads across every group the viewer may read."""
    group_ids = await list_readable_group_ids(viewer)
    if group_ids is not None and not group_ids:
        return []
    query = Thread.filter(deleted_at=None)
    if group_ids is not None:
        query = query.filter(group_id__in=group_ids)
    rows = await query.order_by("-last_post_at", "-id").limit(limit).values(*THREAD_COLUMNS)
    return await annotate_unread(viewer, rows)


async def _threaded_order(thread_id: int) -> list[tuple[int, int]]:
    """Every post of a thread as (id, depth) in reading order: each reply under its parent, in
    order of writing. Replies to the opening post (or to no post) are the top level."""
    rows = await Post.filter(thread_id=thread_id).order_by("number").values_list("id", "parent_id")
    if not rows:
        return []
    opening = rows[0][0]
    known = {pid for pid, _ in rows}
    children: dict[int | None, list[int]] = defaultdict(list)
    for pid, parent in rows[1:]:
        children[parent if parent in known and parent != opening else None].append(pid)
    order = [(opening, 0)]
    stack = [(pid, 0) for pid in reversed(children[None])]
    while stack:  # iterative depth-first walk: no recursion limit on long exchanges
        pid, depth = stack.pop()
        order.append((pid, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(pid, [])))
    return order


def nest(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn a page of posts in threaded order (each with "depth") into a tree ("replies").
    Depth is capped at MAX_DEPTH; a reply whose parent is on an earlier page starts a tree."""
    roots: list[dict[str, Any]] = []
    stack: list[dict[str, Any]] = []
    for row in rows:
        level = min(row["depth"], MAX_DEPTH)
        row["replies"] = []
        while stack and stack[-1]["level"] >= level:
            stack.pop()
        if stack and stack[-1]["level"] == level - 1:
            stack[-1]["replies"].append(row)
        else:
            roots.append(row)
        row["level"] = level
        stack.append(row)
    return roots


async def list_thread_posts(
    access: GroupAccess,
    thread: Thread,
    *,
    view: str = FLAT,
    page: int = 1,
    with_source: bool = False,
) -> tuple[list[dict[str, Any]], Pagination]:
    """One page of a thread's posts, flat (by number) or threaded (depth-first, with "depth")."""
    access.require(Need.READ_THREAD)
    columns = (*POST_COLUMNS, "body") if with_source else POST_COLUMNS
    if view != THREADED:
        pagination = Pagination.clamp(page, POSTS_PER_PAGE, thread.post_count)
        if with_source:
            rows = (
                await Post.filter(thread_id=thread.id)
                .order_by("number")
                .offset(pagination.offset)
                .limit(pagination.per_page)
                .values(*columns)
            )
        else:
            rows = await _POSTS.rows(thread.id, pagination.per_page, pagination.offset)
        for row in rows:
            row["depth"] = 0
        return redact_deleted(
            redact_hidden(rows, reveal=access.can_moderate), reveal=access.can_moderate
        ), pagination
    order = await _threaded_order(thread.id)
    pagination = Pagination.clamp(page, POSTS_PER_PAGE, len(order))
    window = order[pagination.offset : pagination.offset + pagination.per_page]
    by_id = {row["id"]: row for row in await Post.filter(id__in=[pid for pid, _ in window]).values(*columns)}
    rows = []
    for pid, depth in window:
        row = by_id[pid]
        row["depth"] = depth
        rows.append(row)
    return redact_deleted(
        redact_hidden(rows, reveal=access.can_moderate), reveal=access.can_moderate
    ), pagination


async def get_post_page(thread: Thread, number: int, *, view: str = FLAT) -> int:
    """Which page of the thread shows post `number`, in the given view."""
    if view == THREADED:
        post_id = await Post.filter(thread_id=thread.id, number=number).values_list("id", flat=True)
        if not post_id:
            raise NotFound("There is no such post in this thread.")
        ids = [pid for pid, _ in await _threaded_order(thread.id)]
        return ids.index(post_id[0]) // POSTS_PER_PAGE + 1
    if not await Post.exists(thread_id=thread.id, number=number):
        raise NotFound("There is no such post in this thread.")
    before = await Post.filter(thread_id=thread.id, number__lt=number).count()
    return before // POSTS_PER_PAGE + 1


async def get_post(post_id: int, *, with_source: bool = False, reveal_hidden: bool = False) -> dict[str, Any]:
    """One post as the thread page and the API show it (the caller has checked access; a hidden
    post's text only with reveal_hidden, for moderators)."""
    columns = (*POST_COLUMNS, "body") if with_source else POST_COLUMNS
    row = await Post.filter(id=post_id).first().values(*columns)
    if row is None:
        raise NotFound("There is no such post.")
    row["depth"] = 0
    return redact_deleted(redact_hidden([row], reveal=reveal_hidden), reveal=reveal_hidden)[0]


def quote_markdown(author: str | None, body: str) -> str:
    """A Markdown quote of a post, to start a reply with."""
    lines = body.strip().splitlines() or [""]
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in lines)
    who = f"@{author}" if author else "A former member"
    return f"{who} wrote:\n{quoted}\n\n"


async def get_reply_draft(
    access: GroupAccess,
    thread: Thread,
    to_post_id: int | None,
    *,
    quote: bool = True,
    now: datetime | None = None,
) -> tuple[dict[str, Any] | None, str]:
    """The post being replied to (if any) and the text the reply form starts with. Given `now`,
    a locked or closed thread refuses at once (the form would be refused anyway)."""
    access.require(Need.READ_THREAD).require(Need.POST)
    if now is not None:
        check_thread_writable(access, thread, now)
    if to_post_id is None:
        return None, ""
    parent = (
        await Post.filter(id=to_post_id, thread_id=thread.id)
        .first()
        .values(
            "id", "number", "body", "body_html", "author__username", "author__name", "hidden_at", "deleted_at"
        )
    )
    if parent is None:
        raise NotFound("The post you want to reply to is not in this thread.")
    if parent["deleted_at"] is not None and not access.can_moderate:
        raise Conflict("That post has been deleted, so you cannot reply to it.")
    redact_hidden([parent], reveal=access.can_moderate)  # never quote a hidden post's text
    return parent, quote_markdown(parent["author__username"], parent["body"]) if quote else ""
