"""Who may do what in a group: the one place the forum's permission rules live.

Every rule is written once, in `_refusal`, as "the error this viewer gets for this need, or
None". The `check_*` functions raise that error; the `GroupAccess.can_*` properties answer
yes/no for templates and API answers. Pages, the API and the WebSocket all come through here.

Visibility: public (anyone reads), members (anyone signed in reads), private (only the group's
active members read). A signed-in non-member may *see* a private group (name, description) so
they can ask to join, but never its threads; an anonymous visitor is told it does not exist.
Admins may do everything. An account that is not active counts as anonymous.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from convene.db import Statement, model_from_row
from convene.errors import Conflict, ConveneError, Forbidden, NotAuthenticated, NotFound
from forum.models import Group, GroupRole, Membership, MembershipStatus, Visibility
from members.models import Role, User, UserStatus


class Need(StrEnum):
    SEE = "see"  # know the group exists: its name and description
    READ = "read"  # read its list of threads
    READ_THREAD = "read_thread"  # open one of its threads (never reveal a private one)
    MEMBERS = "members"  # see who belongs to it
    JOIN = "join"  # join, ask to join, accept an invitation
    POST = "post"  # start a thread or reply
    MODERATE = "moderate"  # manage members and settings


def effective_actor(user: Any) -> User | None:
    """The signed-in, active member behind a request or a call, or None for anyone else."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not isinstance(user, User) or user.status != UserStatus.ACTIVE:
        return None
    return user


@dataclass(frozen=True)
class GroupAccess:
    """A viewer's standing in one group, looked up once per request. A snapshot: the yes/no
    answers (`can_*`) are worked out the first time they are asked and kept, since a page asks
    some of them for every post it shows."""

    actor: User | None
    group: Group
    membership: Membership | None

    @property
    def is_admin(self) -> bool:
        return self.actor is not None and self.actor.role == Role.ADMIN

    @property
    def is_member(self) -> bool:
        return self.membership is not None and self.membership.status == MembershipStatus.ACTIVE

    @property
    def is_moderator(self) -> bool:
        return self.is_member and self.membership is not None and self.membership.role == GroupRole.MODERATOR

    @property
    def status(self) -> MembershipStatus | None:
        return None if self.membership is None else MembershipStatus(self.membership.status)

    def refusal(self, need: Need) -> ConveneError | None:
        return _refusal(self, need)

    def allows(self, need: Need) -> bool:
        return _refusal(self, need) is None

    def require(self, need: Need) -> GroupAccess:
        error = _refusal(self, need)
        if error is not None:
            raise error
        return self

    @cached_property
    def can_see(self) -> bool:
        return self.allows(Need.SEE)

    @cached_property
    def can_read(self) -> bool:
        return self.allows(Need.READ)

    @cached_property
    def can_see_members(self) -> bool:
        return self.allows(Need.MEMBERS)

    @cached_property
    def can_post(self) -> bool:
        return self.allows(Need.POST)

    @cached_property
    def can_moderate(self) -> bool:
        return self.allows(Need.MODERATE)


def _refusal(access: GroupAccess, need: Need) -> ConveneError | None:
    actor, visibility = access.actor, Visibility(access.group.visibility)
    if access.is_admin:
        return None
    # Existence first: an anonymous visitor never learns that a private group exists.
    if actor is None:
        if visibility == Visibility.PRIVATE:
            return NotFound()
        if visibility == Visibility.MEMBERS:
            return NotAuthenticated("Please sign in to see this group: it is open to members of the network.")
    if need == Need.SEE:
        return None
    if need in (Need.READ, Need.READ_THREAD):
        if visibility != Visibility.PRIVATE or access.is_member:
            return None
        if need == Need.READ_THREAD:
            return NotFound()
        return Forbidden("This is a private group: only its members can read its discussions.")
    if actor is None:
        return NotAuthenticated()
    if need == Need.JOIN:
        return None
    if need == Need.MEMBERS:
        if visibility == Visibility.PRIVATE and not access.is_member:
            return Forbidden("Only members of this private group can see who belongs to it.")
        return None
    if need == Need.POST:
        if access.is_member:
            return None
        return Forbidden("Only members of this group can post here. Join the group first.")
    if need == Need.MODERATE:
        if access.is_moderator:
            return None
        return Forbidden("Only the group's moderators can do that.")
    raise AssertionError(f"unknown need {need!r}")


def thread_is_locked(thread: Any, now: datetime) -> bool:
    """Locked by a moderator, or past its closing date (closes_at): the clock decides, no job runs."""
    closes_at = getattr(thread, "closes_at", None)
    return getattr(thread, "locked_at", None) is not None or (closes_at is not None and closes_at <= now)


def thread_refusal(
    access: GroupAccess, thread: Any, now: datetime | None, *, writing: bool
) -> ConveneError | None:
    """The thread-level rules on top of the group's: a deleted thread does not exist except for
    the group's moderators; a locked or closed one takes no new replies or edits (`writing`),
    except from its moderators, who may still explain why they locked it."""
    if getattr(thread, "deleted_at", None) is not None and not access.can_moderate:
        return NotFound()
    if writing and now is not None and thread_is_locked(thread, now) and not access.can_moderate:
        if getattr(thread, "locked_at", None) is None:
            when = thread.closes_at.strftime("%d %B %Y")
            return Conflict(f"This thread closed on {when}, so it no longer takes new replies or edits.")
        return Conflict("This thread is locked, so it no longer takes new replies or edits.")
    return None


def check_thread_writable(access: GroupAccess, thread: Any, now: datetime) -> None:
    error = thread_refusal(access, thread, now, writing=True)
    if error is not None:
        raise error


# Every group page, thread page and service call looks these up, so they are written out
# (convene/db.py Statement): a membership, or a group by its address with the viewer's
# membership in one read. A NULL user matches no membership: an anonymous visitor has none.
_MEMBERSHIP = Statement(
    """SELECT {m} FROM "memberships" m WHERE m."group_id" = ? AND m."user_id" = ?""",
    columns={"m": Membership},
)
GROUP_ACCESS_COLUMNS = {"g": Group, "m": Membership}


def group_access_sql(where: str, extra: str = "") -> str:
    """A Statement's SQL reading a group and the viewer's membership, for access_from_row: `extra`
    columns (", (SELECT …) AS name", their values bound first), then the viewer's id (NULL for
    nobody), then the values of `where`. Use with columns=GROUP_ACCESS_COLUMNS."""
    # Fragments written in the code, never input: every value is bound.
    join = 'LEFT JOIN "memberships" m ON m."group_id" = g."id" AND m."user_id" = ?'
    return f'SELECT {{g}}, {{m}}{extra} FROM "groups" g {join} WHERE {where}'  # noqa: S608


_GROUP_BY_SLUG = Statement(group_access_sql('g."slug" = ?'), columns=GROUP_ACCESS_COLUMNS)
_GROUP_BY_ID = Statement(group_access_sql('g."id" = ?'), columns=GROUP_ACCESS_COLUMNS)


async def get_access(viewer: Any, group: Group) -> GroupAccess:
    actor = effective_actor(viewer)
    membership = None
    if actor is not None:
        membership = model_from_row(Membership, await _MEMBERSHIP.row(group.id, actor.id), "m")
    return GroupAccess(actor, group, membership)


async def get_access_by_slug(viewer: Any, slug: str) -> GroupAccess | None:
    """get_access for the group at an address (None if there is none), in one read."""
    return await _access_by(_GROUP_BY_SLUG, viewer, slug)


async def get_access_by_id(viewer: Any, group_id: int) -> GroupAccess | None:
    """get_access for the group with this id (None if there is none), in one read: for callers
    that hold only the id, such as a group's chat room on every message sent to it."""
    return await _access_by(_GROUP_BY_ID, viewer, group_id)


async def _access_by(statement: Statement, viewer: Any, key: Any) -> GroupAccess | None:
    return access_from_row(viewer, await statement.row(actor_id(viewer), key))


def actor_id(viewer: Any) -> int | None:
    """The id a group_access_sql statement takes for the viewer."""
    actor = effective_actor(viewer)
    return actor.id if actor is not None else None


def require_found(access: GroupAccess | None, need: Need) -> GroupAccess:
    """`access` (from get_access_by_* or access_from_row) if the viewer may `need` the group;
    NotFound when there is no such group, else the error for that need."""
    if access is None:
        raise NotFound()
    return access.require(need)


def access_from_row(viewer: Any, row: dict[str, Any] | None) -> GroupAccess | None:
    """The viewer's access from a group_access_sql row; None when there is no such group."""
    group = model_from_row(Group, row, "g")
    if group is None:
        return None
    return GroupAccess(effective_actor(viewer), group, model_from_row(Membership, row, "m"))


async def check_can_see_group(viewer: Any, group: Group) -> GroupAccess:
    return (await get_access(viewer, group)).require(Need.SEE)


async def check_can_read_group(viewer: Any, group: Group) -> GroupAccess:
    return (await get_access(viewer, group)).require(Need.READ)


async def check_can_read_thread(viewer: Any, group: Group) -> GroupAccess:
    return (await get_access(viewer, group)).require(Need.READ_THREAD)


async def check_can_see_members(viewer: Any, group: Group) -> GroupAccess:
    return (await get_access(viewer, group)).require(Need.MEMBERS)


async def check_can_post(viewer: Any, group: Group) -> GroupAccess:
    return (await get_access(viewer, group)).require(Need.POST)


async def check_can_moderate_group(viewer: Any, group: Group) -> GroupAccess:
    return (await get_access(viewer, group)).require(Need.MODERATE)


def check_can_create_group(viewer: Any) -> User:
    """Facilitators, moderators and admins of the site may start groups."""
    actor = effective_actor(viewer)
    if actor is None:
        raise NotAuthenticated("Please sign in to create a group.")
    if not actor.has_role(Role.FACILITATOR):
        raise Forbidden("Only facilitators, moderators and administrators can create groups.")
    return actor


def can_create_group(viewer: Any) -> bool:
    actor = effective_actor(viewer)
    return actor is not None and actor.has_role(Role.FACILITATOR)
