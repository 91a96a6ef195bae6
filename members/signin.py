"""Signing in and out, with throttling of password guessing per email address and per client address."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from convene.errors import Forbidden, NotAuthenticated, RateLimited
from members.context import Site
from members.models import LoginFailure, User, UserStatus
from members.sessions import do_end_session, do_start_session
from members.suspensions import lift_expired_suspension

# One message for "no such account" and "wrong password", so the form does not reveal who is a member.
BAD_CREDENTIALS = "That email address and password do not match an account here."


def failure_keys(email: str, client_ip: str | None) -> list[str]:
    keys = [f"email:{email.strip().lower()}"[:300]]
    if client_ip:
        keys.append(f"ip:{client_ip}"[:300])
    return keys


async def check_login_allowed(site: Site, keys: list[str]) -> None:
    """Refuse (429) while any key has reached the failure limit within the window, even before the
    password is looked at: otherwise a guesser could still learn when a guess was right."""
    settings = site.settings
    now = site.clock.now()
    window = timedelta(seconds=settings.login_window_seconds)
    limit = settings.login_max_failures
    wait = 0.0
    for key in keys:
        times: list[datetime] = (
            await LoginFailure.filter(key=key, at__gt=now - window)
            .order_by("-at")
            .values_list("at", flat=True)
        )  # type: ignore[assignment]
        if len(times) >= limit:
            # Attempts open up again once enough of the recent failures have aged out of the window.
            oldest_that_counts = times[limit - 1]
            wait = max(wait, (oldest_that_counts + window - now).total_seconds())
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        minutes = max(1, math.ceil(seconds / 60))
        raise RateLimited(
            "Too many unsuccessful sign-in attempts. For your security, please wait "
            f"{minutes} minute{'s' if minutes != 1 else ''} before trying again, "
            "or reset your password.",
            headers={"Retry-After": str(seconds)},
        )


async def _record_failure(site: Site, keys: list[str]) -> None:
    now = site.clock.now()
    # Rows older than the window count for nothing; clearing them here keeps the table small.
    await LoginFailure.filter(at__lte=now - timedelta(seconds=site.settings.login_window_seconds)).delete()
    await LoginFailure.bulk_create([LoginFailure(key=key, at=now) for key in keys])


@dataclass
class SignIn:
    user: User
    token: str


async def do_sign_in(
    site: Site, *, email: str, password: str, client_ip: str | None, user_agent: str = ""
) -> SignIn:
    keys = failure_keys(email, client_ip)
    await check_login_allowed(site, keys)
    user = await User.get_or_none(email=email.strip().lower())
    if user is not None and user.status == UserStatus.DELETED:
        user = None
    # verify() hashes against a dummy when there is no account, so both answers take as long.
    # Argon2 is deliberately slow; a worker thread keeps other requests moving meanwhile.
    matches = await asyncio.to_thread(site.passwords.verify, user.password_hash if user else None, password)
    if not matches or user is None:
        await _record_failure(site, keys)
        raise NotAuthenticated(BAD_CREDENTIALS)
    if user.status == UserStatus.SUSPENDED:
        await lift_expired_suspension(user, site.clock)
    if user.status == UserStatus.PENDING:
        raise Forbidden(
            "Your account is waiting for approval by an administrator. "
            "We will email you as soon as it is approved."
        )
    if user.status == UserStatus.SUSPENDED:
        until = f" until {user.suspended_until:%Y-%m-%d %H:%M} UTC" if user.suspended_until else ""
        raise Forbidden(
            f"This account is suspended{until}. If you think this is a mistake, "
            "please contact the site's administrators."
        )
    if site.passwords.needs_rehash(user.password_hash):
        # The cost settings went up since this hash was made; upgrade it while we have the password.
        user.password_hash = await asyncio.to_thread(site.passwords.hash, password)
        await user.save(update_fields=["password_hash"])
    await LoginFailure.filter(key=keys[0]).delete()
    token = await do_start_session(user, site.clock, site.settings.session_days, user_agent)
    return SignIn(user=user, token=token)


async def do_sign_out(site: Site, token: str | None) -> None:
    if token:
        await do_end_session(token, site.clock)
