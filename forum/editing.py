"""Editing and deleting posts: revisions kept forever, soft deletion, restoring.

Who may do what (checked here, for pages and API alike): authors edit and delete their own posts
while they may still post in the group; the group's moderators (and admins) edit, delete and
restore any post. A locked or closed thread, or a deleted post, refuses members' edits (409).
Deleting the opening post deletes the thread (softly: a moderator restores it). A deleted post
keeps its number as a placeholder; its text is served to moderators only.

Every version is a PostRevision row, written on the first edit (the original becomes number 1),
so a post never edited costs nothing. Markdown is rendered once, here, at write time.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F, Q
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from convene.api import validate
from convene.clock import Clock
from convene.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound
from forum.access import GroupAccess, Need, check_thread_writable, get_access, thread_refusal
from forum.depth_schemas import DeleteIn, PostEditIn
from forum.mentions import render_post
from forum.models import Group, Post, PostRevision, Thread
from forum.notifications import do_notify_post
from members.audit import do_record_audit
from members.models import User

DELETED_BY_AUTHOR, DELETED_BY_MODERATOR = "author", "moderator"


@dataclass
class PostContext:
    """A post, its thread and the viewer's standing in the group, looked up once."""

    access: GroupAccess
    thread: Thread
    post: Post

    @property
    def group(self) -> Group:
        return self.access.group

    @property
    def is_author(self) -> bool:
        actor = self.access.actor
        return actor is not None and self.post.author_id == actor.id  # type: ignore[attr-defined]

    @property
    def url(self) -> str:
        return f"/g/{self.group.slug}/t/{self.thread.id}/p/{self.post.number}"


async def get_post_context(
    viewer: Any,
    *,
    post_id: int | None = None,
    thread_id: int | None = None,
    number: int | None = None,
    slug: str | None = None,
) -> PostContext:
    """A post the viewer may read, by id or by (thread, number). A post in a thread they may not
    read, or asked for under another group's address, does not exist as far as they can tell."""
    if post_id is not None:
        query = Post.filter(id=post_id)
    else:
        query = Post.filter(thread_id=thread_id, number=number)
    post = await query.first().select_related("thread__group")
    if post is None or (slug is not None and post.thread.group.slug != slug):
        raise NotFound("There is no such post.")
    access = (await get_access(viewer, post.thread.group)).require(Need.READ_THREAD)
    error = thread_refusal(access, post.thread, None, writing=False)
    if error is not None:
        raise error
    return PostContext(access, post.thread, post)


def redact_deleted(rows: list[dict[str, Any]], *, reveal: bool) -> list[dict[str, Any]]:
    """Mark deleted posts ("deleted", "deleted_by": author | moderator) and, unless `reveal`
    (moderators), drop their text and the reason, everywhere a post row is served."""
    for row in rows:
        row["deleted"] = row.get("deleted_at") is not None
        row["deleted_by"] = None
        if row["deleted"]:
            deleter = row.get("deleted_by_id")
            by_author = deleter is not None and deleter == row.get("author_id")
            row["deleted_by"] = DELETED_BY_AUTHOR if by_author else DELETED_BY_MODERATOR
            if not reveal:
                row["body_html"] = ""
                row["delete_reason"] = ""
                if "body" in row:
                    row["body"] = ""
    return rows


# ---- Permission ----


def _signed_in(ctx: PostContext) -> None:
    if ctx.access.actor is None:
        raise NotAuthenticated("Please sign in first.")


def check_can_edit_post(ctx: PostContext, now: Any) -> None:
    _signed_in(ctx)
    access = ctx.access
    if access.can_moderate:
        return
    if not ctx.is_author:
        raise Forbidden("You can only edit your own posts.")
    access.require(Need.POST)  # a member who left the group no longer edits there
    if ctx.post.deleted_at is not None:
        raise Conflict("This post has been deleted, so it can no longer be edited.")
    check_thread_writable(access, ctx.thread, now)


# ---- Revisions ----


async def record_revision(
    post: Post,
    thread: Thread,
    *,
    body: str,
    body_html: str,
    title: str,
    editor: User | None,
    reason: str,
    now: Any,
    using_db: Any = None,
) -> int:
    """Append a version of a post (inside the caller's transaction, after it has taken the
    post's write lock). On the first edit the original is stored first, as number 1."""
    revisions = PostRevision.filter(post_id=post.id).using_db(using_db)
    row = await revisions.annotate(top=Max("number")).first().values("top")
    top = (row or {}).get("top") or 0
    if top == 0:
        await PostRevision.create(
            post_id=post.id,
            number=1,
            body=post.body,
            body_html=post.body_html,
            title=thread.title if post.number == 1 else "",
            editor_id=post.author_id,  # type: ignore[attr-defined]
            created_at=post.created_at,
            reason="",
            using_db=using_db,
        )
        top = 1
    await PostRevision.create(
        post_id=post.id,
        number=top + 1,
        body=body,
        body_html=body_html,
        title=title if post.number == 1 else "",
        editor_id=editor.id if editor is not None else None,
        created_at=now,
        reason=reason,
        using_db=using_db,
    )
    return top + 1


def _diff(old: str, new: str) -> list[dict[str, str]]:
    """A line diff of two Markdown sources, with two lines of context around each change."""
    lines: list[dict[str, str]] = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append({"kind": "gap", "text": "…"})
        elif line.startswith("+"):
            lines.append({"kind": "add", "text": line[1:]})
        elif line.startswith("-"):
            lines.append({"kind": "del", "text": line[1:]})
        else:
            lines.append({"kind": "same", "text": line[1:]})
    return lines


async def list_revisions(ctx: PostContext) -> list[dict[str, Any]]:
    """Every version of a post, newest first, each with its diff from the one before. For the
    post's author and the group's moderators; a deleted post's versions for moderators only."""
    _signed_in(ctx)
    if not (ctx.access.can_moderate or ctx.is_author):
        raise Forbidden("Only the author and the group's moderators can see the earlier versions of a post.")
    if ctx.post.deleted_at is not None and not ctx.access.can_moderate:
        raise Forbidden("This post has been deleted: only the group's moderators can see its versions.")
    rows = (
        await PostRevision.filter(post_id=ctx.post.id)
        .order_by("number")
        .values("number", "body", "body_html", "title", "created_at", "reason",
                "editor_id", "editor__username", "editor__name")
    )  # fmt: skip
    if not rows:
        author = await User.get_or_none(id=ctx.post.author_id)  # type: ignore[attr-defined]
        rows = [
            {
                "number": 1,
                "body": ctx.post.body,
                "body_html": ctx.post.body_html,
                "title": ctx.thread.title if ctx.post.number == 1 else "",
                "created_at": ctx.post.created_at,
                "reason": "",
                "editor_id": getattr(author, "id", None),
                "editor__username": getattr(author, "username", None),
                "editor__name": getattr(author, "name", None),
            }
        ]
    previous: dict[str, Any] | None = None
    for row in rows:
        row["title_changed"] = previous is not None and row["title"] != previous["title"]
        row["diff"] = _diff(previous["body"], row["body"]) if previous is not None else []
        previous = row
    return list(reversed(rows))


# ---- Changes ----


async def do_edit_post(
    ctx: PostContext, *, body: str, clock: Clock, title: str | None = None, reason: str = ""
) -> Post:
    """Change a post's text (and, for the opening post, the thread's title), keeping the old
    version. Mentions the edit adds are notified once; nothing changes if nothing changed."""
    now = clock.now()
    check_can_edit_post(ctx, now)
    data = validate(PostEditIn, {"body": body, "title": title, "reason": reason})
    post, thread = ctx.post, ctx.thread
    if data.title is not None and post.number != 1:
        raise Invalid(fields={"title": "Only the opening post carries the thread's title."})
    new_title = data.title if data.title is not None else thread.title
    if data.body == post.body and new_title == thread.title:
        return post
    rendered = await render_post(data.body)
    editor = ctx.access.actor
    async with in_transaction() as conn:
        # Bumping the counter first takes the post's write lock, so two edits queue up and
        # each revision number is read after the one before it was written.
        await Post.filter(id=post.id).using_db(conn).update(edit_count=F("edit_count") + 1, edited_at=now)
        current = await Post.get(id=post.id).using_db(conn)  # the version being replaced
        await record_revision(
            current, thread, body=data.body, body_html=rendered.html, title=new_title,
            editor=editor, reason=data.reason, now=now, using_db=conn,
        )  # fmt: skip
        await Post.filter(id=post.id).using_db(conn).update(body=data.body, body_html=rendered.html)
        if new_title != thread.title:
            await Thread.filter(id=thread.id).using_db(conn).update(title=new_title)
        await do_notify_post(
            post, thread=thread, group=ctx.group, actor=editor,
            mentioned_ids=rendered.mentioned_ids, clock=clock, using_db=conn,
        )  # fmt: skip
        await _reindex(post.id, conn)
        if not ctx.is_author:
            await do_record_audit(
                editor, "post.edit", target_type="post", target_id=post.id, group_id=ctx.group.id,
                reason=data.reason, data={"thread_id": thread.id, "number": post.number,
                                          "title_changed": new_title != thread.title},
                clock=clock, using_db=conn,
            )  # fmt: skip
    post.body, post.body_html, post.edited_at = data.body, rendered.html, now
    post.edit_count = (post.edit_count or 0) + 1
    thread.title = new_title
    return post


async def _reindex(post_id: int, conn: Any) -> None:
    from forum.search import index_post  # search is optional for editing

    await index_post(post_id, using_db=conn)


async def _others_replied(thread: Thread, author_id: int) -> bool:
    return (
        await Post.filter(thread_id=thread.id, deleted_at=None, number__gt=1)
        .filter(Q(author_id=None) | ~Q(author_id=author_id))
        .exists()
    )


async def do_delete_post(ctx: PostContext, *, reason: str = "", clock: Clock) -> Post:
    """Delete a post softly (the opening post: the whole thread). Authors delete their own;
    moderators any, giving a reason when it is someone else's."""
    now = clock.now()
    access, post, thread = ctx.access, ctx.post, ctx.thread
    _signed_in(ctx)
    data = validate(DeleteIn, {"reason": reason})
    if post.deleted_at is not None:
        raise Conflict("This post is already deleted.")
    if not access.can_moderate:
        if not ctx.is_author:
            raise Forbidden("You can only delete your own posts.")
        access.require(Need.POST)
        check_thread_writable(access, thread, now)
        if post.number == 1 and await _others_replied(thread, post.author_id):  # type: ignore[attr-defined]
            raise Conflict(
                "Others have replied to this thread, so deleting its opening post would remove their "
                "replies too. Edit your post instead, or ask a moderator of the group."
            )
    elif not ctx.is_author and not data.reason:
        raise Invalid(
            fields={"reason": "Say why you are deleting this post: the reason is kept for moderators."}
        )
    deleter = access.actor
    async with in_transaction() as conn:
        changed = (
            await Post.filter(id=post.id, deleted_at=None)
            .using_db(conn)
            .update(deleted_at=now, deleted_by_id=deleter.id if deleter else None, delete_reason=data.reason)
        )
        if not changed:
            raise Conflict("This post is already deleted.")
        whole_thread = post.number == 1 and thread.deleted_at is None
        if whole_thread:
            await (
                Thread.filter(id=thread.id)
                .using_db(conn)
                .update(deleted_at=now, deleted_by_id=deleter.id if deleter else None)
            )
            await Group.filter(id=ctx.group.id).using_db(conn).update(thread_count=F("thread_count") - 1)
        await _after_visibility_change(post, thread, whole_thread, clock, conn)
        if not ctx.is_author or post.number == 1:
            await do_record_audit(
                deleter, "thread.delete" if post.number == 1 else "post.delete",
                target_type="thread" if post.number == 1 else "post",
                target_id=thread.id if post.number == 1 else post.id, group_id=ctx.group.id,
                reason=data.reason,
                data={"thread_id": thread.id, "number": post.number, "by_author": ctx.is_author},
                clock=clock, using_db=conn,
            )  # fmt: skip
    post.deleted_at, post.delete_reason = now, data.reason
    post.deleted_by_id = deleter.id if deleter else None  # type: ignore[attr-defined]
    if post.number == 1:
        thread.deleted_at = now
    return post


async def do_restore_post(ctx: PostContext, *, clock: Clock, reason: str = "") -> Post:
    """A moderator brings a deleted post back (the opening post: the whole thread)."""
    _signed_in(ctx)
    ctx.access.require(Need.MODERATE)
    post, thread = ctx.post, ctx.thread
    if post.deleted_at is None:
        raise Conflict("This post is not deleted.")
    async with in_transaction() as conn:
        changed = (
            await Post.filter(id=post.id, deleted_at__isnull=False)
            .using_db(conn)
            .update(deleted_at=None, deleted_by_id=None, delete_reason="")
        )
        if not changed:
            raise Conflict("This post is not deleted.")
        whole_thread = post.number == 1 and thread.deleted_at is not None
        if whole_thread:
            await Thread.filter(id=thread.id).using_db(conn).update(deleted_at=None, deleted_by_id=None)
            await Group.filter(id=ctx.group.id).using_db(conn).update(thread_count=F("thread_count") + 1)
        await _after_visibility_change(post, thread, whole_thread, clock, conn, restoring=True)
        await do_record_audit(
            ctx.access.actor, "thread.restore" if post.number == 1 else "post.restore",
            target_type="thread" if post.number == 1 else "post",
            target_id=thread.id if post.number == 1 else post.id, group_id=ctx.group.id, reason=reason,
            data={"thread_id": thread.id, "number": post.number}, clock=clock, using_db=conn,
        )  # fmt: skip
    post.deleted_at, post.delete_reason = None, ""
    post.deleted_by_id = None  # type: ignore[attr-defined]
    if post.number == 1:
        thread.deleted_at = None
    return post


async def _after_visibility_change(
    post: Post, thread: Thread, whole_thread: bool, clock: Clock, conn: Any, *, restoring: bool = False
) -> None:
    """Keep search and the moderation queue in step: a deleted post (or every post of a deleted
    thread) leaves the index and its open flags leave the queue; a restored one comes back."""
    from forum.moderation import withdraw_flags
    from forum.search import index_post, unindex_post

    ids = [post.id]
    if whole_thread:
        ids = list(await Post.filter(thread_id=thread.id).using_db(conn).values_list("id", flat=True))
    for pid in ids:
        if restoring:
            await index_post(pid, using_db=conn)  # a hidden or deleted reply stays out
        else:
            await unindex_post(pid, using_db=conn)
    if not restoring:
        await withdraw_flags(post.id, clock)
