"""The outbox: queue an email once (by key), deliver due emails with claims, retry with backoff.

Delivery never holds a transaction open while talking to SMTP. A row is claimed with a
conditional UPDATE (only one runner wins), sent, then marked sent. If the process dies between
the send and the mark, the claim expires and the email is sent again with the same Message-ID:
the one window SMTP leaves open, kept as short as a single UPDATE.
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
from tortoise.expressions import Q

from convene.clock import Clock
from convene.mail import Mailer, MailError, OutgoingEmail, new_message_id
from digest.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360, 720)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
CLAIM_SECONDS = 300


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
    row = outbox_row(
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
        await row.save(using_db=using_db)
    except IntegrityError:
        return False  # another runner queued the same key a moment ago
    return True


def outbox_row(
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
) -> OutboxMessage:
    """An unsaved outbox row, for callers that queue many emails in one transaction (bulk_create,
    as the digest runner does). The unique key still refuses a second copy: such callers handle
    IntegrityError themselves (digest/runner.py falls back to one transaction per email)."""
    return OutboxMessage(
        key=key,
        kind=kind,
        user_id=user_id,
        to_email=to_email,
        subject=subject[:300],
        text=text,
        html=html,
        headers=headers or {},
        message_id=new_message_id(domain),
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=send_after or now,
        claimed_by="",
        last_error="",
        created_at=now,
    )


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
        self.worker = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self.on_permanent_failure: list[PermanentFailureHook] = []
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
        claimed: list[int] = []
        until = now + timedelta(seconds=CLAIM_SECONDS)
        for message_id in due:
            won = (
                await OutboxMessage.filter(id=message_id, status=OutboxStatus.PENDING)
                .filter(Q(claimed_until=None) | Q(claimed_until__lt=now))
                .update(claimed_until=until, claimed_by=self.worker)
            )
            if won:
                claimed.append(message_id)
        if not claimed:
            return []
        return await OutboxMessage.filter(id__in=claimed).order_by("id")

    def build(self, row: OutboxMessage) -> Any:
        email = OutgoingEmail(row.to_email, row.subject, row.text, row.html, dict(row.headers or {}))
        return email.build(self.sender, self.domain, message_id=row.message_id, date=row.created_at)

    async def _deliver_one(self, row: OutboxMessage, stats: DeliveryStats) -> None:
        try:
            await self.mailer.send(self.build(row))
        except MailError as exc:
            await self._failed(row, str(exc), permanent=exc.permanent, stats=stats)
            return
        except Exception as exc:  # noqa: BLE001  a mailer bug must not lose the email
            await self._failed(row, f"{type(exc).__name__}: {exc}", permanent=False, stats=stats)
            return
        await OutboxMessage.filter(id=row.id).update(
            status=OutboxStatus.SENT, sent_at=self.clock.now(), attempts=row.attempts + 1, claimed_until=None
        )
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
        """Send every email that is due now. Returns what happened."""
        total = DeliveryStats()
        slots = asyncio.Semaphore(self.concurrency)
        while True:
            rows = await self._claim(self.clock.now())
            if not rows:
                return total
            stats = DeliveryStats()

            async def one(row: OutboxMessage, stats: DeliveryStats = stats) -> None:
                async with slots:
                    await self._deliver_one(row, stats)
                    if progress:
                        progress(1)

            await asyncio.gather(*(one(row) for row in rows))
            total.add(stats)
            if stats.sent == 0 and stats.retried + stats.failed == len(rows):
                # Everything failed: the server is likely down. Stop this pass; backoff decides.
                return total
            if limit is not None and total.sent >= limit:
                return total
