"""Who may do what with a consultation: the one place these rules live.

* See: a group consultation is seen by whoever may read the group's discussions (an outsider of
  a private group is told it does not exist); a network-wide one by any signed-in active member.
  A draft is seen only by those who manage it.
* Take part (answer, comment, ask in the live Q&A): the group's active members, or any active
  member for a network-wide consultation; only while it is open (checked again at the write).
* Manage (edit, schedule, extend, close, reopen, moderate, export, publish the report): its
  facilitator and the site's administrators.
* Create: site facilitators and above, for a group they moderate; site moderators and
  administrators also for the whole network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from consultations.models import Consultation
from consultations.state import State, state_at
from convene.errors import ConveneError, Forbidden, NotAuthenticated, NotFound
from forum.access import GroupAccess, Need, effective_actor, get_access
from forum.models import Group, GroupRole, Membership, MembershipStatus
from members.models import Role, User


@dataclass(frozen=True)
class ConsultationAccess:
    actor: User | None
    consultation: Consultation
    group_access: GroupAccess | None  # None for a network-wide consultation

    @property
    def is_admin(self) -> bool:
        return self.actor is not None and self.actor.role == Role.ADMIN

    @property
    def is_facilitator(self) -> bool:
        return self.actor is not None and self.consultation.facilitator_id == self.actor.id  # type: ignore[attr-defined]

    @property
    def can_manage(self) -> bool:
        return self.is_facilitator or self.is_admin

    @property
    def can_export(self) -> bool:
        return self.can_manage

    @property
    def is_participant(self) -> bool:
        """Belongs to the consultation's audience (whatever its state)."""
        if self.actor is None:
            return False
        if self.group_access is None:
            return True
        return self.group_access.is_member

    def state(self, now: Any) -> State:
        return state_at(self.consultation, now)

    def can_take_part(self, now: Any) -> bool:
        return self.is_participant and self.state(now) == State.OPEN

    def can_see_report(self, now: Any) -> bool:
        return self.can_manage or self.state(now) == State.REPORT_PUBLISHED

    def require_manage(self) -> ConsultationAccess:
        if self.actor is None:
            raise NotAuthenticated()
        if not self.can_manage:
            raise Forbidden("Only the consultation's facilitator and administrators can do that.")
        return self

    def require_participant(self) -> ConsultationAccess:
        if self.actor is None:
            raise NotAuthenticated("Please sign in to take part.")
        if not self.is_participant:
            raise Forbidden(
                "Only members of this group can take part in its consultation. Join the group first."
            )
        return self


def _see_refusal(
    actor: User | None, consultation: Consultation, group_access: GroupAccess | None
) -> ConveneError | None:
    manager = actor is not None and (
        actor.role == Role.ADMIN or consultation.facilitator_id == actor.id  # type: ignore[attr-defined]
    )
    if consultation.published_at is None and not manager:
        return NotFound()  # a draft does not exist for anyone else
    if group_access is None:
        return None if actor is not None else NotAuthenticated("Please sign in to see this consultation.")
    if manager:
        return None
    return group_access.refusal(Need.READ_THREAD)


async def get_consultation_access(viewer: Any, consultation: Consultation) -> ConsultationAccess:
    actor = effective_actor(viewer)
    group_access = None
    if consultation.group_id is not None:  # type: ignore[attr-defined]
        group = consultation.group if isinstance(consultation.group, Group) else None
        if group is None:
            group = await Group.get(id=consultation.group_id)  # type: ignore[attr-defined]
            consultation.group = group
        group_access = await get_access(actor, group)
    return ConsultationAccess(actor, consultation, group_access)


async def check_can_see(viewer: Any, consultation: Consultation) -> ConsultationAccess:
    access = await get_consultation_access(viewer, consultation)
    error = _see_refusal(access.actor, consultation, access.group_access)
    if error is not None:
        raise error
    return access


async def get_visible(viewer: Any, consultation_id: int) -> ConsultationAccess:
    """Look a consultation up and check the viewer may see it (404 otherwise)."""
    consultation = await Consultation.get_or_none(id=consultation_id).select_related("group", "facilitator")
    if consultation is None:
        raise NotFound()
    return await check_can_see(viewer, consultation)


async def get_managed(viewer: Any, consultation_id: int) -> ConsultationAccess:
    return (await get_visible(viewer, consultation_id)).require_manage()


def can_create_anywhere(viewer: Any) -> bool:
    actor = effective_actor(viewer)
    return actor is not None and actor.has_role(Role.FACILITATOR)


async def check_can_create(viewer: Any, group: Group | None) -> User:
    """Facilitators and above: in a group they moderate; site moderators and admins also network-wide."""
    actor = effective_actor(viewer)
    if actor is None:
        raise NotAuthenticated("Please sign in to create a consultation.")
    return await _check_can_facilitate(actor, group, self_check=True)


async def _check_can_facilitate(actor: User, group: Group | None, *, self_check: bool) -> User:
    # The same rule, worded for the person acting or for the person a consultation is handed to.
    if not actor.is_active:
        raise Forbidden(f"{actor.name}'s account is not active, so they cannot facilitate.")
    if not actor.has_role(Role.FACILITATOR):
        raise Forbidden(
            "Only facilitators, moderators and administrators can run consultations."
            if self_check
            else f"{actor.name} is not a facilitator, so the consultation cannot be handed to them."
        )
    if group is None:
        if not actor.has_role(Role.MODERATOR):
            raise Forbidden(
                "Only site moderators and administrators can run a consultation for the whole network."
                if self_check
                else f"{actor.name} is not a site moderator, so they cannot run a network-wide consultation."
            )
        return actor
    if actor.role == Role.ADMIN:
        return actor
    moderates = await Membership.filter(
        group_id=group.id, user_id=actor.id, role=GroupRole.MODERATOR, status=MembershipStatus.ACTIVE
    ).exists()
    if not moderates:
        raise Forbidden(
            "You can run a consultation only in a group you moderate."
            if self_check
            else f"{actor.name} does not moderate this group, so the consultation cannot be handed to them."
        )
    return actor


async def check_can_take_over(target: User, group: Group | None) -> User:
    """A handover goes to someone who could have created the consultation themselves."""
    return await _check_can_facilitate(target, group, self_check=False)


async def list_groups_for_creation(viewer: Any) -> list[Group]:
    actor = effective_actor(viewer)
    if actor is None or not actor.has_role(Role.FACILITATOR):
        return []
    if actor.role == Role.ADMIN:
        return list(await Group.all().order_by("name"))
    ids = await Membership.filter(
        user_id=actor.id, role=GroupRole.MODERATOR, status=MembershipStatus.ACTIVE
    ).values_list("group_id", flat=True)
    return list(await Group.filter(id__in=list(ids)).order_by("name"))


def can_create_network_wide(viewer: Any) -> bool:
    actor = effective_actor(viewer)
    return actor is not None and actor.has_role(Role.MODERATOR)
