"""Send the digests that are due: walk the active members in batches (never all in memory), decide
from the clock, each member's time zone, hour, weekday and last period whether a digest is due,
compose the batch, and record each period with its email in one transaction.

Exactly once: a period is a DigestRun row, unique per (member, period start), written in the same
transaction as the outbox row keyed digest:<member>:<period start>. A second runner, a rerun after
a crash, or a restart computes the same period, fails to insert it, and moves on; a crash before
the commit leaves nothing behind, so the next pass does it again. The outbox then sends each email
once (digest/outbox.py). Nothing here holds state between runs: the database says what is done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.functions import Max

from convene.db import in_transaction
from digest.compose import MEMBER_COLUMNS, Composer, Digest, Due, Member
from digest.context import Mailroom
from digest.models import DigestRun, DigestRunStatus, EmailHealth
from digest.outbox import NewEmail, insert_emails, new_email
from digest.preferences import load_prefs
from digest.render import Renderer, render_digest
from digest.schedule import due_period, zone_of
from members.models import User, UserStatus

BATCH = 500


@dataclass
class RunStats:
    members: int = 0  # active members looked at
    due: int = 0
    queued: int = 0
    empty: int = 0  # nothing happened for them: recorded, no email
    failing: int = 0  # skipped: mail to their address keeps being refused
    already: int = 0  # another runner recorded the same period first

    def summary(self) -> str:
        return (
            f"{self.members} members checked, {self.due} digests due: {self.queued} queued, "
            f"{self.empty} with nothing new (no email), {self.already} already done by another runner, "
            f"{self.failing} skipped (email address failing)."
        )


def digest_key(member_id: int, period_start: datetime) -> str:
    return f"digest:{member_id}:{period_start.isoformat()}"


async def failing_members(rows: list[dict]) -> set[int]:
    """Members whose current address is marked failing (a changed address starts afresh)."""
    email_of = {r["id"]: r["email"] for r in rows}
    found = await EmailHealth.filter(user_id__in=list(email_of), failing_since__not_isnull=True).values(
        "user_id", "email"
    )
    return {f["user_id"] for f in found if email_of.get(f["user_id"]) == f["email"]}


async def find_due(rows: list[dict], now: datetime, stats: RunStats | None = None) -> list[Due]:
    """The members of this batch whose digest is due now, with the period it covers."""
    ids = [r["id"] for r in rows]
    prefs = await load_prefs(ids)
    ends = (
        await DigestRun.filter(user_id__in=ids)
        .annotate(last=Max("period_end"))
        .group_by("user_id")
        .values("user_id", "last")
    )
    last_end = {e["user_id"]: e["last"] for e in ends}
    failing = await failing_members(rows)
    due = []
    for row in rows:
        p = prefs[row["id"]]
        period = due_period(
            frequency=p.frequency,
            weekday=p.weekday,
            hour=p.hour,
            zone=zone_of(row["timezone"]),
            now=now,
            last_end=last_end.get(row["id"]),
            joined_at=row["created_at"],
            schedule_changed_at=p.schedule_changed_at,
            resumed_at=p.resumed_at,
        )
        if period is None:
            continue
        if row["id"] in failing:
            if stats is not None:
                stats.failing += 1
            continue
        due.append(Due(Member.of(row), p, period))
    return due


def _rows_for(
    mailroom: Mailroom, digest: Digest, now: datetime, renderer: Renderer
) -> tuple[DigestRun, NewEmail | None]:
    member, period = digest.member, digest.period
    if digest.empty:
        run = DigestRun(
            user_id=member.id,
            period_start=period.start,
            period_end=period.end,
            status=DigestRunStatus.EMPTY,
            items=0,
            outbox_key="",
            created_at=now,
        )
        return run, None
    key = digest_key(member.id, period.start)
    email = render_digest(mailroom, digest, renderer)
    message = new_email(
        key=key,
        kind="digest",
        to_email=member.email,
        subject=email.subject,
        text=email.text,
        html=email.html,
        now=now,
        domain=mailroom.outbox.domain,
        user_id=member.id,
        headers=email.headers,
    )
    run = DigestRun(
        user_id=member.id,
        period_start=period.start,
        period_end=period.end,
        status=DigestRunStatus.QUEUED,
        items=digest.item_count,
        outbox_key=key,
        created_at=now,
    )
    return run, message


async def record(
    mailroom: Mailroom, digests: list[Digest], now: datetime, stats: RunStats, renderer: Renderer
) -> None:
    """Write each digest's period and email. One transaction for the batch; if another runner got
    to some of these periods first, the batch rolls back and each is retried on its own."""
    pairs = [_rows_for(mailroom, d, now, renderer) for d in digests]
    if not pairs:
        return
    try:
        async with in_transaction() as conn:
            await DigestRun.bulk_create([run for run, _ in pairs], using_db=conn)
            await insert_emails([m for _, m in pairs if m is not None], using_db=conn)
    except IntegrityError:
        for digest in digests:
            # Fresh rows: the failed bulk insert may have numbered the old ones.
            run, message = _rows_for(mailroom, digest, now, renderer)
            try:
                async with in_transaction() as conn:
                    await run.save(using_db=conn, force_create=True)
                    if message is not None:
                        await insert_emails([message], using_db=conn)
            except IntegrityError:
                stats.already += 1
                continue
            _count(stats, message)
        return
    for _, message in pairs:
        _count(stats, message)


def _count(stats: RunStats, message: NewEmail | None) -> None:
    if message is None:
        stats.empty += 1
    else:
        stats.queued += 1


async def send_due_digests(
    mailroom: Mailroom,
    *,
    batch_size: int = BATCH,
    progress: Callable[[int, int], None] | None = None,
    after_batch: Callable[[], None] | None = None,
    shard: tuple[int, int] = (0, 1),
) -> RunStats:
    """Compose and queue every digest due now. `progress(done, total)` after each batch of members;
    `after_batch()` after each commit (the app kicks the outbox there, so sending starts at once).
    `shard=(k, n)` takes only the members whose id is k modulo n: n processes with k = 0 .. n-1
    share a run between them (`convene digest send-due --processes n`); periods and outbox keys
    keep each digest once even if two shards overlap."""
    part, parts = shard
    now = mailroom.clock.now()
    composer = Composer(now)
    renderer = Renderer.for_run(mailroom)  # pieces rendered once per run, shared by every email showing them
    stats = RunStats()
    total = await User.filter(status=UserStatus.ACTIVE).count() // parts if progress else 0
    last_id = 0
    while True:
        rows = (
            await User.filter(status=UserStatus.ACTIVE, id__gt=last_id)
            .order_by("id")
            .limit(batch_size)
            .values(*MEMBER_COLUMNS)
        )
        if not rows:
            return stats
        last_id = rows[-1]["id"]
        if parts > 1:
            rows = [r for r in rows if r["id"] % parts == part]
        stats.members += len(rows)
        due = await find_due(rows, now, stats)
        stats.due += len(due)
        if due:
            await record(mailroom, await composer.compose(due), now, stats, renderer)
            if after_batch is not None:
                after_batch()
        if progress is not None:
            progress(stats.members, max(total, stats.members))
