"""The digest package's scheduled jobs (registered in convene/app.py scheduled_jobs): digests,
instant notification emails, and finishing newsletters a stopped process left half queued.

Each job asks the database and the clock what to do, so running it twice, in two processes, or
after a restart does each thing once (see digest/runner.py, digest/notify.py, digest/newsletter.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from digest.context import Mailroom
from digest.newsletter import resume_newsletters
from digest.notify import send_due_notifications
from digest.runner import RunStats, send_due_digests

# Every time zone in use today is a whole number of quarter hours from UTC, so a member's digest
# hour always falls on a quarter hour: between two, nothing new can become due.
QUARTER = 15 * 60


def _quarter(when: datetime) -> int:
    return int(when.timestamp()) // QUARTER


class DigestJob:
    """Runs the digest pass at most once per quarter hour (a pass reads every active member's
    preferences; a scheduler ticking every 30 seconds should not). The first pass after a start
    always runs, so digests missed while the server was down go out at once."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._last: int | None = None

    async def __call__(self) -> RunStats | None:
        mailroom = Mailroom.of_app(self.app)
        quarter = _quarter(mailroom.clock.now())
        if self._last == quarter:
            return None
        stats = await send_due_digests(mailroom, after_batch=mailroom.outbox.kick)
        self._last = quarter
        return stats


def digest_jobs(app: Any) -> list[tuple[str, Any]]:
    async def notifications() -> Any:
        mailroom = Mailroom.of_app(app)
        stats = await send_due_notifications(mailroom)
        if stats.queued:
            mailroom.outbox.kick()
        return stats

    async def newsletters() -> int:
        return await resume_newsletters(Mailroom.of_app(app))

    return [("digest", DigestJob(app)), ("notifications", notifications), ("newsletter", newsletters)]
