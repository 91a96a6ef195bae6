"""The audit log: every moderator and administrator action, recorded with who, what, when and why.

Services call `do_record_audit` inside the same transaction as the change they record (pass
`using_db`), so an action and its record are kept or rolled back together. Reading the whole log is
for administrators only; group moderators read their own group's entries through the forum's
moderation service, which checks the group and then calls `query_audit`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from convene.clock import Clock
from members.models import AuditEntry, User
from members.permissions import check_is_admin

PAGE_SIZE = 50

# The actions written by the code base, for the admin page's filter. Unknown actions still filter.
KNOWN_ACTIONS = (
    "post.hide",
    "post.unhide",
    "post.auto_hide",
    "flags.dismiss",
    "post.edit",
    "post.delete",
    "post.restore",
    "thread.delete",
    "thread.restore",
    "thread.rename",
    "thread.move",
    "thread.pin",
    "thread.unpin",
    "thread.lock",
    "thread.unlock",
    "thread.close_date",
    "group.update",
    "group.member_approve",
    "group.member_remove",
    "group.member_role",
    "user.warn",
    "user.suspend",
    "user.unsuspend",
    "user.suspension_ended",
    "user.role",
    "user.approve",
    "user.reject",
    "user.erase",
    "site.settings",
    "site.privacy",
    "library.edit",
    "library.delete",
    "library.comment_delete",
)


async def do_record_audit(
    actor: object,
    action: str,
    *,
    target_type: str,
    target_id: int | None,
    group_id: int | None = None,
    reason: str = "",
    data: dict | None = None,
    clock: Clock,
    using_db: Any = None,
) -> None:
    """Store one audit entry. `actor` is the acting User, or None for the system (auto-hide,
    expired suspensions). No permission check: callers have already checked the action itself."""
    actor_id = actor.id if isinstance(actor, User) else None
    await AuditEntry.create(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        group_id=group_id,
        reason=reason or "",
        data=data or {},
        created_at=clock.now(),
        using_db=using_db,
    )


@dataclass
class AuditPage:
    items: list[AuditEntry]
    page: int
    pages: int
    total: int


async def query_audit(
    *,
    action: str | None = None,
    actor: str | None = None,
    group_id: int | None = None,
    group_ids: list[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
) -> AuditPage:
    """Filtered, newest-first page of entries. No permission check: callers check first.

    `actor` is a username (what a person types in the filter); an unknown username matches nothing
    rather than everything. `until` is exclusive, so a day range is [start of day, start of next)."""
    qs = AuditEntry.all()
    if action:
        qs = qs.filter(action=action)
    if actor:
        qs = qs.filter(actor__username=actor.strip().lstrip("@"))
    if group_id is not None:
        qs = qs.filter(group_id=group_id)
    if group_ids is not None:
        qs = qs.filter(group_id__in=group_ids)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    total = await qs.count()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    items = (
        await qs.order_by("-created_at", "-id")
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .prefetch_related("actor")
    )
    return AuditPage(items=list(items), page=page, pages=pages, total=total)


async def list_audit(
    viewer: object,
    *,
    action: str | None = None,
    actor: str | None = None,
    group_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
) -> AuditPage:
    """The whole site's audit log, for administrators only."""
    check_is_admin(viewer)
    return await query_audit(
        action=action, actor=actor, group_id=group_id, since=since, until=until, page=page
    )
