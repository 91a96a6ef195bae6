"""A consultation's life after writing: publish, hand over, extend, close early, reopen, publish the report.

Each action runs in one transaction that starts by writing the consultation's row (taking its
write lock), then reads the row again and judges the state from the clock at that moment; so an
action and a respondent's answer can never both win a race against the deadline. The actions that
move the deadline record a DeadlineChange; the scheduler (consultations/notices.py) turns each one
into exactly one notice. Live-room frames are returned for publishing after the commit.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from consultations.access import check_can_take_over, get_managed
from consultations.activity import do_log
from consultations.models import Consultation, DeadlineChange, Question, Section
from consultations.room import Frame, append_event
from consultations.schemas import when_for
from consultations.state import State, closed_at, state_at
from convene.clock import Clock
from convene.errors import Conflict, Invalid, NotFound
from members.models import User


async def lock_and_reload(consultation_id: int, conn: Any) -> Consultation:
    """Take the consultation's write lock, then read what is committed now."""
    await (
        Consultation.filter(id=consultation_id)
        .using_db(conn)
        .update(pseudonym_counter=F("pseudonym_counter"))
    )
    return await Consultation.get(id=consultation_id).using_db(conn)


async def do_publish(viewer: Any, consultation_id: int, *, clock: Clock) -> Consultation:
    access = await get_managed(viewer, consultation_id)
    now = clock.now()
    has_content = (
        await Question.filter(consultation_id=consultation_id).exists()
        or await Section.filter(consultation_id=consultation_id).exists()
    )
    if not has_content:
        raise Invalid("Add at least one section or question before publishing.")
    async with in_transaction() as conn:
        consultation = await lock_and_reload(consultation_id, conn)
        if consultation.published_at is not None:
            raise Conflict("This consultation is already published.")
        if consultation.closes_at <= now:
            raise Invalid(
                fields={
                    "closes_at": "The closing time has already passed. Choose a later one before publishing."
                }
            )
        await Consultation.filter(id=consultation_id).using_db(conn).update(published_at=now, updated_at=now)
        await do_log(consultation, access.actor, "published", clock=clock, using_db=conn)
    consultation.published_at = now
    return consultation


async def do_unpublish(viewer: Any, consultation_id: int, *, clock: Clock) -> Consultation:
    """Back to a draft, possible only before it opens: nobody can have answered yet."""
    access = await get_managed(viewer, consultation_id)
    async with in_transaction() as conn:
        consultation = await lock_and_reload(consultation_id, conn)
        if state_at(consultation, clock.now()) != State.SCHEDULED:
            raise Conflict("Only a consultation that has not opened yet can go back to being a draft.")
        await (
            Consultation.filter(id=consultation_id)
            .using_db(conn)
            .update(published_at=None, updated_at=clock.now())
        )
        await do_log(consultation, access.actor, "unpublished", clock=clock, using_db=conn)
    consultation.published_at = None
    return consultation


async def do_handover(viewer: Any, consultation_id: int, username: str, *, clock: Clock) -> User:
    access = await get_managed(viewer, consultation_id)
    target = await User.get_or_none(username=username)
    if target is None:
        raise Invalid(fields={"username": "There is no member with that username."})
    if target.id == access.consultation.facilitator_id:  # type: ignore[attr-defined]
        raise Invalid(fields={"username": f"{target.name} is already the facilitator."})
    await check_can_take_over(target, access.consultation.group)
    async with in_transaction() as conn:
        await (
            Consultation.filter(id=consultation_id)
            .using_db(conn)
            .update(facilitator_id=target.id, updated_at=clock.now())
        )
        await do_log(
            access.consultation,
            access.actor,
            "handed_over",
            clock=clock,
            data={
                "from": access.consultation.facilitator_id,
                "to": target.id,  # type: ignore[attr-defined]
                "to_name": target.name,
            },
            using_db=conn,
        )
    access.consultation.facilitator = target
    return target


async def _record_deadline_change(
    consultation: Consultation, kind: str, old: Any, new: Any, *, clock: Clock, conn: Any
) -> int:
    version = consultation.deadline_version + 1
    await DeadlineChange.create(
        consultation_id=consultation.id,
        version=version,
        kind=kind,
        old_closes_at=old,
        new_closes_at=new,
        created_at=clock.now(),
        using_db=conn,
    )
    return version


async def do_extend(
    viewer: Any, consultation_id: int, closes_at: Any, *, clock: Clock, reason: str = ""
) -> tuple[Consultation, list[Frame]]:
    """Move the deadline later while the consultation is open; participants are told once."""
    access = await get_managed(viewer, consultation_id)
    now = clock.now()
    async with in_transaction() as conn:
        consultation = await lock_and_reload(consultation_id, conn)
        state = state_at(consultation, now)
        if state != State.OPEN:
            raise Conflict(
                "Only an open consultation can be extended. "
                + (
                    "Reopen it instead."
                    if state in (State.CLOSED, State.REPORT_PUBLISHED)
                    else "Before it opens, change the closing time in its details."
                )
            )
        if closes_at <= consultation.closes_at:
            raise Invalid(
                fields={
                    "closes_at": "The new closing time must be later than the current one, "
                    f"{when_for(viewer, consultation.closes_at)}."
                }
            )
        old = consultation.closes_at
        version = await _record_deadline_change(
            consultation, "extended", old, closes_at, clock=clock, conn=conn
        )
        await (
            Consultation.filter(id=consultation_id)
            .using_db(conn)
            .update(closes_at=closes_at, deadline_version=version, updated_at=now)
        )
        await do_log(
            consultation,
            access.actor,
            "extended",
            clock=clock,
            reason=reason,
            data={"from": old.isoformat(), "to": closes_at.isoformat()},
            using_db=conn,
        )
        frame = await append_event(
            consultation_id,
            "consultation_extended",
            {"closes_at": closes_at.isoformat(), "state": "open"},
            clock=clock,
            conn=conn,
        )
    consultation.closes_at, consultation.deadline_version = closes_at, version
    return consultation, [frame]


async def do_close_early(
    viewer: Any, consultation_id: int, *, clock: Clock, reason: str = ""
) -> tuple[Consultation, list[Frame]]:
    access = await get_managed(viewer, consultation_id)
    now = clock.now()
    async with in_transaction() as conn:
        consultation = await lock_and_reload(consultation_id, conn)
        if state_at(consultation, now) != State.OPEN:
            raise Conflict("Only an open consultation can be closed early.")
        await (
            Consultation.filter(id=consultation_id).using_db(conn).update(closed_early_at=now, updated_at=now)
        )
        await do_log(
            consultation,
            access.actor,
            "closed_early",
            clock=clock,
            reason=reason,
            data={"planned": consultation.closes_at.isoformat()},
            using_db=conn,
        )
        frame = await append_event(
            consultation_id,
            "consultation_closed",
            {"closed_at": now.isoformat(), "state": "closed", "early": True},
            clock=clock,
            conn=conn,
        )
    consultation.closed_early_at = now
    return consultation, [frame]


async def do_reopen(
    viewer: Any, consultation_id: int, closes_at: Any, *, clock: Clock, reason: str = ""
) -> tuple[Consultation, list[Frame]]:
    """Open a closed consultation again until a new deadline. A published report is withdrawn:
    new answers would make it wrong. Answers already given stay, and can be changed again."""
    access = await get_managed(viewer, consultation_id)
    now = clock.now()
    if closes_at <= now:
        raise Invalid(fields={"closes_at": "The new closing time must be in the future."})
    async with in_transaction() as conn:
        consultation = await lock_and_reload(consultation_id, conn)
        if state_at(consultation, now) not in (State.CLOSED, State.REPORT_PUBLISHED):
            raise Conflict("Only a closed consultation can be reopened.")
        old = closed_at(consultation)
        version = await _record_deadline_change(
            consultation, "reopened", old, closes_at, clock=clock, conn=conn
        )
        await (
            Consultation.filter(id=consultation_id)
            .using_db(conn)
            .update(
                closes_at=closes_at,
                closed_early_at=None,
                reopened_at=now,
                reopen_count=F("reopen_count") + 1,
                deadline_version=version,
                report_published_at=None,
                updated_at=now,
            )
        )
        await do_log(
            consultation,
            access.actor,
            "reopened",
            clock=clock,
            reason=reason,
            data={
                "closed_at": old.isoformat(),
                "to": closes_at.isoformat(),
                "report_withdrawn": consultation.report_published_at is not None,
            },
            using_db=conn,
        )
        frame = await append_event(
            consultation_id,
            "consultation_reopened",
            {"closes_at": closes_at.isoformat(), "state": "open"},
            clock=clock,
            conn=conn,
        )
    return await Consultation.get(id=consultation_id), [frame]


async def do_publish_report(viewer: Any, consultation_id: int, *, clock: Clock) -> Consultation:
    access = await get_managed(viewer, consultation_id)
    now = clock.now()
    async with in_transaction() as conn:
        consultation = await lock_and_reload(consultation_id, conn)
        state = state_at(consultation, now)
        if state == State.REPORT_PUBLISHED:
            raise Conflict("The report is already published.")
        if state != State.CLOSED:
            raise Conflict("The report can be published once the consultation has closed.")
        await (
            Consultation.filter(id=consultation_id)
            .using_db(conn)
            .update(report_published_at=now, updated_at=now)
        )
        await do_log(consultation, access.actor, "report_published", clock=clock, using_db=conn)
    consultation.report_published_at = now
    return consultation


async def do_withdraw_report(viewer: Any, consultation_id: int, *, clock: Clock) -> Consultation:
    access = await get_managed(viewer, consultation_id)
    async with in_transaction() as conn:
        consultation = await lock_and_reload(consultation_id, conn)
        if consultation.report_published_at is None:
            raise NotFound("The report is not published.")
        await (
            Consultation.filter(id=consultation_id)
            .using_db(conn)
            .update(report_published_at=None, updated_at=clock.now())
        )
        await do_log(consultation, access.actor, "report_withdrawn", clock=clock, using_db=conn)
    consultation.report_published_at = None
    return consultation
