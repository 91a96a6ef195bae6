"""Failing addresses: count permanent delivery failures per member and address; after FAILING_AFTER
of them the address is marked failing, list email to it stops (digests, newsletters, instant
emails), and administrators see it at /admin/email, where they can clear it once it is fixed.

`record_permanent_failure` is registered as an Outbox.on_permanent_failure hook by the app (and by
the `convene digest` commands), so every refused email counts, whoever queued it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from convene.clock import Clock
from convene.errors import NotFound
from digest.models import EmailHealth, OutboxMessage, OutboxStatus
from members.models import User
from members.permissions import check_is_admin

FAILING_AFTER = 3


def failure_hook(clock: Clock):  # noqa: ANN201  an Outbox.on_permanent_failure hook
    async def hook(row: OutboxMessage, error: str) -> None:
        await record_permanent_failure(row.user_id, row.to_email, error, clock.now())

    return hook


async def record_permanent_failure(user_id: int | None, email: str, error: str, now: datetime) -> bool:
    """Count one permanent failure; returns True when this one marked the address failing."""
    user = await (User.get_or_none(id=user_id) if user_id else User.get_or_none(email=email.lower()))
    if user is None or user.email.lower() != email.lower():
        return False  # the member has changed their address since: the old one is not theirs now
    if not await EmailHealth.filter(user_id=user.id).exists():
        try:
            await EmailHealth.create(user_id=user.id, email=user.email)
        except IntegrityError:
            pass  # two failures at once: the other created the row
    # A different address recorded before: the member changed it; count afresh for the new one.
    await (
        EmailHealth.filter(user_id=user.id)
        .exclude(email=user.email)
        .update(email=user.email, hard_failures=0, failing_since=None)
    )
    await EmailHealth.filter(user_id=user.id).update(
        hard_failures=F("hard_failures") + 1, last_error=error[:2000], last_failure_at=now
    )
    marked = await EmailHealth.filter(
        user_id=user.id, hard_failures__gte=FAILING_AFTER, failing_since=None
    ).update(failing_since=now)
    return bool(marked)


@dataclass
class FailingAddress:
    user_id: int
    name: str
    username: str
    email: str
    hard_failures: int
    failing_since: datetime | None
    last_error: str
    last_failure_at: datetime | None


@dataclass
class EmailOverview:
    failing: list[FailingAddress]
    warning: list[FailingAddress]  # some failures, not failing yet
    pending: int
    failed_last: list[dict]


async def get_email_overview(actor: object) -> EmailOverview:
    check_is_admin(actor)
    rows = (
        await EmailHealth.filter(hard_failures__gt=0)
        .order_by("-last_failure_at")
        .limit(200)
        .values(
            "user_id",
            "user__name",
            "user__username",
            "user__email",
            "email",
            "hard_failures",
            "failing_since",
            "last_error",
            "last_failure_at",
        )
    )
    failing, warning = [], []
    for r in rows:
        if r["user__email"] != r["email"]:
            continue  # about an address the member no longer uses
        item = FailingAddress(
            r["user_id"],
            r["user__name"],
            r["user__username"],
            r["email"],
            r["hard_failures"],
            r["failing_since"],
            r["last_error"],
            r["last_failure_at"],
        )
        (failing if r["failing_since"] is not None else warning).append(item)
    pending = await OutboxMessage.filter(status=OutboxStatus.PENDING).count()
    failed_last = (
        await OutboxMessage.filter(status=OutboxStatus.FAILED)
        .order_by("-id")
        .limit(20)
        .values("id", "kind", "to_email", "subject", "last_error", "attempts", "created_at")
    )
    return EmailOverview(failing, warning, pending, failed_last)


async def do_clear_failing(actor: object, user_id: int) -> None:
    """An administrator says the address works again (the member fixed their mailbox): count from 0."""
    check_is_admin(actor)
    if not await EmailHealth.filter(user_id=user_id).update(
        hard_failures=0, failing_since=None, last_error=""
    ):
        raise NotFound("That member has no delivery problems on record.")
