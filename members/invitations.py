"""Invitations: an admin invites someone by email; the emailed link lets them join once, with the
role the admin chose, whatever the registration mode."""

from __future__ import annotations

from datetime import datetime, timedelta

from convene.db import in_transaction
from convene.errors import Conflict, NotFound
from convene.security import new_token, token_hash
from members.context import Site
from members.emails import send_email
from members.models import Invitation, Role, User
from members.permissions import check_is_admin

INVITATION_DAYS = 14


async def get_open_invitation(token: str, now: datetime) -> Invitation | None:
    """The invitation a link stands for, if it can still be used; None for unknown, used or expired."""
    return (
        await Invitation.filter(token_hash=token_hash(token), accepted_at=None, expires_at__gt=now)
        .select_related("invited_by")
        .first()
    )


async def do_invite(site: Site, actor: object, email: str, role: Role) -> Invitation:
    admin = check_is_admin(actor)
    if await User.filter(email=email).exists():
        raise Conflict(
            "There is already an account with that email address.",
            fields={"email": "There is already an account with that email address."},
        )
    now = site.clock.now()
    token = new_token()
    async with in_transaction():
        # Inviting the same address again replaces the earlier link: only the newest one works.
        await Invitation.filter(email=email, accepted_at=None).delete()
        invitation = await Invitation.create(
            token_hash=token_hash(token),
            email=email,
            role=role,
            invited_by=admin,
            created_at=now,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
    await send_email(
        site,
        "invitation",
        email,
        {
            "inviter": admin.name,
            "link": f"{site.settings.base_url}/register?invite={token}",
            "days": INVITATION_DAYS,
            "role": str(role),
        },
    )
    return invitation


async def list_invitations(actor: object, limit: int = 200) -> list[Invitation]:
    check_is_admin(actor)
    return await Invitation.all().select_related("invited_by").order_by("-created_at", "-id").limit(limit)


async def do_revoke_invitation(actor: object, invitation_id: int) -> None:
    """Revoking deletes an invitation that has not been used, so its link stops working at once."""
    check_is_admin(actor)
    invitation = await Invitation.get_or_none(id=invitation_id)
    if invitation is None:
        raise NotFound("That invitation does not exist (it may already have been revoked).")
    if invitation.accepted_at is not None:
        raise Conflict("That invitation has already been accepted; it can no longer be revoked.")
    await invitation.delete()
