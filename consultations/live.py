"""The live Q&A of a consultation's live sessions, and the "consultation:<id>" room that carries it.

Members ask and upvote (once each); when the consultation's Q&A is moderated a question waits for
a facilitator's approval, and until then only facilitators and its author see its words: the room's
log, which every subscriber replays, holds only `{"id", "state": "pending"}` for it. Facilitators
approve, hide, mark answered, highlight one question, end or extend the session.

What the frames say, and the room's replay, are in consultations/live_frames.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from consultations.access import ConsultationAccess, get_managed, get_visible
from consultations.activity import do_log
from consultations.attribution import describe_respondent
from consultations.lifecycle import lock_and_reload
from consultations.live_frames import full_question, public_question, question_state, session_frame_data
from consultations.models import Consultation, LiveSession, QAQuestion, QAVote, Respondent
from consultations.responses import ensure_respondent
from consultations.room import Frame, append_event
from consultations.state import session_ends_at, session_is_live
from convene.clock import Clock
from convene.errors import Conflict, Forbidden, Invalid, NotFound
from convene.markup import render_markdown


async def _author_label(consultation: Consultation, respondent_id: int) -> str:
    respondent = await Respondent.get(id=respondent_id).select_related("user")
    return describe_respondent(consultation, respondent, respondent.user).label


@dataclass
class QAView:
    question: QAQuestion
    author: str
    mine: bool
    voted: bool

    @property
    def state(self) -> str:
        return question_state(self.question)


async def list_sessions(consultation_id: int) -> list[LiveSession]:
    return list(await LiveSession.filter(consultation_id=consultation_id).order_by("starts_at", "id"))


def current_session(sessions: list[LiveSession], consultation: Consultation, now: Any) -> LiveSession | None:
    for session in sessions:
        if session_is_live(session, consultation, now):
            return session
    return None


async def list_questions(access: ConsultationAccess, session: LiveSession) -> list[QAView]:
    """What this viewer sees: visible questions; pending ones only if they manage it or wrote them.
    Highlighted first, then unanswered by votes, then answered."""
    rows = (
        await QAQuestion.filter(session_id=session.id)
        .select_related("respondent__user")
        .order_by("created_at", "id")
    )
    voted: set[int] = set()
    if access.actor is not None and rows:
        voted = set(
            await QAVote.filter(question_id__in=[q.id for q in rows], user_id=access.actor.id).values_list(
                "question_id", flat=True
            )
        )
    views = []
    for q in rows:
        mine = access.actor is not None and q.respondent.user_id == access.actor.id  # type: ignore[attr-defined]
        state = question_state(q)
        if state != "visible" and not access.can_manage and not (mine and state == "pending"):
            continue
        label = describe_respondent(access.consultation, q.respondent, q.respondent.user).label
        views.append(QAView(q, label, mine, q.id in voted))
    highlighted = session.highlighted_question_id
    views.sort(
        key=lambda v: (
            v.question.id != highlighted,
            v.question.answered_at is not None,
            -v.question.votes,
            v.question.created_at,
        )
    )
    return views


async def _live_session(consultation_id: int, session_id: int, *, conn: Any = None) -> LiveSession:
    session = await LiveSession.get_or_none(id=session_id, consultation_id=consultation_id).using_db(conn)
    if session is None:
        raise NotFound("That live session does not exist.")
    return session


def _require_live(session: LiveSession, consultation: Consultation, now: Any) -> None:
    if not session_is_live(session, consultation, now):
        raise Conflict("This live session is not running now, so it takes no questions or votes.")


async def do_ask(
    viewer: Any, consultation_id: int, session_id: int, body: str, *, clock: Clock
) -> tuple[QAQuestion, dict[str, Any], list[Frame]]:
    """Returns the question, its full data (for the author) and the frames to publish."""
    access = (await get_visible(viewer, consultation_id)).require_participant()
    assert access.actor is not None
    html = render_markdown(body)
    async with in_transaction() as conn:
        consultation = await lock_and_reload(consultation_id, conn)
        session = await _live_session(consultation_id, session_id, conn=conn)
        now = clock.now()
        _require_live(session, consultation, now)
        respondent = await ensure_respondent(consultation_id, access.actor.id, clock=clock, conn=conn)
        approved = not consultation.qa_moderated or access.can_manage
        question = await QAQuestion.create(
            session_id=session.id,
            respondent_id=respondent.id,
            body=body,
            body_html=html,
            created_at=now,
            approved_at=now if approved else None,
            using_db=conn,
        )
        author = describe_respondent(consultation, respondent, access.actor).label
        kind = "qa_question" if approved else "qa_pending"
        frame = await append_event(
            consultation_id,
            kind,
            public_question(question, author),
            clock=clock,
            conn=conn,
            question_id=question.id,
        )
    return question, full_question(question, author), [frame]


async def _managed_question(
    viewer: Any, consultation_id: int, question_id: int
) -> tuple[ConsultationAccess, QAQuestion]:
    access = await get_managed(viewer, consultation_id)
    question = await QAQuestion.get_or_none(id=question_id, session__consultation_id=consultation_id)
    if question is None:
        raise NotFound("That question does not exist.")
    return access, question


async def _question_change(
    viewer: Any,
    consultation_id: int,
    question_id: int,
    *,
    kind: str,
    action: str,
    changes: dict[str, Any],
    clock: Clock,
) -> list[Frame]:
    access, question = await _managed_question(viewer, consultation_id, question_id)
    async with in_transaction() as conn:
        await QAQuestion.filter(id=question.id).using_db(conn).update(**changes)
        for key, value in changes.items():
            setattr(question, key, value)
        author = await _author_label(access.consultation, question.respondent_id)  # type: ignore[attr-defined]
        frame = await append_event(
            consultation_id,
            kind,
            public_question(question, author),
            clock=clock,
            conn=conn,
            question_id=question.id,
        )
        await do_log(
            access.consultation,
            access.actor,
            action,
            clock=clock,
            data={"question_id": question.id},
            audit=action == "qa.hidden",
            using_db=conn,
        )
    return [frame]


async def do_approve_question(
    viewer: Any, consultation_id: int, question_id: int, *, clock: Clock
) -> list[Frame]:
    return await _question_change(
        viewer,
        consultation_id,
        question_id,
        kind="qa_approved",
        action="qa.approved",
        changes={"approved_at": clock.now(), "hidden_at": None},
        clock=clock,
    )


async def do_hide_question(
    viewer: Any, consultation_id: int, question_id: int, *, clock: Clock
) -> list[Frame]:
    return await _question_change(
        viewer,
        consultation_id,
        question_id,
        kind="qa_hidden",
        action="qa.hidden",
        changes={"hidden_at": clock.now()},
        clock=clock,
    )


async def do_mark_answered(
    viewer: Any, consultation_id: int, question_id: int, *, clock: Clock
) -> list[Frame]:
    return await _question_change(
        viewer,
        consultation_id,
        question_id,
        kind="qa_answered",
        action="qa.answered",
        changes={"answered_at": clock.now()},
        clock=clock,
    )


async def do_upvote(viewer: Any, consultation_id: int, question_id: int, *, clock: Clock) -> list[Frame]:
    access = (await get_visible(viewer, consultation_id)).require_participant()
    assert access.actor is not None
    question = await QAQuestion.get_or_none(
        id=question_id, session__consultation_id=consultation_id
    ).select_related("session", "respondent")
    if question is None or question_state(question) != "visible":
        raise NotFound("That question does not exist.")
    if question.respondent.user_id == access.actor.id:  # type: ignore[attr-defined]
        raise Forbidden("You cannot upvote your own question.")
    try:
        async with in_transaction() as conn:
            consultation = await lock_and_reload(consultation_id, conn)
            _require_live(question.session, consultation, clock.now())
            await QAVote.create(
                question_id=question.id, user_id=access.actor.id, created_at=clock.now(), using_db=conn
            )
            await QAQuestion.filter(id=question.id).using_db(conn).update(votes=F("votes") + 1)
            question.votes = (await QAQuestion.get(id=question.id).using_db(conn)).votes
            author = await _author_label(consultation, question.respondent_id)  # type: ignore[attr-defined]
            frame = await append_event(
                consultation_id,
                "qa_vote",
                public_question(question, author),
                clock=clock,
                conn=conn,
                question_id=question.id,
            )
    except IntegrityError:
        raise Conflict("You have already upvoted this question.") from None
    return [frame]


async def do_highlight(
    viewer: Any, consultation_id: int, session_id: int, question_id: int | None, *, clock: Clock
) -> list[Frame]:
    """Put one question on screen for everyone (or none, with question_id None)."""
    access = await get_managed(viewer, consultation_id)
    session = await _live_session(consultation_id, session_id)
    if question_id is not None:
        question = await QAQuestion.get_or_none(id=question_id, session_id=session.id)
        if question is None or question_state(question) != "visible":
            raise Invalid(
                fields={
                    "question_id": "Only an approved, visible question of this session can be highlighted."
                }
            )
    async with in_transaction() as conn:
        await LiveSession.filter(id=session.id).using_db(conn).update(highlighted_question_id=question_id)
        session.highlighted_question_id = question_id
        frame = await append_event(
            consultation_id,
            "qa_highlight",
            {"session_id": session.id, "id": question_id},
            clock=clock,
            conn=conn,
        )
        await do_log(
            access.consultation,
            access.actor,
            "qa.highlighted",
            clock=clock,
            audit=False,
            data={"question_id": question_id},
            using_db=conn,
        )
    return [frame]


async def do_end_session(viewer: Any, consultation_id: int, session_id: int, *, clock: Clock) -> list[Frame]:
    access = await get_managed(viewer, consultation_id)
    now = clock.now()
    async with in_transaction() as conn:
        consultation = await lock_and_reload(consultation_id, conn)
        session = await _live_session(consultation_id, session_id, conn=conn)
        if session_ends_at(session) <= now:
            raise Conflict("This live session has already ended.")
        session.ended_at = now if session.starts_at <= now else session.starts_at
        await session.save(using_db=conn, update_fields=["ended_at"])
        frame = await append_event(
            consultation_id,
            "session_ended",
            session_frame_data(session, consultation, now),
            clock=clock,
            conn=conn,
        )
        await do_log(
            access.consultation,
            access.actor,
            "session.ended",
            clock=clock,
            data={"session_id": session.id},
            using_db=conn,
        )
    return [frame]


async def do_extend_session(
    viewer: Any, consultation_id: int, session_id: int, minutes: int, *, clock: Clock
) -> list[Frame]:
    access = await get_managed(viewer, consultation_id)
    now = clock.now()
    async with in_transaction() as conn:
        consultation = await lock_and_reload(consultation_id, conn)
        session = await _live_session(consultation_id, session_id, conn=conn)
        if session_ends_at(session) <= now:
            raise Conflict("This live session has already ended; schedule a new one instead.")
        session.extended_minutes += minutes
        await session.save(using_db=conn, update_fields=["extended_minutes"])
        frame = await append_event(
            consultation_id,
            "session_extended",
            session_frame_data(session, consultation, now),
            clock=clock,
            conn=conn,
        )
        await do_log(
            access.consultation,
            access.actor,
            "session.extended",
            clock=clock,
            data={
                "session_id": session.id,
                "minutes": minutes,
                "ends_at": session_ends_at(session).isoformat(),
            },
            using_db=conn,
        )
    return [frame]
