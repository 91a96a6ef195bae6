"""Members service: accounts and registration (check_*, do_*, get_*).

Signing in lives in members/signin.py, password recovery in members/recovery.py, profiles in
members/profiles.py, sessions and API tokens in members/access.py, the admin area in
members/admin.py and invitations in members/invitations.py."""

from __future__ import annotations

import asyncio
import re
import unicodedata
from dataclasses import dataclass

from convene.clock import Clock
from convene.db import in_transaction
from convene.errors import BadRequest, Conflict, Forbidden, Invalid
from convene.security import Passwords
from convene.settings import REGISTRATION_MODES, Settings
from members.context import Site
from members.invitations import get_open_invitation
from members.models import Invitation, Role, SiteSetting, User, UserStatus
from members.schemas import MIN_PASSWORD, RegisterIn, password_problem
from members.sessions import do_start_session

__all__ = [
    "EXPIRED_INVITATION",
    "MIN_PASSWORD",
    "Registration",
    "check_can_register",
    "check_password_strength",
    "do_create_user",
    "do_register",
    "get_registration_mode",
    "get_site_setting",
    "normalise_email",
    "suggest_username",
]

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,38}[a-z0-9]$")
REGISTRATION_MODE_KEY = "registration_mode"
EXPIRED_INVITATION = (
    "This invitation link has expired or has already been used. "
    "Please ask the person who invited you for a new one."
)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def suggest_username(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", ".", ascii_name.lower()).strip(".")
    slug = slug[:30].strip(".")
    # A one- or two-letter name ("Li") still needs a username the pattern accepts.
    return slug if len(slug) >= 3 else (slug + ".member" if slug else "member")


async def _free_username(base: str) -> str:
    candidate, n = base, 1
    while await User.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def check_password_strength(password: str, *, email: str = "", name: str = "") -> None:
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise Invalid(fields={"password": problem})


async def do_create_user(
    *,
    email: str,
    name: str,
    password: str,
    passwords: Passwords,
    clock: Clock,
    role: Role = Role.MEMBER,
    status: UserStatus = UserStatus.ACTIVE,
    username: str | None = None,
    terms_accepted: bool = False,
) -> User:
    email = normalise_email(email)
    name = " ".join(name.split())
    if not name:
        raise Invalid(fields={"name": "Please enter your name."})
    check_password_strength(password, email=email, name=name)
    if await User.filter(email=email).exists():
        raise Conflict(
            "An account with that email address already exists.",
            fields={"email": "An account with that email address already exists."},
        )
    if username:
        username = username.strip().lower()
        if not USERNAME_RE.match(username):
            raise Invalid(
                fields={
                    "username": "Use 3 to 40 lower-case letters, digits, dots, dashes or "
                    "underscores, starting and ending with a letter or digit."
                }
            )
        if await User.filter(username=username).exists():
            raise Conflict("That username is taken.", fields={"username": "That username is taken."})
    else:
        username = await _free_username(suggest_username(name))
    # Argon2 is deliberately slow; hashing on a worker thread keeps other requests moving.
    password_hash = await asyncio.to_thread(passwords.hash, password)
    now = clock.now()
    return await User.create(
        email=email,
        username=username,
        name=name,
        password_hash=password_hash,
        role=role,
        status=status,
        created_at=now,
        terms_accepted_at=now if terms_accepted else None,
    )


async def get_site_setting(key: str, default: str) -> str:
    row = await SiteSetting.get_or_none(key=key)
    return row.value if row is not None else default


async def get_registration_mode(settings: Settings) -> str:
    """The admin's choice (kept in the database) wins over the configured default."""
    mode = await get_site_setting(REGISTRATION_MODE_KEY, settings.registration_mode)
    return mode if mode in REGISTRATION_MODES else settings.registration_mode


def check_can_register(mode: str, invitation: Invitation | None) -> None:
    if mode == "invitation" and invitation is None:
        raise Forbidden(
            "Registration on this site is by invitation only. If someone has invited you, "
            "please use the link in their email."
        )


@dataclass
class Registration:
    user: User
    pending: bool
    session: str | None  # an active account is signed in at once; a pending one is not

    @property
    def message(self) -> str:
        if self.pending:
            return (
                "Thank you for registering. An administrator will review your request; "
                "we will email you as soon as your account is approved."
            )
        return "Welcome! Your account is ready."


async def do_register(site: Site, data: RegisterIn, user_agent: str = "") -> Registration:
    """Create an account according to the registration mode. An invitation (in any mode) makes the
    account active at once, with the role the admin chose, and is used up."""
    now = site.clock.now()
    mode = await get_registration_mode(site.settings)
    invitation = await get_open_invitation(data.invite, now) if data.invite else None
    if data.invite and invitation is None:
        # Where an invitation is the only way in, a dead link is a closed door (403), as with none.
        raise (Forbidden if mode == "invitation" else BadRequest)(EXPIRED_INVITATION)
    check_can_register(mode, invitation)
    pending = invitation is None and mode == "approval"
    async with in_transaction():
        if invitation is not None:
            # The conditional update makes the invitation single-use even under concurrent requests.
            claimed = await Invitation.filter(id=invitation.id, accepted_at=None).update(accepted_at=now)
            if not claimed:
                raise BadRequest(EXPIRED_INVITATION)
        user = await do_create_user(
            # The invitation's address was proven by the email that carried the link.
            email=invitation.email if invitation is not None else data.email,
            name=data.name,
            password=data.password,
            passwords=site.passwords,
            clock=site.clock,
            role=Role(invitation.role) if invitation is not None else Role.MEMBER,
            status=UserStatus.PENDING if pending else UserStatus.ACTIVE,
            username=data.username,
            terms_accepted=data.consent,
        )
        if data.organisation:
            user.organisation = data.organisation
            await user.save(update_fields=["organisation"])
    session = None
    if not pending:
        session = await do_start_session(user, site.clock, site.settings.session_days, user_agent)
    return Registration(user=user, pending=pending, session=session)
