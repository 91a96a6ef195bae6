"""Groups and memberships: create and edit groups; join, request, invite, approve, leave, remove.

Every membership change runs in one transaction that starts by writing the group's row. That
write takes the lock (SQLite's write lock, PostgreSQL's row lock) before anything is read, so two
moderators leaving at once cannot both pass the "last moderator" check, and the member count,
recounted at the end of the same transaction, is always right.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from convene.api import validate
from convene.clock import Clock
from convene.errors import Conflict, Invalid, NotFound
from convene.markup import render_markdown
from forum.access import (
    GroupAccess,
    Need,
    check_can_create_group,
    effective_actor,
    get_access,
    get_access_by_slug,
    require_found,
)
from forum.models import Group, GroupRole, Membership, MembershipStatus, Visibility
from forum.schemas import GroupIn, GroupPatch, Pagination
from members.audit import do_record_audit
from members.models import User, UserStatus

GROUPS_PER_PAGE = 50


# Letters that Unicode does not decompose into a base letter plus an accent.
_TRANSLITERATE = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae", "Æ": "AE",
     "œ": "oe", "Œ": "OE", "ı": "i", "þ": "th", "Þ": "Th"}
)  # fmt: skip


def slugify(name: str) -> str:
    """A readable web address from a group's name ("Legal aid in Łódź" -> "legal-aid-in-lodz")."""
    ascii_name = (
        unicodedata.normalize("NFKD", name.translate(_TRANSLITERATE)).encode("ascii", "ignore").decode()
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:60].rstrip("-") or "group"


async def _free_slug(base: str) -> str:
    candidate, n = base, 1
    while await Group.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


async def _lock_group(group_id: int) -> None:
    """The first statement of every membership transaction: take the group's write lock."""
    await Group.filter(id=group_id).update(member_count=F("member_count"))


async def _recount_members(group: Group) -> None:
    count = await Membership.filter(group_id=group.id, status=MembershipStatus.ACTIVE).count()
    await Group.filter(id=group.id).update(member_count=count)
    group.member_count = count


async def _other_moderators(group: Group, user_id: int) -> int:
    return (
        await Membership.filter(group_id=group.id, role=GroupRole.MODERATOR, status=MembershipStatus.ACTIVE)
        .exclude(user_id=user_id)
        .count()
    )


async def _audit(
    access: GroupAccess, action: str, group: Group, clock: Clock, *, target_id: int, data: dict | None = None
) -> None:
    """A moderator's change to a group or its members goes to the audit log (members/audit.py)."""
    target_type = "group" if action == "group.update" else "user"
    await do_record_audit(
        access.actor, action, target_type=target_type, target_id=target_id, group_id=group.id,
        data=data or {}, clock=clock,
    )  # fmt: skip


LAST_MODERATOR = (
    "A group needs at least one moderator. Make another member a moderator first, then try again."
)


# ---- Groups ----


async def do_create_group(
    actor: User,
    *,
    name: str,
    description: str,
    visibility: Visibility,
    clock: Clock,
    slug: str | None = None,
) -> Group:
    """Start a group; its creator becomes its first moderator."""
    creator = check_can_create_group(actor)
    data = validate(
        GroupIn, {"name": name, "description": description, "visibility": visibility, "slug": slug}
    )
    if data.slug is not None:
        if await Group.filter(slug=data.slug).exists():
            raise Conflict(fields={"slug": "That address is taken by another group. Choose another."})
        final_slug = data.slug
    else:
        final_slug = await _free_slug(slugify(data.name))
    now = clock.now()
    try:
        async with in_transaction():
            group = await Group.create(
                slug=final_slug,
                name=data.name,
                description=data.description,
                description_html=render_markdown(data.description),
                visibility=data.visibility,
                created_by=creator,
                created_at=now,
                member_count=1,
                last_activity_at=now,
            )
            await Membership.create(
                group=group,
                user=creator,
                role=GroupRole.MODERATOR,
                status=MembershipStatus.ACTIVE,
                created_at=now,
            )
    except IntegrityError:
        # Someone took the same address between our check and our insert.
        raise Conflict(fields={"slug": "That address is taken by another group. Choose another."}) from None
    return group


async def do_update_group(
    actor: User,
    group: Group,
    *,
    clock: Clock,
    name: str | None = None,
    description: str | None = None,
    visibility: Visibility | None = None,
) -> Group:
    """Change a group's name, description or visibility. Its address (slug) never changes."""
    access = (await get_access(actor, group)).require(Need.MODERATE)
    data = validate(GroupPatch, {"name": name, "description": description, "visibility": visibility})
    changes: dict[str, Any] = {}
    if data.name is not None:
        changes["name"] = data.name
    if data.description is not None:
        changes["description"] = data.description
        changes["description_html"] = render_markdown(data.description)
    if data.visibility is not None:
        changes["visibility"] = data.visibility
    if changes:
        before = {"name": group.name, "visibility": str(group.visibility)}
        async with in_transaction():
            await Group.filter(id=group.id).update(**changes)
            await _audit(access, "group.update", group, clock, target_id=group.id, data={
                "changed": sorted(changes), "before": before,
                "after": {k: str(v) for k, v in changes.items() if k in ("name", "visibility")},
            })  # fmt: skip
        for key, value in changes.items():
            setattr(group, key, value)
    return group


async def get_group(viewer: Any, slug: str, need: Need = Need.SEE) -> GroupAccess:
    """Look a group up by its address and check the viewer may `need` it."""
    return require_found(await get_access_by_slug(viewer, slug), need)


async def list_groups(viewer: Any, *, page: int = 1) -> tuple[list[GroupAccess], Pagination]:
    """The groups shown in /groups: public ones for everyone; every group for signed-in members
    (a private group shows only its name and description to non-members, so they can ask to
    join). Alphabetical, like a directory; the home page is where activity shows."""
    actor = effective_actor(viewer)
    query = Group.all() if actor is not None else Group.filter(visibility=Visibility.PUBLIC)
    memberships: dict[int, Membership] = {}
    if actor is not None:
        memberships = {m.group_id: m for m in await Membership.filter(user_id=actor.id)}  # type: ignore[attr-defined]
    pagination = Pagination.clamp(page, GROUPS_PER_PAGE, await query.count())
    groups = await query.order_by("name", "id").offset(pagination.offset).limit(pagination.per_page)
    return [GroupAccess(actor, g, memberships.get(g.id)) for g in groups], pagination


async def list_readable_group_ids(viewer: Any) -> list[int] | None:
    """Ids of the groups whose threads the viewer may read; None means every group (admins)."""
    actor = effective_actor(viewer)
    if actor is not None and actor.is_admin:
        return None
    visible = [Visibility.PUBLIC] if actor is None else [Visibility.PUBLIC, Visibility.MEMBERS]
    ids = await Group.filter(visibility__in=visible).values_list("id", flat=True)
    if actor is not None:
        ids += await Membership.filter(
            user_id=actor.id, status=MembershipStatus.ACTIVE, group__visibility=Visibility.PRIVATE
        ).values_list("group_id", flat=True)
    return list(ids)


async def list_my_groups(viewer: Any) -> list[GroupAccess]:
    """The viewer's groups: active memberships and pending invitations/requests."""
    actor = effective_actor(viewer)
    if actor is None:
        return []
    memberships = await Membership.filter(user_id=actor.id).select_related("group")
    memberships.sort(key=lambda m: (m.status != MembershipStatus.INVITED, m.group.name.lower()))
    return [GroupAccess(actor, m.group, m) for m in memberships]


# ---- Memberships ----


async def do_join_group(actor: User, group: Group, *, clock: Clock) -> Membership:
    """Join a public or members group at once; ask to join a private one (a moderator decides).
    Accepting an invitation is joining too."""
    access = (await get_access(actor, group)).require(Need.JOIN)
    user = access.actor
    assert user is not None
    opens_at_once = group.visibility != Visibility.PRIVATE or access.is_admin
    async with in_transaction():
        await _lock_group(group.id)
        membership = await Membership.get_or_none(group_id=group.id, user_id=user.id)
        if membership is None:
            status = MembershipStatus.ACTIVE if opens_at_once else MembershipStatus.REQUESTED
            membership = await Membership.create(
                group=group, user=user, status=status, created_at=clock.now()
            )
        elif membership.status == MembershipStatus.ACTIVE:
            raise Conflict("You are already a member of this group.")
        elif membership.status == MembershipStatus.REQUESTED and not opens_at_once:
            raise Conflict("You have already asked to join. A moderator of the group will decide.")
        else:
            # An invitation accepted, or a request in a group that has since opened up.
            membership.status = MembershipStatus.ACTIVE
            membership.created_at = clock.now()
            await membership.save(update_fields=["status", "created_at"])
        await _recount_members(group)
    return membership


async def _remove(group: Group, user_id: int, missing: str) -> Membership:
    async with in_transaction():
        await _lock_group(group.id)
        membership = await Membership.get_or_none(group_id=group.id, user_id=user_id)
        if membership is None:
            raise NotFound(missing)
        if (
            membership.status == MembershipStatus.ACTIVE
            and membership.role == GroupRole.MODERATOR
            and await _other_moderators(group, user_id) == 0
        ):
            raise Conflict(LAST_MODERATOR)
        await membership.delete()
        await _recount_members(group)
    return membership


async def do_leave_group(actor: User, group: Group, *, clock: Clock) -> Membership:
    """Leave a group, withdraw a request to join, or decline an invitation."""
    access = (await get_access(actor, group)).require(Need.JOIN)
    assert access.actor is not None
    if access.membership is None:
        raise Conflict("You are not a member of this group.")
    return await _remove(group, access.actor.id, "You are not a member of this group.")


async def get_user_by_username(username: str, field: str = "username") -> User:
    user = await User.get_or_none(username=username.strip().lstrip("@").lower())
    if user is None or user.status != UserStatus.ACTIVE:
        raise Invalid(fields={field: "There is no active member with that username."})
    return user


async def do_add_member(
    actor: User, group: Group, user: User, *, clock: Clock, role: GroupRole = GroupRole.MEMBER
) -> Membership:
    """A moderator (or an admin) adds someone directly, with no acceptance step."""
    (await get_access(actor, group)).require(Need.MODERATE)
    if user.status != UserStatus.ACTIVE:
        raise Conflict("That account is not active, so it cannot join a group.")
    async with in_transaction():
        await _lock_group(group.id)
        membership = await Membership.get_or_none(group_id=group.id, user_id=user.id)
        if membership is None:
            membership = await Membership.create(
                group=group, user=user, role=role, status=MembershipStatus.ACTIVE, created_at=clock.now()
            )
        elif membership.status == MembershipStatus.ACTIVE:
            raise Conflict(f"{user.name} is already a member of this group.")
        else:
            membership.status, membership.role, membership.created_at = (
                MembershipStatus.ACTIVE,
                role,
                clock.now(),
            )
            await membership.save(update_fields=["status", "role", "created_at"])
        await _recount_members(group)
    return membership


async def do_invite_member(actor: User, group: Group, user: User, *, clock: Clock) -> Membership:
    """A moderator invites a member, who then accepts or declines from the group page. Inviting
    someone who already asked to join simply lets them in."""
    (await get_access(actor, group)).require(Need.MODERATE)
    if user.status != UserStatus.ACTIVE:
        raise Conflict("That account is not active, so it cannot be invited.")
    async with in_transaction():
        await _lock_group(group.id)
        membership = await Membership.get_or_none(group_id=group.id, user_id=user.id)
        if membership is None:
            membership = await Membership.create(
                group=group, user=user, status=MembershipStatus.INVITED, created_at=clock.now()
            )
        elif membership.status == MembershipStatus.ACTIVE:
            raise Conflict(f"{user.name} is already a member of this group.")
        elif membership.status == MembershipStatus.INVITED:
            raise Conflict(f"{user.name} has already been invited.")
        else:
            membership.status, membership.created_at = MembershipStatus.ACTIVE, clock.now()
            await membership.save(update_fields=["status", "created_at"])
        await _recount_members(group)
    return membership


async def do_approve_member(actor: User, group: Group, user_id: int, *, clock: Clock) -> Membership:
    """A moderator lets in someone who asked to join."""
    access = (await get_access(actor, group)).require(Need.MODERATE)
    async with in_transaction():
        await _lock_group(group.id)
        membership = await Membership.get_or_none(group_id=group.id, user_id=user_id)
        if membership is None:
            raise NotFound("There is no request to join from that member.")
        if membership.status == MembershipStatus.ACTIVE:
            raise Conflict("That person is already a member of this group.")
        if membership.status == MembershipStatus.INVITED:
            raise Conflict("That person was invited and must accept the invitation themselves.")
        membership.status, membership.created_at = MembershipStatus.ACTIVE, clock.now()
        await membership.save(update_fields=["status", "created_at"])
        await _recount_members(group)
        await _audit(access, "group.member_approve", group, clock, target_id=user_id)
    return membership


async def do_remove_member(actor: User, group: Group, user_id: int, *, clock: Clock) -> Membership:
    """A moderator declines a request, withdraws an invitation or removes a member. Removing
    oneself is leaving."""
    access = await get_access(actor, group)
    if access.actor is not None and access.actor.id == user_id:
        return await do_leave_group(actor, group, clock=clock)
    access.require(Need.MODERATE)
    membership = await _remove(group, user_id, "That person is not a member of this group.")
    await _audit(
        access, "group.member_remove", group, clock, target_id=user_id, data={"was": str(membership.status)}
    )
    return membership


async def do_set_member_role(
    actor: User, group: Group, user_id: int, *, role: GroupRole, clock: Clock
) -> Membership:
    """Promote a member to moderator, or make a moderator an ordinary member again."""
    access = (await get_access(actor, group)).require(Need.MODERATE)
    async with in_transaction():
        await _lock_group(group.id)
        membership = await Membership.get_or_none(group_id=group.id, user_id=user_id)
        if membership is None or membership.status != MembershipStatus.ACTIVE:
            raise NotFound("That person is not a member of this group.")
        if role == GroupRole.MEMBER and membership.role == GroupRole.MODERATOR:
            if await _other_moderators(group, user_id) == 0:
                raise Conflict(LAST_MODERATOR)
        was = str(membership.role)
        membership.role = role
        await membership.save(update_fields=["role"])
        if was != str(role):
            await _audit(
                access,
                "group.member_role",
                group,
                clock,
                target_id=user_id,
                data={"from": was, "to": str(role)},
            )
    return membership


async def list_members(access: GroupAccess) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(active members, pending requests and invitations). Only moderators see the pending ones."""
    access.require(Need.MEMBERS)
    rows = (
        await Membership.filter(group_id=access.group.id)
        .exclude(user__status=UserStatus.DELETED)
        .order_by("-role", "user__name")
        .values("user_id", "role", "status", "created_at", "user__username", "user__name")
    )
    members = [r for r in rows if r["status"] == MembershipStatus.ACTIVE]
    pending = [r for r in rows if r["status"] != MembershipStatus.ACTIVE] if access.can_moderate else []
    return members, pending
