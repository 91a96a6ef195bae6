"""Writing a consultation: its details, the document's sections and the live sessions (the questions
are in consultations/questions.py).

What may change when: details and the schedule freely until it opens (after that the deadline
moves only through extend / close early / reopen, which notify people); the questions and their
options until it opens (answers given to one wording must not silently become answers to
another); the sections' wording at any time before it closes (fixing a typo harms no one), but
sections are added or removed only before it opens.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from consultations.access import ConsultationAccess, check_can_create, get_managed
from consultations.activity import do_log
from consultations.models import Consultation, LiveSession, Question, Section
from consultations.schemas import ConsultationIn, ConsultationPatch, SectionIn, SessionIn
from consultations.state import State, state_at
from convene.clock import Clock
from convene.errors import Conflict, Invalid, NotFound
from convene.markup import render_markdown
from forum.models import Group

LOCKED_QUESTIONS = (
    "The questions cannot change once the consultation has opened: answers already given would "
    "no longer match them."
)
LOCKED_SECTIONS = "Sections can be added or removed only before the consultation opens."


def require_not_opened(access: ConsultationAccess, now: Any, message: str) -> None:
    if state_at(access.consultation, now) not in (State.DRAFT, State.SCHEDULED):
        raise Conflict(message)


async def do_create_consultation(viewer: Any, data: ConsultationIn, *, clock: Clock) -> Consultation:
    group = None
    if data.group is not None:
        group = await Group.get_or_none(slug=data.group)
        if group is None:
            raise Invalid(fields={"group": "There is no group at that address."})
    actor = await check_can_create(viewer, group)
    now = clock.now()
    async with in_transaction() as conn:
        consultation = await Consultation.create(
            group=group,
            title=data.title,
            summary=data.summary,
            summary_html=render_markdown(data.summary),
            facilitator=actor,
            created_by=actor,
            attribution=data.attribution,
            qa_moderated=data.qa_moderated,
            opens_at=data.opens_at,
            closes_at=data.closes_at,
            created_at=now,
            updated_at=now,
            using_db=conn,
        )
        await do_log(consultation, actor, "created", clock=clock, data={"title": data.title}, using_db=conn)
    return consultation


async def do_update_consultation(
    viewer: Any, consultation_id: int, data: ConsultationPatch, *, clock: Clock
) -> Consultation:
    access = await get_managed(viewer, consultation_id)
    consultation = access.consultation
    now = clock.now()
    changes: dict[str, Any] = {}
    if data.title is not None:
        changes["title"] = data.title
    if data.summary is not None:
        changes["summary"] = data.summary
        changes["summary_html"] = render_markdown(data.summary)
    before_opening = {}
    if data.attribution is not None and data.attribution != consultation.attribution:
        before_opening["attribution"] = data.attribution
    if data.qa_moderated is not None:
        changes["qa_moderated"] = data.qa_moderated
    if data.opens_at is not None and data.opens_at != consultation.opens_at:
        before_opening["opens_at"] = data.opens_at
    if data.closes_at is not None and data.closes_at != consultation.closes_at:
        before_opening["closes_at"] = data.closes_at
    if before_opening:
        # Once people can answer, who is named and when it ends are promises: they change only
        # through the actions that tell everyone (extend, close early, reopen).
        require_not_opened(
            access,
            now,
            "Once a consultation has opened, its attribution and schedule stay as announced. "
            "Use extend, close early or reopen to move the deadline.",
        )
        changes.update(before_opening)
    opens = changes.get("opens_at", consultation.opens_at)
    closes = changes.get("closes_at", consultation.closes_at)
    if closes <= opens:
        raise Invalid(fields={"closes_at": "The closing time must be after the opening time."})
    if (
        consultation.published_at is not None
        and ("opens_at" in changes or "closes_at" in changes)
        and closes <= now
    ):
        raise Invalid(fields={"closes_at": "The closing time must be in the future."})
    if not changes:
        return consultation
    changes["updated_at"] = now
    async with in_transaction() as conn:
        await Consultation.filter(id=consultation.id).using_db(conn).update(**changes)
        logged = sorted(k for k in changes if k not in ("updated_at", "summary_html"))
        await do_log(
            consultation, access.actor, "updated", clock=clock, data={"fields": logged}, using_db=conn
        )
    for key, value in changes.items():
        setattr(consultation, key, value)
    return consultation


# ---- Sections ----


async def _section(consultation: Consultation, section_id: int) -> Section:
    section = await Section.get_or_none(id=section_id, consultation_id=consultation.id)
    if section is None:
        raise NotFound("That section does not exist.")
    return section


async def do_add_section(viewer: Any, consultation_id: int, data: SectionIn, *, clock: Clock) -> Section:
    access = await get_managed(viewer, consultation_id)
    require_not_opened(access, clock.now(), LOCKED_SECTIONS)
    consultation = access.consultation
    async with in_transaction() as conn:
        last = (
            await Section.filter(consultation_id=consultation.id).using_db(conn).order_by("-position").first()
        )
        section = await Section.create(
            consultation=consultation,
            position=(last.position + 1) if last else 1,
            title=data.title,
            body=data.body,
            body_html=render_markdown(data.body),
            using_db=conn,
        )
        await do_log(
            consultation,
            access.actor,
            "section.added",
            clock=clock,
            data={"section_id": section.id, "title": data.title},
            using_db=conn,
        )
    return section


async def do_update_section(
    viewer: Any, consultation_id: int, section_id: int, data: SectionIn, *, clock: Clock
) -> Section:
    access = await get_managed(viewer, consultation_id)
    if state_at(access.consultation, clock.now()) in (State.CLOSED, State.REPORT_PUBLISHED):
        raise Conflict("The document cannot change after the consultation has closed.")
    section = await _section(access.consultation, section_id)
    section.title, section.body, section.body_html = data.title, data.body, render_markdown(data.body)
    async with in_transaction() as conn:
        await section.save(using_db=conn, update_fields=["title", "body", "body_html"])
        await do_log(
            access.consultation,
            access.actor,
            "section.updated",
            clock=clock,
            data={"section_id": section.id},
            using_db=conn,
        )
    return section


async def do_delete_section(viewer: Any, consultation_id: int, section_id: int, *, clock: Clock) -> None:
    access = await get_managed(viewer, consultation_id)
    require_not_opened(access, clock.now(), LOCKED_SECTIONS)
    section = await _section(access.consultation, section_id)
    async with in_transaction() as conn:
        # Its questions stay, moved to the general "Questions" part after the document.
        await Question.filter(section_id=section.id).using_db(conn).update(section_id=None)
        await section.delete(using_db=conn)
        await do_log(
            access.consultation,
            access.actor,
            "section.deleted",
            clock=clock,
            data={"section_id": section_id, "title": section.title},
            using_db=conn,
        )


async def swap_positions(model: Any, rows: list[Any], row_id: int, direction: str, conn: Any) -> bool:
    ids = [r.id for r in rows]
    if row_id not in ids:
        raise NotFound()
    i = ids.index(row_id)
    j = i - 1 if direction == "up" else i + 1
    if direction not in ("up", "down"):
        raise Invalid(fields={"direction": "Move up or down."})
    if not 0 <= j < len(rows):
        return False
    a, b = rows[i], rows[j]
    await model.filter(id=a.id).using_db(conn).update(position=b.position)
    await model.filter(id=b.id).using_db(conn).update(position=a.position)
    return True


async def do_move_section(
    viewer: Any, consultation_id: int, section_id: int, direction: str, *, clock: Clock
) -> None:
    access = await get_managed(viewer, consultation_id)
    require_not_opened(access, clock.now(), "Sections can be reordered only before the consultation opens.")
    async with in_transaction() as conn:
        rows = list(
            await Section.filter(consultation_id=access.consultation.id)
            .using_db(conn)
            .order_by("position", "id")
        )
        renumber(rows)
        for row in rows:
            await Section.filter(id=row.id).using_db(conn).update(position=row.position)
        if await swap_positions(Section, rows, section_id, direction, conn):
            await do_log(
                access.consultation,
                access.actor,
                "section.moved",
                clock=clock,
                data={"section_id": section_id, "direction": direction},
                using_db=conn,
            )


def renumber(rows: list[Any]) -> None:
    # Positions are made consecutive first, so a swap always moves exactly one place.
    for n, row in enumerate(rows, start=1):
        row.position = n


# ---- Live sessions ----


async def do_add_session(viewer: Any, consultation_id: int, data: SessionIn, *, clock: Clock) -> LiveSession:
    access = await get_managed(viewer, consultation_id)
    now = clock.now()
    if state_at(access.consultation, now) in (State.CLOSED, State.REPORT_PUBLISHED):
        raise Conflict("This consultation has closed: live sessions can no longer be added.")
    if data.starts_at + timedelta(minutes=data.duration_minutes) <= now:
        raise Invalid(fields={"starts_at": "That session would already be over. Choose a time to come."})
    async with in_transaction() as conn:
        session = await LiveSession.create(
            consultation_id=access.consultation.id,
            title=data.title,
            starts_at=data.starts_at,
            duration_minutes=data.duration_minutes,
            using_db=conn,
        )
        await do_log(
            access.consultation,
            access.actor,
            "session.added",
            clock=clock,
            data={"session_id": session.id, "title": data.title, "starts_at": data.starts_at.isoformat()},
            using_db=conn,
        )
    return session


async def do_delete_session(viewer: Any, consultation_id: int, session_id: int, *, clock: Clock) -> None:
    access = await get_managed(viewer, consultation_id)
    session = await LiveSession.get_or_none(id=session_id, consultation_id=access.consultation.id)
    if session is None:
        raise NotFound("That live session does not exist.")
    if session.starts_at <= clock.now():
        raise Conflict("A session that has started stays in the record. You can end it instead.")
    async with in_transaction() as conn:
        await session.delete(using_db=conn)
        await do_log(
            access.consultation,
            access.actor,
            "session.deleted",
            clock=clock,
            data={"session_id": session_id, "title": session.title},
            using_db=conn,
        )
