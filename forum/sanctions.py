"""Warnings: a moderator's formal word to a member, shown on their next page and kept in settings.

A group's moderators warn about what happens in their group (a post there, or a member of it);
site moderators and administrators may warn anyone. The warning's reason is Markdown, rendered
once here. The member sees a notice on every page until they acknowledge it at /settings/warnings.
Suspensions are members/suspensions.py: they are about the account, not a group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from convene.api import validate
from convene.clock import Clock
from convene.errors import Forbidden, Invalid, NotAuthenticated, NotFound
from convene.markup import render_markdown
from forum.access import Need, effective_actor, get_access
from forum.models import Flag, Group, Membership, MembershipStatus, Post
from forum.moderation_schemas import WarnIn
from members.audit import do_record_audit
from members.models import AuditEntry, MemberWarning, Role, User, UserStatus


def is_site_moderator(viewer: Any) -> bool:
    actor = effective_actor(viewer)
    return actor is not None and actor.role in (Role.ADMIN, Role.MODERATOR)


async def _check_can_warn(actor: User | None, target: User, group: Group | None, post_id: int | None) -> None:
    if actor is None:
        raise NotAuthenticated()
    if target.id == actor.id:
        raise Forbidden("You cannot warn yourself.")
    if post_id is not None:
        post = await Post.get_or_none(id=post_id).select_related("thread")
        if post is None or post.author_id != target.id:  # type: ignore[attr-defined]
            raise Invalid(fields={"post_id": "That post is not by this member."})
        if group is not None and post.thread.group_id != group.id:  # type: ignore[attr-defined]
            raise Invalid(fields={"post_id": "That post is not in this group."})
    if actor.role in (Role.ADMIN, Role.MODERATOR):
        return
    if group is None:
        raise Forbidden("Only site moderators and administrators can warn members outside a group.")
    (await get_access(actor, group)).require(Need.MODERATE)
    # A group's moderator warns about their group: a post in it, or one of its members.
    in_group = post_id is not None or await Membership.exists(
        group_id=group.id, user_id=target.id, status=MembershipStatus.ACTIVE
    )
    if not in_group:
        raise Forbidden("You can only warn members of your group, or the authors of posts in it.")


async def do_warn_member(
    actor: Any,
    user_id: int,
    *,
    reason: str,
    clock: Clock,
    group: Group | None = None,
    post_id: int | None = None,
) -> MemberWarning:
    """Warn a member. `group`: the group whose moderator is acting (None: site-wide)."""
    moderator = effective_actor(actor)
    target = await User.get_or_none(id=user_id)
    if target is None or target.status in (UserStatus.DELETED, UserStatus.PENDING):
        raise NotFound("There is no member with that id.")
    data = validate(WarnIn, {"reason": reason, "post_id": post_id})
    await _check_can_warn(moderator, target, group, data.post_id)
    async with in_transaction():
        warning = await MemberWarning.create(
            user_id=target.id,
            issued_by=moderator,
            reason=data.reason,
            reason_html=render_markdown(data.reason),
            group_id=group.id if group else None,
            post_id=data.post_id,
            created_at=clock.now(),
        )
        await do_record_audit(
            moderator,
            "user.warn",
            target_type="user",
            target_id=target.id,
            group_id=group.id if group else None,
            reason=data.reason,
            data={"username": target.username, "warning_id": warning.id, "post_id": data.post_id},
            clock=clock,
        )
    return warning


async def count_unread_warnings(viewer: Any) -> int:
    actor = effective_actor(viewer)
    if actor is None:
        return 0
    return await MemberWarning.filter(user_id=actor.id, acknowledged_at=None).count()


async def list_my_warnings(viewer: Any) -> list[dict[str, Any]]:
    """The viewer's own warnings, newest first, with the group they came from."""
    actor = effective_actor(viewer)
    if actor is None:
        raise NotAuthenticated()
    rows = (
        await MemberWarning.filter(user_id=actor.id)
        .order_by("-created_at", "-id")
        .values(
            "id", "user_id", "reason", "reason_html", "group_id", "post_id", "created_at", "acknowledged_at"
        )
    )
    groups = {
        g["id"]: g
        for g in await Group.filter(id__in={r["group_id"] for r in rows if r["group_id"]}).values(
            "id", "slug", "name"
        )
    }
    for row in rows:
        row["group"] = groups.get(row["group_id"])
    return rows


async def do_acknowledge_warnings(viewer: Any, *, clock: Clock, warning_id: int | None = None) -> int:
    """The member has read their warnings (all, or one)."""
    actor = effective_actor(viewer)
    if actor is None:
        raise NotAuthenticated()
    query = MemberWarning.filter(user_id=actor.id, acknowledged_at=None)
    if warning_id is not None:
        query = query.filter(id=warning_id)
    return await query.update(acknowledged_at=clock.now())


@dataclass
class MemberRecord:
    """What a site moderator sees about one member before warning or suspending them."""

    user: User
    warnings: list[dict[str, Any]]
    history: list[AuditEntry]
    open_flags: int
    hidden_posts: int


def check_is_site_moderator(viewer: Any) -> User:
    actor = effective_actor(viewer)
    if actor is None:
        raise NotAuthenticated()
    if actor.role not in (Role.ADMIN, Role.MODERATOR):
        raise Forbidden("Only site moderators and administrators can see this.")
    return actor


async def get_member_record(viewer: Any, user_id: int) -> MemberRecord:
    check_is_site_moderator(viewer)
    user = await User.get_or_none(id=user_id)
    if user is None or user.status == UserStatus.DELETED:
        raise NotFound("There is no member with that id.")
    warnings = (
        await MemberWarning.filter(user_id=user.id)
        .order_by("-created_at", "-id")
        .values(
            "id", "reason_html", "created_at", "acknowledged_at", "group_id", "post_id", "issued_by__name"
        )
    )
    history = (
        await AuditEntry.filter(target_type="user", target_id=user.id)
        .order_by("-created_at", "-id")
        .limit(50)
        .prefetch_related("actor")
    )
    open_flags = await Flag.filter(post__author_id=user.id, resolved_at=None).count()
    hidden_posts = await Post.filter(author_id=user.id, hidden_at__isnull=False).count()
    return MemberRecord(user, warnings, list(history), open_flags, hidden_posts)
