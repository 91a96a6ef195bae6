"""Security plumbing: password hashing, random tokens, session cookies, CSRF, body limits, Origin checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import tempfile
from collections.abc import Callable
from urllib.parse import parse_qs

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from convene.errors import render_error

SESSION_COOKIE = "convene_session"
CSRF_COOKIE = "convene_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Passwords:
    """Argon2id hashing (argon2-cffi's default type), with cost taken from settings."""

    def __init__(self, time_cost: int = 3, memory_kib: int = 65536) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        # Verifying against this keeps unknown-email sign-ins as slow as known ones.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """We store only a hash of every bearer secret, so a leaked database opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: str, value: str) -> str:
    mac = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{value}.{mac}"


def unsign(secret: str, signed: str) -> str | None:
    value, _, mac = signed.rpartition(".")
    if not value:
        return None
    expected = sign(secret, value).rpartition(".")[2]
    return value if hmac.compare_digest(mac, expected) else None


def origin_allowed(origin: str | None, allowed: str) -> bool:
    return origin is not None and hmac.compare_digest(origin.rstrip("/"), allowed)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class RequestGuard:
    """Pure ASGI middleware that runs before any route:

    * refuses request bodies over the limit with 413 (by Content-Length, and while streaming);
    * for every state-changing request not authenticated by an API token, requires the CSRF token
      (form field ``csrf_token`` or header ``X-CSRF-Token``) to match the CSRF cookie;
    * gives every visitor a CSRF cookie.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        secure_cookies: bool,
        csrf_exempt: Callable[[str], bool] = lambda path: False,
        body_limit_for: Callable[[str], int | None] = lambda path: None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.secure = secure_cookies
        self.csrf_exempt = csrf_exempt
        self.body_limit_for = body_limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csrf_cookie = _cookie(scope, CSRF_COOKIE)
        new_cookie = None
        if not csrf_cookie:
            new_cookie = csrf_cookie = new_token(24)
            scope.setdefault("state", {})["csrf_token"] = new_cookie
        else:
            scope.setdefault("state", {})["csrf_token"] = csrf_cookie

        send = self._with_cookie(send, new_cookie) if new_cookie else send
        if scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return

        limit = self.body_limit_for(scope["path"]) or self.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, 413, "too_large", _too_large(limit))
            return
        # Small bodies stay in memory; a large one (a library upload) spills to a temporary file,
        # so a 25 MB upload does not hold 25 MB of memory while it is checked and handed on.
        body = SpooledBody()
        try:
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body.write(message.get("body", b""))
                more = message.get("more_body", False)
                if body.size > limit:
                    if more:
                        await _drain(receive, limit)
                    await self._refuse(scope, receive, send, 413, "too_large", _too_large(limit))
                    return

            if not self.csrf_exempt(scope["path"]) and not self._is_token_auth(scope):
                sent = _header(scope, CSRF_HEADER.encode()) or await self._form_token(scope, body)
                if not sent or not hmac.compare_digest(sent, csrf_cookie):
                    await self._refuse(
                        scope,
                        receive,
                        send,
                        403,
                        "csrf",
                        "This form has expired or did not come from this site. "
                        "Please reload the page and try again.",
                    )
                    return

            await self.app(scope, body.replayer(receive), send)
        finally:
            body.close()

    @staticmethod
    def _is_token_auth(scope: Scope) -> bool:
        auth = _header(scope, b"authorization") or ""
        return auth.lower().startswith("bearer ")

    @staticmethod
    async def _form_token(scope: Scope, body: SpooledBody) -> str | None:
        ctype = (_header(scope, b"content-type") or "").lower()
        if ctype.startswith("application/x-www-form-urlencoded"):
            values = parse_qs(body.read_all().decode("utf-8", "replace")).get(CSRF_FIELD)
            return values[0] if values else None
        if ctype.startswith("multipart/form-data"):
            request = Request(scope, body.replayer(None))
            try:
                form = await request.form()
                value = form.get(CSRF_FIELD)
                await form.close()
            except Exception:  # noqa: BLE001  a malformed body simply carries no token
                return None
            return value if isinstance(value, str) else None
        return None

    def _with_cookie(self, send: Send, value: str) -> Send:
        cookie = f"{CSRF_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax"
        if self.secure:
            cookie += "; Secure"

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"set-cookie", cookie.encode("latin-1"))]
            await send(message)

        return wrapped

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str
    ) -> None:
        request = Request(scope, receive)
        response = render_error(request, status, code, message)
        if status == 413:
            response.headers["connection"] = "close"
        await response(scope, receive, send)


class SpooledBody:
    """A request body read once and replayed (to the CSRF check, then to the app): in memory up to
    SPOOL_BYTES, in a temporary file beyond."""

    SPOOL_BYTES = 1024 * 1024
    CHUNK = 64 * 1024

    def __init__(self) -> None:
        self.file = tempfile.SpooledTemporaryFile(max_size=self.SPOOL_BYTES)  # noqa: SIM115  closed in close()
        self.size = 0

    def write(self, data: bytes) -> None:
        if data:
            self.file.write(data)
            self.size += len(data)

    def read_all(self) -> bytes:
        self.file.seek(0)
        return self.file.read()

    def replayer(self, receive: Receive | None) -> Receive:
        """A `receive` that hands the body over again in chunks, then defers to the real one (or,
        without one, reports a disconnect)."""
        self.file.seek(0)
        done = False
        position = 0

        async def replay() -> Message:
            nonlocal done, position
            if done:
                return await receive() if receive is not None else {"type": "http.disconnect"}
            self.file.seek(position)
            chunk = self.file.read(self.CHUNK)
            position += len(chunk)
            done = position >= self.size
            return {"type": "http.request", "body": chunk, "more_body": not done}

        return replay

    def close(self) -> None:
        self.file.close()


async def _drain(receive: Receive, budget: int) -> None:
    """Read and drop what is left of an over-long streamed body, up to `budget` more bytes. Closing
    the connection with unread bytes makes the kernel send a reset, which can destroy our 413
    before the client reads it; a client that sent a little too much gets a readable answer."""
    while budget > 0:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _too_large(limit: int) -> str:
    return f"What you sent is too large: the limit is {limit // 1000:,} kB."


SecurityHeaders = dict[str, str]

DEFAULT_SECURITY_HEADERS: SecurityHeaders = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; "
        "object-src 'none'"
    ),
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, headers: SecurityHeaders | None = None) -> None:
        self.app = app
        self.headers = [(k.encode(), v.encode()) for k, v in (headers or DEFAULT_SECURITY_HEADERS).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in self.headers if k not in existing
                ]
            await send(message)

        await self.app(scope, receive, wrapped)
