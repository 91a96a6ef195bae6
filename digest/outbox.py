"""The outbox: queue an email once (by key), deliver due emails with claims, retry with backoff.

Delivery never holds a transaction open while talking to SMTP. Rows are claimed a batch at a time
with one conditional UPDATE stamped with the pass's own token (only one runner wins each row),
sent, then marked sent. If the process dies between the send and the mark, the claim expires and
the email is sent again with the same Message-ID: the one window SMTP leaves open, kept short (the
mark is written within SentMarks.FLUSH_SECONDS). A message's content lives in OutboxBody, apart
from the state row that delivery updates, and is sent as bytes built once (digest/mime.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from convene.clock import Clock
from convene.db import in_transaction
from convene.mail import Mailer, MailError, OutgoingEmail, new_message_id
from digest.mime import envelope_sender, wire_message
from digest.models import OutboxBody, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360, 720)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
CLAIM_SECONDS = 300
CLAIM_MARGIN = timedelta(seconds=60)  # a queued row is sent only while its claim has this long left


async def enqueue_email(
    *,
    key: str,
    kind: str,
    to_email: str,
    subject: str,
    text: str,
    html: str | None,
    clock: Clock,
    domain: str,
    user_id: int | None = None,
    headers: dict[str, str] | None = None,
    send_after: datetime | None = None,
    using_db: Any = None,
) -> bool:
    """Queue one email. Returns False (and changes nothing) if `key` was queued before."""
    now = clock.now()
    if await OutboxMessage.filter(key=key).using_db(using_db).exists():
        return False
    email = new_email(
        key=key,
        kind=kind,
        to_email=to_email,
        subject=subject,
        text=text,
        html=html,
        now=now,
        domain=domain,
        user_id=user_id,
        headers=headers,
        send_after=send_after,
    )
    try:
        if using_db is not None:
            await insert_emails([email], using_db=using_db)
        else:
            async with in_transaction() as conn:  # the state row and its body, or neither
                await insert_emails([email], using_db=conn)
    except IntegrityError:
        return False  # another runner queued the same key a moment ago
    return True


@dataclass
class NewEmail:
    """An email not yet saved: its delivery state and its content (two tables, see OutboxBody)."""

    message: OutboxMessage
    body: OutboxBody


def new_email(
    *,
    key: str,
    kind: str,
    to_email: str,
    subject: str,
    text: str,
    html: str | None,
    now: datetime,
    domain: str,
    user_id: int | None = None,
    headers: dict[str, str] | None = None,
    send_after: datetime | None = None,
) -> NewEmail:
    """An unsaved email, for callers that queue many in one transaction (insert_emails, as the
    digest runner does). The unique key still refuses a second copy: such callers handle
    IntegrityError themselves (digest/runner.py falls back to one transaction per email)."""
    message = OutboxMessage(
        key=key,
        kind=kind,
        user_id=user_id,
        to_email=to_email,
        subject=subject[:300],
        message_id=new_message_id(domain),
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=send_after or now,
        claimed_by="",
        last_error="",
        created_at=now,
    )
    return NewEmail(message, OutboxBody(message_id=key, text=text, html=html, headers=headers or {}))


async def insert_emails(emails: list[NewEmail], *, using_db: Any) -> None:
    """Insert emails inside the caller's transaction: two multi-row INSERTs, whatever their number."""
    if emails:
        await OutboxMessage.bulk_create([e.message for e in emails], using_db=using_db)
        await OutboxBody.bulk_create([e.body for e in emails], using_db=using_db)


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryStats) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.skipped += other.skipped
        self.errors.extend(other.errors)


PermanentFailureHook = Callable[[OutboxMessage, str], Awaitable[None]]


class SentMarks:
    """Marks sent emails as sent, a few at a time: a mark waits at most FLUSH_SECONDS (or until
    FLUSH_ROWS are waiting) to share one UPDATE with the marks of the other connections. The window
    in which a crash would send an email again (with the same Message-ID) is that short; one UPDATE
    per email cost a fifth of the time of a digest run's delivery."""

    FLUSH_SECONDS = 0.01
    FLUSH_ROWS = 32

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._pending: list[int] = []
        self._task: asyncio.Task[None] | None = None
        self._full = asyncio.Event()

    def add(self, message_id: int) -> None:
        self._pending.append(message_id)
        if len(self._pending) >= self.FLUSH_ROWS:
            self._full.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        while self._pending:
            if len(self._pending) < self.FLUSH_ROWS:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.FLUSH_SECONDS)
            self._full.clear()
            ids, self._pending = self._pending, []
            try:
                await OutboxMessage.filter(id__in=ids).update(
                    status=OutboxStatus.SENT,
                    sent_at=self.clock.now(),
                    attempts=F("attempts") + 1,
                    claimed_until=None,
                )
            except Exception:  # noqa: BLE001  as if the process had stopped: the claims expire, they resend
                log.exception("could not mark %d sent emails as sent", len(ids))

    async def flushed(self) -> None:
        self._full.set()  # nothing more is coming in this pass: write what is waiting now
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)


class Outbox:
    """Delivers queued email. One per app; safe to run in several processes at once."""

    def __init__(
        self,
        mailer: Mailer,
        clock: Clock,
        *,
        sender: str,
        base_url: str,
        concurrency: int = 4,
        batch: int = 200,
    ) -> None:
        self.mailer = mailer
        self.clock = clock
        self.sender = sender
        self.domain = urlsplit(base_url).hostname or "localhost"
        self.concurrency = concurrency
        self.batch = batch
        self.worker = f"{socket.gethostname()[:40]}:{uuid.uuid4().hex[:8]}"
        self.envelope_from = envelope_sender(sender)
        self.on_permanent_failure: list[PermanentFailureHook] = []
        # Failures in a row, with no success, after which a pass stops: the server is likely down.
        self.give_up = max(2 * concurrency, 5)
        self._tokens: list[str] = []
        self._kick_task: asyncio.Task[None] | None = None
        self._again = False

    async def enqueue(self, **kwargs: Any) -> bool:
        kwargs.setdefault("domain", self.domain)
        return await enqueue_email(clock=self.clock, **kwargs)

    def kick(self) -> None:
        """Deliver soon, in the background (after a commit that queued mail). Coalesced."""
        if self._kick_task is not None and not self._kick_task.done():
            self._again = True
            return
        self._kick_task = asyncio.get_running_loop().create_task(self._kicked())

    async def _kicked(self) -> None:
        while True:
            self._again = False
            try:
                await self.deliver_due()
            except Exception:  # noqa: BLE001  the scheduler's next pass retries
                log.exception("outbox delivery pass failed")
            if not self._again:
                return

    async def wait_idle(self) -> None:
        """For tests and the CLI: wait for a background delivery pass to finish."""
        while self._kick_task is not None and not self._kick_task.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(self._kick_task)

    async def _claim(self, now: datetime) -> list[OutboxMessage]:
        due = (
            await OutboxMessage.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(claimed_until=None) | Q(claimed_until__lt=now))
            .order_by("next_attempt_at", "id")
            .limit(self.batch)
            .values_list("id", flat=True)
        )
        if not due:
            return []
        # One conditional UPDATE for the whole batch, stamped with this pass's own token: a row
        # another runner claimed in between no longer matches, so each row has one winner.
        token = f"{self.worker}:{uuid.uuid4().hex[:8]}"[-64:]
        self._tokens = [*self._tokens[-15:], token]
        await (
            OutboxMessage.filter(id__in=due, status=OutboxStatus.PENDING)
            .filter(Q(claimed_until=None) | Q(claimed_until__lt=now))
            .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), claimed_by=token)
        )
        rows = await OutboxMessage.filter(id__in=due, claimed_by=token).order_by("id")
        bodies = {
            b["message_id"]: b
            for b in await OutboxBody.filter(message_id__in=[r.key for r in rows]).values(
                "message_id", "text", "html", "headers"
            )
        }
        for row in rows:
            row.content = bodies.get(row.key) or {"text": "", "html": None, "headers": {}}  # type: ignore[attr-defined]
        return rows

    def build(self, row: OutboxMessage) -> Any:
        content = row.content  # type: ignore[attr-defined]
        email = OutgoingEmail(
            row.to_email, row.subject, content["text"], content["html"], dict(content["headers"] or {})
        )
        return email.build(self.sender, self.domain, message_id=row.message_id, date=row.created_at)

    def wire(self, row: OutboxMessage) -> bytes:
        """The message as bytes (digest/mime.py): the same email as build(), several times faster."""
        content = row.content  # type: ignore[attr-defined]
        return wire_message(
            sender=self.sender,
            to=row.to_email,
            subject=row.subject,
            text=content["text"],
            html=content["html"],
            headers=dict(content["headers"] or {}),
            message_id=row.message_id,
            date=row.created_at,
        )

    async def _deliver_one(self, row: OutboxMessage, stats: DeliveryStats, marks: SentMarks) -> None:
        send_raw = getattr(self.mailer, "send_raw", None)
        try:
            if send_raw is not None:
                await send_raw(self.envelope_from, [row.to_email], self.wire(row))
            else:
                await self.mailer.send(self.build(row))
        except MailError as exc:
            await self._failed(row, str(exc), permanent=exc.permanent, stats=stats)
            return
        except Exception as exc:  # noqa: BLE001  a mailer bug must not lose the email
            await self._failed(row, f"{type(exc).__name__}: {exc}", permanent=False, stats=stats)
            return
        marks.add(row.id)
        stats.sent += 1

    async def _failed(self, row: OutboxMessage, error: str, *, permanent: bool, stats: DeliveryStats) -> None:
        attempts = row.attempts + 1
        now = self.clock.now()
        if permanent or attempts >= MAX_ATTEMPTS:
            await OutboxMessage.filter(id=row.id).update(
                status=OutboxStatus.FAILED, attempts=attempts, last_error=error[:2000], claimed_until=None
            )
            stats.failed += 1
            for hook in self.on_permanent_failure:
                try:
                    await hook(row, error)
                except Exception:  # noqa: BLE001
                    log.exception("permanent-failure hook failed")
        else:
            delay = BACKOFF_MINUTES[min(attempts - 1, len(BACKOFF_MINUTES) - 1)]
            await OutboxMessage.filter(id=row.id).update(
                attempts=attempts,
                last_error=error[:2000],
                next_attempt_at=now + timedelta(minutes=delay),
                claimed_until=None,
            )
            stats.retried += 1
        stats.errors.append(error)

    async def deliver_due(
        self, *, limit: int | None = None, progress: Callable[[int], None] | None = None
    ) -> DeliveryStats:
        """Send every email that is due now. Returns what happened.

        `concurrency` workers send from a queue that the claiming loop keeps topped up, a batch
        ahead, so the connections never wait for a claim. When the server refuses everything
        (GIVE_UP failures in a row, no success), the pass stops and hands back its unsent claims:
        backoff decides when to try again."""
        total = DeliveryStats()
        marks = SentMarks(self.clock)
        queue: asyncio.Queue[OutboxMessage | None] = asyncio.Queue(maxsize=self.batch)
        state = {"failures": 0, "stop": False}
        released: list[int] = []

        async def worker() -> None:
            while (row := await queue.get()) is not None:
                stale = row.claimed_until is None or row.claimed_until < self.clock.now() + CLAIM_MARGIN
                if state["stop"] or stale or (limit is not None and total.sent >= limit):
                    # Not sent by this pass. A claim about to expire could be taken by another
                    # runner while we send: hand it back instead of risking a second copy.
                    released.append(row.id)
                    continue
                before = total.sent
                await self._deliver_one(row, total, marks)
                state["failures"] = 0 if total.sent > before else state["failures"] + 1
                if state["failures"] >= self.give_up:
                    state["stop"] = True  # the server is likely down
                if progress:
                    progress(1)

        workers = [asyncio.get_running_loop().create_task(worker()) for _ in range(self.concurrency)]
        try:
            while not state["stop"] and (limit is None or total.sent < limit):
                rows = await self._claim(self.clock.now())
                if not rows:
                    break
                for row in rows:
                    await queue.put(row)
        finally:
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers, return_exceptions=True)
            await marks.flushed()
            if released:
                await OutboxMessage.filter(id__in=released, claimed_by__in=self._tokens).update(
                    claimed_until=None
                )
        return total
