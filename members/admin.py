"""The admin area's service: member management, registration mode, the terms page. Admins only."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.functions import Count

from convene.clock import Clock
from convene.db import in_transaction
from convene.errors import Conflict, NotFound
from convene.markup import render_markdown
from members.audit import do_record_audit
from members.context import Site
from members.emails import send_email
from members.models import Invitation, Role, SiteSetting, User, UserStatus
from members.permissions import check_is_admin
from members.schemas import MemberQuery, SiteSettingsIn
from members.service import REGISTRATION_MODE_KEY, get_registration_mode, get_site_setting
from members.sessions import do_revoke_sessions

PAGE_SIZE = 25
TERMS_KEY = "terms"
TERMS_HTML_KEY = "terms_html"
LAST_ADMIN = "This is the last active administrator. Make someone else an administrator first."


@dataclass
class Overview:
    registration_mode: str
    by_status: dict[str, int]
    by_role: dict[str, int]
    open_invitations: int
    terms: str


async def _counts(field: str, **filters: object) -> dict[str, int]:
    rows = await User.filter(**filters).annotate(n=Count("id")).group_by(field).values(field, "n")
    return {str(row[field]): row["n"] for row in rows}


async def get_overview(site: Site, actor: object) -> Overview:
    check_is_admin(actor)
    now = site.clock.now()
    by_status = {status.value: 0 for status in UserStatus} | await _counts("status")
    by_role = {role.value: 0 for role in Role} | await _counts("role", status=UserStatus.ACTIVE)
    return Overview(
        registration_mode=await get_registration_mode(site.settings),
        by_status=by_status,
        by_role=by_role,
        open_invitations=await Invitation.filter(accepted_at=None, expires_at__gt=now).count(),
        terms=await get_site_setting(TERMS_KEY, ""),
    )


@dataclass
class MemberPage:
    items: list[User]
    page: int
    pages: int
    total: int


async def list_members(actor: object, query: MemberQuery) -> MemberPage:
    check_is_admin(actor)
    qs = User.all()
    if query.status:
        qs = qs.filter(status=query.status)
    if query.role:
        qs = qs.filter(role=query.role)
    if query.q:
        qs = qs.filter(
            Q(name__icontains=query.q) | Q(email__icontains=query.q) | Q(username__icontains=query.q)
        )
    total = await qs.count()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(query.page, pages)
    # Pending accounts are a queue: oldest first. Everything else: newest first.
    order = ("created_at", "id") if query.status == "pending" else ("-created_at", "-id")
    items = await qs.order_by(*order).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    return MemberPage(items=list(items), page=page, pages=pages, total=total)


async def _audit(admin: User, action: str, user: User, clock: Clock, data: dict | None = None) -> None:
    """Every admin action on a member goes to the audit log (members/audit.py)."""
    await do_record_audit(
        admin,
        action,
        target_type="user",
        target_id=user.id,
        data={"username": user.username, **(data or {})},
        clock=clock,
    )


async def _target(user_id: int) -> User:
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound("There is no member with that id.")
    return user


async def _check_not_last_admin(user: User) -> None:
    if user.role == Role.ADMIN and user.status == UserStatus.ACTIVE:
        others = await User.filter(role=Role.ADMIN, status=UserStatus.ACTIVE).exclude(id=user.id).count()
        if others == 0:
            raise Conflict(LAST_ADMIN)


async def do_set_role(actor: object, user_id: int, role: Role, *, clock: Clock) -> User:
    admin = check_is_admin(actor)
    async with in_transaction():
        user = await _target(user_id)
        if role != Role.ADMIN:
            await _check_not_last_admin(user)
        was = user.role
        user.role = role
        await user.save(update_fields=["role"])
        if was != role:
            await _audit(admin, "user.role", user, clock, {"from": str(was), "to": str(role)})
    return user


async def do_approve(site: Site, actor: object, user_id: int) -> User:
    admin = check_is_admin(actor)
    user = await _target(user_id)
    claimed = await User.filter(id=user.id, status=UserStatus.PENDING).update(status=UserStatus.ACTIVE)
    if not claimed:
        raise Conflict("That account is not waiting for approval.")
    user.status = UserStatus.ACTIVE
    await _audit(admin, "user.approve", user, site.clock)
    await send_email(
        site,
        "account_approved",
        user.email,
        {"name": user.name, "link": f"{site.settings.base_url}/login"},
        locale=user.locale,
    )
    return user


async def do_reject(actor: object, user_id: int, *, clock: Clock) -> None:
    """A rejected request leaves nothing behind: the pending account and its data are deleted.
    The audit entry keeps only the username, not the email address."""
    admin = check_is_admin(actor)
    user = await _target(user_id)
    if user.status != UserStatus.PENDING:
        raise Conflict("Only accounts waiting for approval can be rejected.")
    if await User.filter(id=user.id, status=UserStatus.PENDING).delete():
        await _audit(admin, "user.reject", user, clock)


async def do_suspend(site: Site, actor: object, user_id: int) -> User:
    """Suspend until lifted (members/suspensions.py suspends for a period, with a reason)."""
    admin = check_is_admin(actor)
    async with in_transaction():
        user = await _target(user_id)
        if user.status != UserStatus.ACTIVE:
            raise Conflict("Only active accounts can be suspended.")
        await _check_not_last_admin(user)
        user.status, user.suspended_until = UserStatus.SUSPENDED, None
        await user.save(update_fields=["status", "suspended_until"])
        # Signed out everywhere at once; API tokens stop working because the account is not active.
        await do_revoke_sessions(user, site.clock)
        await _audit(admin, "user.suspend", user, site.clock, {"until": None})
    return user


async def do_unsuspend(actor: object, user_id: int, *, clock: Clock) -> User:
    admin = check_is_admin(actor)
    user = await _target(user_id)
    claimed = await User.filter(id=user.id, status=UserStatus.SUSPENDED).update(
        status=UserStatus.ACTIVE, suspended_until=None
    )
    if not claimed:
        raise Conflict("That account is not suspended.")
    user.status, user.suspended_until = UserStatus.ACTIVE, None
    await _audit(admin, "user.unsuspend", user, clock)
    return user


async def _put_setting(key: str, value: str) -> None:
    await SiteSetting.update_or_create(defaults={"value": value}, key=key)


async def do_update_site_settings(site: Site, actor: object, changes: SiteSettingsIn) -> Overview:
    admin = check_is_admin(actor)
    async with in_transaction():
        if changes.registration_mode is not None:
            await _put_setting(REGISTRATION_MODE_KEY, changes.registration_mode)
        if changes.terms is not None:
            terms = changes.terms.strip()
            await _put_setting(TERMS_KEY, terms)
            await _put_setting(TERMS_HTML_KEY, render_markdown(terms))
        changed = [k for k in ("registration_mode", "terms") if getattr(changes, k) is not None]
        if changed:
            data = {"changed": changed, "registration_mode": changes.registration_mode}
            await do_record_audit(
                admin, "site.settings", target_type="site", target_id=None, data=data, clock=site.clock
            )
    return await get_overview(site, actor)


async def get_terms_html() -> str:
    """The site's own terms and privacy notice, as safe HTML; empty until an admin writes one."""
    return await get_site_setting(TERMS_HTML_KEY, "")
