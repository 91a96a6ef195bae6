"""Server-side sessions and API tokens: start, resolve, revoke. Used by the auth backend and services."""

from __future__ import annotations

from datetime import timedelta

from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.requests import HTTPConnection

from convene.clock import Clock
from convene.db import Statement, model_from_row
from convene.security import SESSION_COOKIE, new_token, token_hash
from members.models import ApiToken, Session, User, UserStatus

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


# The session, its member and whether a moderator's warning waits unread for them, in one read
# by the unique token hash: it runs on every request that carries the cookie, and Tortoise took
# longer to build the first two queries (1.5 ms) than SQLite takes to answer all three.
_SESSION = Statement(
    """
    SELECT s."id" AS "session_id", s."last_seen_at" AS "session_last_seen_at",
        EXISTS (SELECT 1 FROM "member_warnings" w
                WHERE w."user_id" = s."user_id" AND w."acknowledged_at" IS NULL) AS "unread_warnings",
        {u}
    FROM "sessions" s JOIN "users" u ON u."id" = s."user_id"
    WHERE s."token_hash" = ? AND s."revoked_at" IS NULL AND s."expires_at" > ?
    """,
    columns={"u": User},
    moments=("session_last_seen_at",),
)


async def _resolve_session(token: str, clock: Clock, days: int) -> tuple[User, bool] | None:
    """(the member, whether they have an unread warning) for a live session of an active member."""
    now = clock.now()
    row = await _SESSION.row(token_hash(token), now)
    if row is None:
        return None
    user = model_from_row(User, row, "u")
    assert user is not None  # an inner join
    if user.status == UserStatus.SUSPENDED:
        await _lift_expired(user, clock)
    if user.status != UserStatus.ACTIVE:
        return None
    if now - row["session_last_seen_at"] > _TOUCH_EVERY:
        # Sliding expiry: a member who keeps visiting stays signed in.
        expires_at = now + timedelta(days=days)
        await Session.filter(id=row["session_id"]).update(last_seen_at=now, expires_at=expires_at)
        await User.filter(id=user.id).update(last_seen_at=now)
    return user, bool(row["unread_warnings"])


async def get_session_user(token: str, clock: Clock, days: int) -> User | None:
    found = await _resolve_session(token, clock, days)
    return found[0] if found is not None else None


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
            found = await _resolve_session(cookie, state.clock, state.settings.session_days)
            if found is not None:
                user, unread_warnings = found
                if conn.scope["type"] == "http" and not conn.url.path.startswith(("/static/", "/api/")):
                    # Pages show a moderator's warning until it is read (forum/sanctions.py).
                    user.unread_warnings = unread_warnings  # type: ignore[attr-defined]
                return AuthCredentials(["authenticated", "session"]), user  # type: ignore[return-value]
        return AuthCredentials(), Anonymous()
