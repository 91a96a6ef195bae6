"""Who may see and change library resources: the one place the library's permission rules live.

A network-wide resource is read by everyone ("public") or by signed-in members ("members"). A
resource shared in a group follows the group's rules through forum.access: a private group's
resource does not exist for anyone outside it, on pages, in the API, in search and in feeds.
`visible_resources` is the same rule as a query, used by every list.

Adding: any active member may share with the network; in a group, those who may post there.
Changing and deleting: the member who added it, the group's moderators, the site's moderators.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from convene.errors import Forbidden, Invalid, NotAuthenticated, NotFound
from forum.access import check_can_read_thread, effective_actor, get_access
from forum.groups import list_readable_group_ids
from forum.models import Group, Visibility
from library.models import Audience, Resource
from members.models import Role, User


async def visible_resources(viewer: Any) -> QuerySet[Resource]:
    """Every resource `viewer` may read, as a query to filter further."""
    actor = effective_actor(viewer)
    readable = await list_readable_group_ids(viewer)
    if readable is None:  # administrators
        return Resource.all()
    condition = Q(group_id=None, audience=Audience.PUBLIC)
    if actor is not None:
        condition |= Q(group_id=None, audience=Audience.MEMBERS)
    if readable:
        condition |= Q(group_id__in=readable)
    return Resource.filter(condition)


async def public_resources() -> QuerySet[Resource]:
    """What anyone on the web may read: what the feeds carry, whoever asks for them."""
    public_groups = Group.filter(visibility=Visibility.PUBLIC).values_list("id", flat=True)
    ids = list(await public_groups)
    condition = Q(group_id=None, audience=Audience.PUBLIC)
    if ids:
        condition |= Q(group_id__in=ids)
    return Resource.filter(condition)


async def get_readable_resource(viewer: Any, resource_id: int) -> Resource:
    resource = await Resource.get_or_none(id=resource_id)
    if resource is None:
        raise NotFound("There is no such resource. It may have been removed, or you may not have access.")
    await check_can_read_resource(viewer, resource)
    return resource


async def check_can_read_resource(viewer: Any, resource: Resource) -> None:
    if resource.group_id is None:  # type: ignore[attr-defined]
        if resource.audience == Audience.MEMBERS and effective_actor(viewer) is None:
            raise NotAuthenticated(
                "Please sign in to see this resource: it is shared with members of the network."
            )
        return
    group = await Group.get_or_none(id=resource.group_id)  # type: ignore[attr-defined]
    if group is None:
        raise NotFound()
    # READ_THREAD, not READ: an outsider is told a private group's resource does not exist.
    await check_can_read_thread(viewer, group)


def check_signed_in_member(viewer: Any, message: str = "Please sign in to do that.") -> User:
    actor = effective_actor(viewer)
    if actor is None:
        raise NotAuthenticated(message)
    return actor


async def check_can_add_resource(viewer: Any, group: Group | None) -> User:
    actor = check_signed_in_member(viewer, "Please sign in to add resources to the library.")
    if group is not None:
        access = await get_access(actor, group)
        if not access.can_post:
            # One message whether the group is private or not: it does not confirm a private group.
            raise Invalid(fields={"group": "You can only share resources in groups you are a member of."})
    return actor


async def can_edit_resource(viewer: Any, resource: Resource) -> bool:
    actor = effective_actor(viewer)
    if actor is None:
        return False
    if actor.id == resource.created_by_id or actor.has_role(Role.MODERATOR):  # type: ignore[attr-defined]
        return True
    if resource.group_id is not None:  # type: ignore[attr-defined]
        group = await Group.get_or_none(id=resource.group_id)  # type: ignore[attr-defined]
        return group is not None and (await get_access(actor, group)).is_moderator
    return False


async def check_can_edit_resource(viewer: Any, resource: Resource) -> User:
    actor = check_signed_in_member(viewer)
    await check_can_read_resource(actor, resource)
    if not await can_edit_resource(actor, resource):
        raise Forbidden(
            "Only the member who added this resource, its group's moderators and the site's "
            "moderators can change it."
        )
    return actor
