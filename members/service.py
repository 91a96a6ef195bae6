"""Members service: who may do what with accounts, and the changes themselves (check_*, do_*, get_*)."""

from __future__ import annotations

import re
import unicodedata

from convene.clock import Clock
from convene.errors import Conflict, Invalid
from convene.security import Passwords
from members.models import Role, User, UserStatus

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,38}[a-z0-9]$")
MIN_PASSWORD = 10


def normalise_email(email: str) -> str:
    return email.strip().lower()


def suggest_username(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", ".", ascii_name.lower()).strip(".")
    return (slug or "member")[:30]


async def _free_username(base: str) -> str:
    candidate, n = base, 1
    while await User.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def check_password_strength(password: str, *, email: str = "", name: str = "") -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(fields={"password": f"Use at least {MIN_PASSWORD} characters."})
    if len(password) > 1024:
        raise Invalid(fields={"password": "That password is too long (1024 characters at most)."})
    lowered = password.lower()
    if email and lowered == email.lower() or name and lowered == name.lower():
        raise Invalid(fields={"password": "Your password must not be your email or your name."})


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
            raise Conflict(fields={"username": "That username is taken."})
    else:
        username = await _free_username(suggest_username(name))
    now = clock.now()
    return await User.create(
        email=email,
        username=username,
        name=name,
        password_hash=passwords.hash(password),
        role=role,
        status=status,
        created_at=now,
        terms_accepted_at=now if terms_accepted else None,
    )
