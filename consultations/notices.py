"""The scheduled job that tells participants a consultation opened, has 24 hours left, was extended
or reopened, or closed: by email (through the durable outbox) and in the site (the Notice rows are
what /consultations lists under "Your notices", for the members of each consultation's audience).

Nothing here remembers anything between runs. Each pass asks the clock and the database what is
due; a notice goes out only by inserting its Notice row, whose unique (consultation, kind,
occurrence) key lets exactly one runner win, however often the job runs and however many runners
there are. The emails are queued in the same transaction as that row, so a crash sends either all
of a notice or none of it, and the next pass tries again.

Occurrences: "opened" once ("0"); "closing_soon" once per deadline (the deadline_version);
"extended"/"reopened" once per DeadlineChange (its version); "closed" once per round (the
reopen_count); "session_ended" once per live session (its id; a room event only).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from consultations.activity import do_log
from consultations.models import Consultation, DeadlineChange, LiveSession, Notice
from consultations.room import Frame, append_event, publish_frames
from consultations.schemas import zone_named
from consultations.state import State, closed_at, round_opened_at, session_ends_at, state_at
from convene.i18n import negotiate
from convene.markup import plain_text
from forum.models import Membership, MembershipStatus
from members.models import User, UserStatus

log = logging.getLogger(__name__)

CLOSING_SOON = timedelta(hours=24)
EMAIL_KINDS = ("opened", "closing_soon", "extended", "reopened", "closed")


@dataclass(frozen=True)
class Due:
    consultation: Consultation
    kind: str
    occurrence: str
    extra: dict[str, Any]


def _deadline_set_at(consultation: Consultation, changes: list[DeadlineChange]) -> datetime:
    latest = [c.created_at for c in changes if c.version == consultation.deadline_version]
    return latest[0] if latest else round_opened_at(consultation)


def due_notices(
    consultation: Consultation, sent: set[tuple[str, str]], changes: list[DeadlineChange], now: datetime
) -> list[Due]:
    """What this consultation still owes its participants at `now` (pure: no database)."""
    state = state_at(consultation, now)
    due: list[Due] = []

    def add(kind: str, occurrence: str, **extra: Any) -> None:
        if (kind, occurrence) not in sent:
            due.append(Due(consultation, kind, occurrence, extra))

    if state == State.OPEN:
        if consultation.reopen_count == 0:
            add("opened", "0")
        for change in changes:
            add(change.kind, str(change.version), new_closes_at=change.new_closes_at)
        deadline = closed_at(consultation)
        # A reminder only when the deadline was set more than a day ahead: a fresh extension's own
        # notice already says when it ends.
        if (
            deadline - now <= CLOSING_SOON
            and deadline - _deadline_set_at(consultation, changes) > CLOSING_SOON
        ):
            add("closing_soon", str(consultation.deadline_version))
    elif state in (State.CLOSED, State.REPORT_PUBLISHED):
        add("closed", str(consultation.reopen_count))
        # Extensions nobody was told of before the close are moot now: settled without a message.
        for change in changes:
            add(change.kind, str(change.version), superseded=True)
    return due


async def participants(consultation: Consultation) -> list[User]:
    """Who is told: the group's active members, or every active member for a network-wide one."""
    if consultation.group_id is None:  # type: ignore[attr-defined]
        return list(await User.filter(status=UserStatus.ACTIVE).order_by("id"))
    user_ids = await Membership.filter(
        group_id=consultation.group_id,
        status=MembershipStatus.ACTIVE,  # type: ignore[attr-defined]
    ).values_list("user_id", flat=True)
    return list(await User.filter(id__in=list(user_ids), status=UserStatus.ACTIVE).order_by("id"))


class NoticeSender:
    """Renders and queues one notice's emails, and writes its row. One per app."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state

    def _render(
        self, kind: str, consultation: Consultation, due: Due, locale: str, zone_name: str
    ) -> tuple[str, str, str]:
        from babel.dates import format_date, format_time

        settings = self.state.settings
        zone = zone_named(zone_name)

        def when(value: datetime) -> str:
            local = value.astimezone(zone)
            day, hour = format_date(local, "long", locale=locale), format_time(local, "short", locale=locale)
            return f"{day}, {hour} ({zone.key})"

        ctx = {
            "site_name": settings.site_name,
            "base_url": settings.base_url,
            "title": consultation.title,
            "summary": plain_text(consultation.summary, 300),
            "url": f"{settings.base_url}/consultations/{consultation.id}",
            "group_name": consultation.group.name if consultation.group_id else "",  # type: ignore[attr-defined]
            "closes_at": when(closed_at(consultation)),
            "opens_at": when(consultation.opens_at),
            "new_closes_at": when(due.extra["new_closes_at"]) if "new_closes_at" in due.extra else "",
        }
        render = self.state.templates.render_string
        base = f"email/consultation_{kind}"
        return (
            render(f"{base}/subject.txt", ctx, locale).strip(),
            render(f"{base}/body.txt", ctx, locale),
            render(f"{base}/body.html", ctx, locale),
        )

    async def send(self, due: Due) -> int | None:
        """Returns the number of people told, or None if another runner had already sent it."""
        consultation = due.consultation
        if await Notice.filter(
            consultation_id=consultation.id, kind=due.kind, occurrence=due.occurrence
        ).exists():
            return None
        emailing = due.kind in EMAIL_KINDS and not due.extra.get("superseded")
        people = await participants(consultation) if emailing else []
        # Build each distinct email once: it depends only on the language and the time zone.
        rendered: dict[tuple[str, str], tuple[str, str, str]] = {}
        settings = self.state.settings
        for user in people:
            locale = negotiate(user.locale or None, None, settings.default_locale)
            key = (locale, user.timezone or "UTC")
            if key not in rendered:
                rendered[key] = self._render(due.kind, consultation, due, *key)
        outbox = self.state.outbox
        frames: list[Frame] = []
        try:
            async with in_transaction() as conn:
                await Notice.create(
                    consultation_id=consultation.id,
                    kind=due.kind,
                    occurrence=due.occurrence,
                    recipients=len(people),
                    sent_at=self.state.clock.now(),
                    using_db=conn,
                )
                for user in people:
                    subject, text, html = rendered[
                        (
                            negotiate(user.locale or None, None, settings.default_locale),
                            user.timezone or "UTC",
                        )
                    ]
                    await outbox.enqueue(
                        key=f"consultation-{due.kind}:{consultation.id}:{due.occurrence}:{user.id}",
                        kind=f"consultation_{due.kind}",
                        to_email=user.email,
                        subject=subject,
                        text=text,
                        html=html,
                        user_id=user.id,
                        headers={"Auto-Submitted": "auto-generated"},
                        using_db=conn,
                    )
                frames = await self._room_events(due, conn)
                if emailing:
                    await do_log(
                        consultation,
                        None,
                        "notice.sent",
                        clock=self.state.clock,
                        audit=False,
                        data={"kind": due.kind, "recipients": len(people)},
                        using_db=conn,
                    )
        except IntegrityError:
            return None  # another runner inserted the same notice first: it sends, we do not
        if people:
            outbox.kick()
        await publish_frames(self.app, frames)
        return len(people)

    async def _room_events(self, due: Due, conn: Any) -> list[Frame]:
        """What the live room learns from the clock: a natural close, and a session's natural end."""
        clock, consultation = self.state.clock, due.consultation
        if due.kind == "closed" and consultation.closed_early_at is None:
            data = {"closed_at": closed_at(consultation).isoformat(), "state": "closed", "early": False}
            return [await append_event(consultation.id, "consultation_closed", data, clock=clock, conn=conn)]
        if due.kind == "session_ended":
            data = {
                "session_id": int(due.occurrence),
                "ends_at": due.extra["ends_at"].isoformat(),
                "state": "ended",
            }
            return [await append_event(consultation.id, "session_ended", data, clock=clock, conn=conn)]
        return []


async def run_consultation_notices(app: Any) -> dict[str, int]:
    """One pass of the scheduled job. Returns how many notices and recipients it sent."""
    clock = app.state.clock
    now = clock.now()
    sender = NoticeSender(app)
    consultations = list(await Consultation.filter(published_at__not_isnull=True).select_related("group"))
    if not consultations:
        return {"notices": 0, "recipients": 0}
    ids = [c.id for c in consultations]
    sent: dict[int, set[tuple[str, str]]] = {cid: set() for cid in ids}
    for cid, kind, occurrence in await Notice.filter(consultation_id__in=ids).values_list(
        "consultation_id", "kind", "occurrence"
    ):
        sent[cid].add((kind, occurrence))
    changes: dict[int, list[DeadlineChange]] = {cid: [] for cid in ids}
    for change in await DeadlineChange.filter(consultation_id__in=ids).order_by("version"):
        changes[change.consultation_id].append(change)  # type: ignore[attr-defined]
    sessions: dict[int, list[LiveSession]] = {cid: [] for cid in ids}
    for session in await LiveSession.filter(consultation_id__in=ids):
        sessions[session.consultation_id].append(session)  # type: ignore[attr-defined]

    notices = recipients = 0
    for consultation in consultations:
        due = due_notices(consultation, sent[consultation.id], changes[consultation.id], now)
        for session in sessions[consultation.id]:
            ends = session_ends_at(session)
            if (
                ends <= now
                and session.ended_at is None
                and ("session_ended", str(session.id)) not in sent[consultation.id]
            ):
                due.append(Due(consultation, "session_ended", str(session.id), {"ends_at": ends}))
        for item in due:
            try:
                told = await sender.send(item)
            except Exception:  # noqa: BLE001  one consultation's trouble must not stop the others
                log.exception("consultation %s: notice %s failed", consultation.id, item.kind)
                continue
            if told is not None:
                notices += 1
                recipients += told
    return {"notices": notices, "recipients": recipients}
