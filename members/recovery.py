"""Forgotten and changed passwords: single-use reset links by email, and the session clean-up that
follows any password change."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from convene.db import in_transaction
from convene.errors import BadRequest, Invalid
from convene.security import new_token, token_hash
from members.context import Site
from members.emails import send_email
from members.models import LoginFailure, PasswordReset, User, UserStatus
from members.permissions import check_signed_in
from members.sessions import do_revoke_sessions, do_start_session
from members.signin import SignIn, failure_keys

# More than this many links within one validity period would only flood someone's inbox.
MAX_RESETS_PER_PERIOD = 3
INVALID_LINK = (
    "This password reset link has expired or has already been used. "
    "Please ask for a new one on the “Forgot your password?” page."
)


async def do_request_password_reset(site: Site, email: str) -> None:
    """Send a reset link if an active account has this address. The caller answers the same way
    either way, so the form cannot be used to find out who is a member."""
    user = await User.get_or_none(email=email, status=UserStatus.ACTIVE)
    if user is None:
        return
    now = site.clock.now()
    period = timedelta(minutes=site.settings.password_reset_minutes)
    recent = await PasswordReset.filter(user_id=user.id, created_at__gt=now - period).count()
    if recent >= MAX_RESETS_PER_PERIOD:
        return
    token = new_token()
    await PasswordReset.create(
        token_hash=token_hash(token), user=user, created_at=now, expires_at=now + period
    )
    await send_email(
        site,
        "password_reset",
        user.email,
        {
            "name": user.name,
            "link": f"{site.settings.base_url}/password/reset/{token}",
            "minutes": site.settings.password_reset_minutes,
        },
        locale=user.locale,
    )


async def get_valid_reset(site: Site, token: str) -> PasswordReset:
    reset = (
        await PasswordReset.filter(
            token_hash=token_hash(token), used_at=None, expires_at__gt=site.clock.now()
        )
        .select_related("user")
        .first()
    )
    if reset is None or reset.user.status != UserStatus.ACTIVE:
        raise BadRequest(INVALID_LINK)
    return reset


async def do_reset_password(site: Site, token: str, password: str, user_agent: str = "") -> SignIn:
    """Set the new password, use up the link (and any other open ones), sign out every device,
    and sign this one in fresh."""
    reset = await get_valid_reset(site, token)
    user = reset.user
    if password.lower() in (user.email.lower(), user.name.lower()):
        raise Invalid(fields={"password": "Your password must not be your email or your name."})
    password_hash = await asyncio.to_thread(site.passwords.hash, password)
    now = site.clock.now()
    async with in_transaction():
        claimed = await PasswordReset.filter(id=reset.id, used_at=None).update(used_at=now)
        if not claimed:
            raise BadRequest(INVALID_LINK)
        await PasswordReset.filter(user_id=user.id, used_at=None).update(used_at=now)
        await User.filter(id=user.id).update(password_hash=password_hash)
        await do_revoke_sessions(user, site.clock)
        # Whoever holds the mailbox has proven themselves: earlier failed guesses no longer count.
        await LoginFailure.filter(key=failure_keys(user.email, None)[0]).delete()
        session = await do_start_session(user, site.clock, site.settings.session_days, user_agent)
    user.password_hash = password_hash
    return SignIn(user=user, token=session)


async def do_change_password(
    site: Site, actor: object, *, current_password: str, new_password: str, keep_session: str | None
) -> int:
    """Change a signed-in member's password; every other session ends. Returns how many ended."""
    user = check_signed_in(actor)
    if not await asyncio.to_thread(site.passwords.verify, user.password_hash, current_password):
        raise Invalid(fields={"current_password": "That is not your current password."})
    if new_password == current_password:
        raise Invalid(fields={"new_password": "Choose a password different from your current one."})
    if new_password.lower() in (user.email.lower(), user.name.lower()):
        raise Invalid(fields={"new_password": "Your password must not be your email or your name."})
    password_hash = await asyncio.to_thread(site.passwords.hash, new_password)
    async with in_transaction():
        await User.filter(id=user.id).update(password_hash=password_hash)
        ended = await do_revoke_sessions(user, site.clock, keep_token=keep_session)
    user.password_hash = password_hash
    return ended
