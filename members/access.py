"""What a member holds that opens their account: browser sessions and personal API tokens."""

from __future__ import annotations

from dataclasses import dataclass

from convene.errors import Invalid, NotFound
from convene.security import new_token, token_hash
from members.context import Site
from members.models import ApiToken, Session
from members.permissions import check_signed_in
from members.sessions import do_revoke_sessions

# Recognisable in logs and by secret scanners; not itself a secret.
TOKEN_PREFIX = "cvn_"  # noqa: S105
MAX_TOKENS = 50


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari"))  # fmt: skip
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))  # fmt: skip


def describe_user_agent(user_agent: str) -> str:
    """ "Firefox on Windows": enough for a member to recognise a device, unlike the raw header.
    Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari"."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or user_agent[:60]


@dataclass
class SessionView:
    session: Session
    current: bool

    @property
    def device(self) -> str:
        return describe_user_agent(self.session.user_agent)


async def list_sessions(site: Site, actor: object, current_token: str | None) -> list[SessionView]:
    user = check_signed_in(actor)
    current_hash = token_hash(current_token) if current_token else None
    rows = await Session.filter(user_id=user.id, revoked_at=None, expires_at__gt=site.clock.now()).order_by(
        "-last_seen_at", "-id"
    )
    return [SessionView(row, row.token_hash == current_hash) for row in rows]


async def do_revoke_session(site: Site, actor: object, session_id: int) -> None:
    user = check_signed_in(actor)
    ended = await Session.filter(id=session_id, user_id=user.id, revoked_at=None).update(
        revoked_at=site.clock.now()
    )
    if not ended:
        raise NotFound("That session does not exist or has already ended.")


async def do_revoke_other_sessions(site: Site, actor: object, current_token: str | None) -> int:
    user = check_signed_in(actor)
    return await do_revoke_sessions(user, site.clock, keep_token=current_token)


async def list_tokens(actor: object) -> list[ApiToken]:
    user = check_signed_in(actor)
    return await ApiToken.filter(user_id=user.id, revoked_at=None).order_by("-created_at", "-id")


async def do_create_token(site: Site, actor: object, name: str) -> tuple[ApiToken, str]:
    """Returns the row and the secret. The secret is shown once and never stored: only its hash,
    and a short prefix so the member can tell their tokens apart."""
    user = check_signed_in(actor)
    if await ApiToken.filter(user_id=user.id, revoked_at=None).count() >= MAX_TOKENS:
        raise Invalid(fields={"name": f"You already have {MAX_TOKENS} tokens. Revoke one you no longer use."})
    secret = TOKEN_PREFIX + new_token(32)
    row = await ApiToken.create(
        token_hash=token_hash(secret),
        prefix=secret[:10],
        name=name,
        user=user,
        created_at=site.clock.now(),
    )
    return row, secret


async def do_revoke_token(site: Site, actor: object, token_id: int) -> None:
    user = check_signed_in(actor)
    revoked = await ApiToken.filter(id=token_id, user_id=user.id, revoked_at=None).update(
        revoked_at=site.clock.now()
    )
    if not revoked:
        raise NotFound("That token does not exist or has already been revoked.")
