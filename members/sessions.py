"""Server-side sessions and API tokens: start, resolve, revoke. Used by the auth backend and services."""

from __future__ import annotations

from datetime import timedelta

from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.requests import HTTPConnection

from convene.clock import Clock
from convene.security import SESSION_COOKIE, new_token, token_hash
from members.models import ApiToken, MemberWarning, Session, User, UserStatus

# Touch last_seen at most this often, so reading pages does not mean writing rows.
_TOUCH_EVERY = timedelta(minutes=5)


async def do_start_session(user: User, clock: Clock, days: int, user_agent: str = "") -> str:
    token = new_token()
    now = clock.now()
    await Session.create(
        token_hash=token_hash(token),
        user=user,
        created_at=now,
        expires_at=now + timedelta(days=days),
        last_seen_at=now,
        user_agent=user_agent[:200],
    )
    return token


async def do_end_session(token: str, clock: Clock) -> None:
    await Session.filter(token_hash=token_hash(token), revoked_at=None).update(revoked_at=clock.now())


async def do_revoke_sessions(user: User, clock: Clock, keep_token: str | None = None) -> int:
    """Revoke every session of a member (password change, suspension), optionally but one."""
    query = Session.filter(user_id=user.id, revoked_at=None)
    if keep_token:
        query = query.exclude(token_hash=token_hash(keep_token))
    return await query.update(revoked_at=clock.now())


async def _lift_expired(user: User, clock: Clock) -> None:
    # A suspension with an end is lifted lazily, the first time the account is used after it.
    # Imported here: members.suspensions revokes sessions through this module.
    from members.suspensions import lift_expired_suspension

    await lift_expired_suspension(user, clock)


async def get_session_user(token: str, clock: Clock, days: int) -> User | None:
    now = clock.now()
    session = (
        await Session.filter(token_hash=token_hash(token), revoked_at=None, expires_at__gt=now)
        .select_related("user")
        .first()
    )
    if session is None:
        return None
    if session.user.status == UserStatus.SUSPENDED:
        await _lift_expired(session.user, clock)
    if session.user.status != UserStatus.ACTIVE:
        return None
    if now - session.last_seen_at > _TOUCH_EVERY:
        # Sliding expiry: a member who keeps visiting stays signed in.
        await Session.filter(id=session.id).update(last_seen_at=now, expires_at=now + timedelta(days=days))
        await User.filter(id=session.user_id).update(last_seen_at=now)
    return session.user


async def get_token_user(token: str, clock: Clock) -> User | None:
    api_token = (
        await ApiToken.filter(token_hash=token_hash(token), revoked_at=None).select_related("user").first()
    )
    if api_token is None:
        return None
    if api_token.user.status == UserStatus.SUSPENDED:
        await _lift_expired(api_token.user, clock)
    if api_token.user.status != UserStatus.ACTIVE:
        return None
    now = clock.now()
    if api_token.last_used_at is None or now - api_token.last_used_at > _TOUCH_EVERY:
        await ApiToken.filter(id=api_token.id).update(last_used_at=now)
    return api_token.user


class Anonymous(BaseUser):
    is_authenticated = False
    id = None
    role = None
    locale = ""
    timezone = "UTC"
    is_admin = False

    @property
    def display_name(self) -> str:
        return ""


class ConveneAuthBackend(AuthenticationBackend):
    """Session cookie for browsers, "Authorization: Bearer <token>" for API clients."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        state = conn.app.state
        auth = conn.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            user = await get_token_user(auth[7:].strip(), state.clock)
            if user is not None:
                return AuthCredentials(["authenticated", "token"]), user  # type: ignore[return-value]
            return AuthCredentials(), Anonymous()
        cookie = conn.cookies.get(SESSION_COOKIE)
        if cookie:
            user = await get_session_user(cookie, state.clock, state.settings.session_days)
            if user is not None:
                if conn.scope["type"] == "http" and not conn.url.path.startswith(("/static/", "/api/")):
                    # Pages show a moderator's warning until it is read (forum/sanctions.py).
                    user.unread_warnings = await MemberWarning.filter(  # type: ignore[attr-defined]
                        user_id=user.id, acknowledged_at=None
                    ).exists()
                return AuthCredentials(["authenticated", "session"]), user  # type: ignore[return-value]
        return AuthCredentials(), Anonymous()
