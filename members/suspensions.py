"""Suspensions with a reason and an end: who may suspend whom, and the lazy end of a suspension.

Administrators and site moderators (role "moderator") suspend; a moderator only suspends members
and facilitators, and always for a period; an administrator may suspend anyone but themselves and
the last administrator, and may leave out the end ("until lifted"). A suspension signs the member
out everywhere (members.sessions.do_revoke_sessions); their API tokens stop working because the
account is not active.

Nothing runs at the moment a suspension ends: the next time the account is used (sign-in, a
session, an API token) `lift_expired_suspension` sees the clock has passed `suspended_until`,
makes the account active again with a conditional update (so two requests lift it once), and
records it in the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from convene.clock import Clock
from convene.errors import Conflict, Forbidden, Invalid, NotFound
from members.audit import do_record_audit
from members.models import ROLE_RANK, Role, User, UserStatus
from members.permissions import check_signed_in
from members.sessions import do_revoke_sessions


def can_suspend(actor: Any) -> bool:
    """For templates: may this viewer suspend anyone at all?"""
    return isinstance(actor, User) and actor.is_active and actor.role in (Role.ADMIN, Role.MODERATOR)


def check_can_suspend(actor: Any, target: User) -> User:
    """The actor, if they may suspend (or unsuspend) `target`; otherwise the reason why not."""
    user = check_signed_in(actor)
    if user.role not in (Role.ADMIN, Role.MODERATOR):
        raise Forbidden("Only administrators and site moderators can suspend members.")
    if target.id == user.id:
        raise Forbidden("You cannot suspend yourself.")
    if user.role != Role.ADMIN and ROLE_RANK[Role(target.role)] >= ROLE_RANK[Role.MODERATOR]:
        raise Forbidden("Only an administrator can suspend a moderator or an administrator.")
    return user


async def _target(user_id: int) -> User:
    user = await User.get_or_none(id=user_id)
    if user is None or user.status == UserStatus.DELETED:
        raise NotFound("There is no member with that id.")
    return user


async def do_suspend_member(
    actor: Any, user_id: int, *, until: datetime | None, reason: str, clock: Clock
) -> User:
    """Suspend (or change the end of a suspension). `until` None: until an administrator lifts it."""
    target = await _target(user_id)
    user = check_can_suspend(actor, target)
    now = clock.now()
    if until is None and user.role != Role.ADMIN:
        raise Invalid(fields={"days": "Give the suspension an end: how many days, or until which date."})
    if until is not None and until <= now:
        raise Invalid(fields={"until": "The end of the suspension must be in the future."})
    if not reason.strip():
        raise Invalid(fields={"reason": "Give a reason: it is kept in the audit log."})
    if target.status == UserStatus.PENDING:
        raise Conflict("That account is waiting for approval; reject it instead.")
    async with in_transaction():
        if target.role == Role.ADMIN and target.status == UserStatus.ACTIVE:
            others = (
                await User.filter(role=Role.ADMIN, status=UserStatus.ACTIVE).exclude(id=target.id).count()
            )
            if others == 0:
                raise Conflict(
                    "This is the last active administrator. Make someone else an administrator first."
                )
        was = target.status
        target.status, target.suspended_until = UserStatus.SUSPENDED, until
        await target.save(update_fields=["status", "suspended_until"])
        await do_revoke_sessions(target, clock)
        await do_record_audit(
            user,
            "user.suspend",
            target_type="user",
            target_id=target.id,
            reason=reason.strip(),
            data={
                "username": target.username,
                "until": until.isoformat() if until else None,
                "changed": was == UserStatus.SUSPENDED,
            },
            clock=clock,
        )
    return target


async def do_unsuspend_member(actor: Any, user_id: int, *, reason: str = "", clock: Clock) -> User:
    target = await _target(user_id)
    user = check_can_suspend(actor, target)
    async with in_transaction():
        lifted = await User.filter(id=target.id, status=UserStatus.SUSPENDED).update(
            status=UserStatus.ACTIVE, suspended_until=None
        )
        if not lifted:
            raise Conflict("That account is not suspended.")
        target.status, target.suspended_until = UserStatus.ACTIVE, None
        await do_record_audit(
            user,
            "user.unsuspend",
            target_type="user",
            target_id=target.id,
            reason=reason.strip(),
            data={"username": target.username},
            clock=clock,
        )
    return target


async def lift_expired_suspension(user: User, clock: Clock) -> bool:
    """If `user`'s suspension has run out, make the account active again (and say so). Cheap when
    there is nothing to do: it only looks at the row already in hand."""
    if user.status != UserStatus.SUSPENDED or user.suspended_until is None:
        return False
    now = clock.now()
    if user.suspended_until > now:
        return False
    async with in_transaction():
        lifted = await User.filter(id=user.id, status=UserStatus.SUSPENDED, suspended_until__lte=now).update(
            status=UserStatus.ACTIVE, suspended_until=None
        )
        if lifted:
            await do_record_audit(
                None,
                "user.suspension_ended",
                target_type="user",
                target_id=user.id,
                data={"username": user.username, "until": user.suspended_until.isoformat()},
                clock=clock,
            )
    user.status, user.suspended_until = UserStatus.ACTIVE, None
    return True
