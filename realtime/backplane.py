"""Backplane: carries published room frames to every server process's hub.

Chosen by URL like the mailer: ``memory://`` (one process, the default) or ``redis://host:port/db``
(``rediss://`` for TLS), Redis pub/sub between the worker processes and machines of one site. The
hub never knows which one it has.

Durability is in the database (every room frame has a seq and clients catch up over gaps), so the
backplane carries live frames only, at most once. The Redis one never makes a publisher wait on
Redis and never stops by itself: it delivers to its own process first, shares with the others in
the background, and while Redis is unreachable it keeps serving its own process and reconnects with
backoff. Frames other processes missed meanwhile reach their clients through the seq gap check.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from convene.errors import ConfigError

Deliver = Callable[[str, str], Awaitable[None]]

log = logging.getLogger("convene.backplane")

CHANNELS = ("room", "control")


class Backplane(Protocol):
    shared: bool  # whether other server processes hear what this one publishes

    async def start(self, deliver: Deliver, on_reconnect: Callable[[], None] | None = None) -> None:
        """`on_reconnect()` is called each time the backplane is back after an outage, when events
        of other processes may have been missed (never for an in-process backplane)."""

    async def publish(self, channel: str, payload: str) -> None: ...

    async def stop(self) -> None: ...


class MemoryBackplane:
    """In-process: publishing is delivering."""

    shared = False  # no other process hears it

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver, on_reconnect: Callable[[], None] | None = None) -> None:
        self._deliver = deliver

    async def publish(self, channel: str, payload: str) -> None:
        if self._deliver is not None:
            await self._deliver(channel, payload)

    async def stop(self) -> None:
        self._deliver = None


def site_namespace(database_url: str) -> str:
    """The Redis channel prefix of one site: named after its database, so every worker of a site
    meets on the same channels and two sites sharing a Redis never hear each other. The password is
    left out of the digest: channel names are visible to anyone who can reach the Redis."""
    parts = urlsplit(database_url)
    where = parts.netloc.rpartition("@")[2].lower() + parts.path
    return "convene:" + hashlib.sha256(where.encode()).hexdigest()[:12]


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc))


EXAMPLE = "redis://127.0.0.1:6379/0"


def _redis_settings(url: str, namespace: str) -> tuple[str, str]:
    """(the URL to hand the redis client, the channel prefix), or a ConfigError that says what is wrong."""

    def bad(why: str) -> ConfigError:
        shown = _redacted(url)
        return ConfigError(
            f"CONVENE_BACKPLANE_URL {shown!r} is not a usable Redis URL: {why} (e.g. {EXAMPLE})"
        )

    parts = urlsplit(url)
    if not parts.hostname:
        raise bad("it names no host")
    try:
        parts.port  # noqa: B018 -- urllib checks the port only when asked
    except ValueError:
        raise bad("the port must be a number from 0 to 65535") from None
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise bad(f"the database after the host must be a number, not {db!r}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    channel = [value for name, value in query if name == "channel"]
    prefix = channel[-1] if channel else namespace
    if not prefix or any(c.isspace() for c in prefix):
        raise bad("?channel= must be a name without spaces")
    client_url = urlunsplit(parts._replace(query=urlencode([(n, v) for n, v in query if n != "channel"])))
    # Let the client library check the rest (its query options) now rather than at each reconnect.
    from redis.asyncio import ConnectionPool

    try:
        ConnectionPool.from_url(client_url).make_connection()
    except TypeError as exc:  # an option in the query the client does not know
        raise bad(f"the Redis client does not understand its options ({exc})") from None
    except ValueError as exc:
        raise bad(str(exc)) from None
    return client_url, prefix


class RedisBackplane:
    """Redis pub/sub on ``<prefix>:room`` and ``<prefix>:control``. Each message is tagged with this
    process's id, so it skips its own (already delivered locally) when they come back."""

    shared = True
    RETRY_FIRST = 0.2  # seconds before the first reconnect attempt, doubled up to RETRY_MAX
    RETRY_MAX = 5.0
    # A subscription that hears nothing for 3 of these, not even the answer to its ping, is dead.
    PING_EVERY = 5.0
    TIMEOUT = 5.0  # connect and command timeout: a Redis that stops answering counts as down
    MAX_PENDING = 10_000  # messages waiting for Redis before more are dropped (clients catch up)
    MAX_HELD = 1_000  # revokes kept while Redis is down, to send once it is back

    def __init__(self, url: str, namespace: str = "convene") -> None:
        self._url, self.prefix = _redis_settings(url, namespace)
        self._shown_url = _redacted(url)
        self.origin = uuid.uuid4().hex
        self.connected = False
        self.times_connected = 0
        self._deliver: Deliver | None = None
        self._on_reconnect: Callable[[], None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._pending: deque[tuple[str, str]] = deque()
        self._wake, self._idle = asyncio.Event(), asyncio.Event()
        # Revokes published while Redis is down: unlike room frames, nothing in the database would
        # ever correct a missed one, so they wait (bounded) and go out after the reconnect.
        self._held: deque[tuple[str, str]] = deque(maxlen=self.MAX_HELD)
        self._dropped = 0

    # -- the Backplane interface -----------------------------------------------------------------
    async def start(self, deliver: Deliver, on_reconnect: Callable[[], None] | None = None) -> None:
        self._deliver = deliver
        self._on_reconnect = on_reconnect
        self._wake, self._idle = asyncio.Event(), asyncio.Event()
        first_try = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(first_try), name="redis-backplane")
        # Wait for the first attempt's outcome (not its success), so a healthy Redis shares the very
        # first events and an unreachable one is logged at start-up; never stop the site from serving.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(first_try.wait(), self.TIMEOUT + 1)

    async def publish(self, channel: str, payload: str) -> None:
        # This process's listeners first: they never wait on Redis, and get every frame while it is down.
        if self._deliver is not None:
            await self._deliver(channel, payload)
        message = (channel, f"{self.origin} {payload}")
        if self.connected and len(self._pending) < self.MAX_PENDING:
            self._pending.append(message)
            self._idle.clear()
            self._wake.set()
        elif channel == "control":
            self._held.append(message)
        else:
            self._dropped += 1

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            if self.connected and self._pending:  # give what is already queued a moment to leave
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._idle.wait(), 1.0)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.connected = False
        self._deliver = None

    # -- the connection, kept up in the background ---------------------------------------------
    async def _run(self, first_try: asyncio.Event) -> None:
        delay = self.RETRY_FIRST
        failures = 0
        while True:
            problem: Exception
            try:
                await self._connected_session(first_try)
                problem = ConnectionError("the subscription ended")
            except Exception as exc:  # redis.exceptions.RedisError, OSError, a timeout...
                problem = exc
            was_up = self.connected
            self._went_down()
            first_try.set()
            if was_up:
                delay, failures = self.RETRY_FIRST, 0
                log.warning(
                    "Redis backplane %s lost (%s); live events reach only this process's clients until "
                    "it is back. Reconnecting.",
                    self._shown_url,
                    _describe(problem),
                )
            else:
                failures += 1
                if failures == 1 or failures % 60 == 0:
                    log.warning(
                        "Redis backplane %s unreachable (%s); live events reach only this process's "
                        "clients. Retrying every few seconds.",
                        self._shown_url,
                        _describe(problem),
                    )
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self.RETRY_MAX)

    async def _connected_session(self, first_try: asyncio.Event) -> None:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # No retries inside the client: a failure surfaces here at once and _run reconnects with backoff.
        client = Redis.from_url(
            self._url,
            decode_responses=True,
            retry=Retry(NoBackoff(), 0),
            socket_timeout=self.TIMEOUT,
            socket_connect_timeout=self.TIMEOUT,
        )
        pubsub = client.pubsub()
        writer: asyncio.Task[None] | None = None
        try:
            channels = [f"{self.prefix}:{name}" for name in CHANNELS]
            await pubsub.subscribe(*channels)
            # Connected means subscribed: Redis has confirmed both channels, so whatever another
            # process publishes from now on reaches us.
            confirmed = 0
            while confirmed < len(channels):
                message = await pubsub.get_message(timeout=self.TIMEOUT)
                if message is None:
                    raise TimeoutError("no answer to SUBSCRIBE")
                confirmed += message["type"] == "subscribe"
            self._came_up()
            first_try.set()
            writer = asyncio.get_running_loop().create_task(self._write(client))
            await self._read(pubsub, writer)
        finally:
            if writer is not None:
                writer.cancel()
                with contextlib.suppress(BaseException):
                    await writer
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            with contextlib.suppress(Exception):
                await client.aclose()

    async def _read(self, pubsub: Any, writer: asyncio.Task[None]) -> None:
        loop = asyncio.get_running_loop()
        heard = pinged = loop.time()
        cut = len(self.prefix) + 1
        while True:
            if writer.done():
                writer.result()  # publishing failed: raise its error and reconnect
                raise ConnectionError("publisher stopped")
            now = loop.time()
            if now - heard > 3 * self.PING_EVERY:
                raise TimeoutError("Redis stopped answering")
            if now - pinged > self.PING_EVERY:
                pinged = now
                await pubsub.ping()
            message = await pubsub.get_message(timeout=0.5)
            if message is None:
                continue
            heard = loop.time()
            if message["type"] != "message":
                continue  # a ping's answer
            origin, _, payload = message["data"].partition(" ")
            if origin == self.origin or self._deliver is None:
                continue  # ours: delivered locally when it was published
            try:
                await self._deliver(message["channel"][cut:], payload)
            except Exception:
                log.exception("could not deliver a backplane message from %s", origin)

    async def _write(self, client: Any) -> None:
        """Publishes in order, in batches: one round trip for whatever queued up during the last."""
        while True:
            while not self._pending:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
            batch = [self._pending.popleft() for _ in range(min(len(self._pending), 500))]
            try:
                async with client.pipeline(transaction=False) as pipe:
                    for channel, message in batch:
                        pipe.publish(f"{self.prefix}:{channel}", message)
                    await pipe.execute()
            except BaseException:
                # Revokes go again after the reconnect (a repeated revoke does nothing); frames do not.
                self._held.extendleft(reversed([m for m in batch if m[0] == "control"]))
                self._dropped += sum(1 for m in batch if m[0] != "control")
                raise

    def _came_up(self) -> None:
        reconnected = self.times_connected > 0
        if self.times_connected or self._dropped:
            log.warning(
                "Redis backplane %s connected again; %d live frame(s) were not shared meanwhile: clients "
                "that missed them catch up from the room's log at their next event.",
                self._shown_url,
                self._dropped,
            )
        else:
            log.info("Redis backplane %s connected (channels %s:*)", self._shown_url, self.prefix)
        self.times_connected += 1
        self._dropped = 0
        self._pending.extendleft(reversed(self._held))
        self._held.clear()
        self.connected = True
        self._wake.set()
        if reconnected and self._on_reconnect is not None:
            try:
                self._on_reconnect()
            except Exception:
                log.exception("the hub could not resynchronise after the backplane came back")

    def _went_down(self) -> None:
        self.connected = False
        while self._pending:
            message = self._pending.popleft()
            if message[0] == "control":
                self._held.append(message)
            else:
                self._dropped += 1


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def backplane_from_url(url: str, namespace: str = "convene") -> Backplane:
    """`namespace` prefixes the Redis channels (see site_namespace); ``?channel=NAME`` in a redis URL
    overrides it."""
    scheme = urlsplit(url).scheme or "memory"
    if scheme == "memory":
        return MemoryBackplane()
    if scheme in ("redis", "rediss"):
        return RedisBackplane(url, namespace)
    raise ConfigError(
        f"Unknown CONVENE_BACKPLANE_URL scheme {scheme!r}: use memory:// or redis://host:port/db "
        f"(e.g. {EXAMPLE})"
    )
