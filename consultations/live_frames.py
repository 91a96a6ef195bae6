"""What the "consultation:<id>" room says about questions and sessions, and its replay.

Every frame about a question carries the question's public state; `room_history` re-renders each
from the database, so a late subscriber sees hidden questions hidden and approved ones approved,
whatever they were when the event was logged. A question waiting for approval (or hidden) shows
neither its words nor its author.
"""

from __future__ import annotations

from typing import Any

from consultations.attribution import describe_respondent
from consultations.models import Consultation, LiveSession, QAQuestion
from consultations.state import session_ends_at, session_state

QUESTION_KINDS = ("qa_question", "qa_pending", "qa_approved", "qa_vote", "qa_answered", "qa_hidden")


def question_state(q: QAQuestion) -> str:
    if q.hidden_at is not None:
        return "hidden"
    if q.approved_at is None:
        return "pending"
    return "visible"


def full_question(q: QAQuestion, author: str) -> dict[str, Any]:
    """Everything about a question, for those allowed to see it (facilitators, its author)."""
    return {
        "id": q.id,
        "session_id": q.session_id,  # type: ignore[attr-defined]
        "state": question_state(q),
        "author": author,
        "html": q.body_html,
        "votes": q.votes,
        "answered": q.answered_at is not None,
        "created_at": q.created_at.isoformat(),
    }


def public_question(q: QAQuestion, author: str) -> dict[str, Any]:
    """What every subscriber may know: a pending or hidden question shows no words and no author."""
    state = question_state(q)
    if state != "visible":
        return {"id": q.id, "session_id": q.session_id, "state": state}  # type: ignore[attr-defined]
    return full_question(q, author)


def session_frame_data(session: LiveSession, consultation: Consultation, now: Any) -> dict[str, Any]:
    return {
        "session_id": session.id,
        "title": session.title,
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session_ends_at(session).isoformat(),
        "state": session_state(session, consultation, now),
        "highlighted": session.highlighted_question_id,
    }


async def room_history(room: str, consultation_id: int, since: int, limit: int) -> list[dict[str, Any]]:
    """Replay the room's log, each question frame in the question's current public state."""
    from realtime.models import RoomEvent

    events = await RoomEvent.filter(room=room, seq__gt=since).order_by("seq").limit(limit)
    ids = {e.message_id for e in events if e.message_id is not None}
    consultation = await Consultation.get(id=consultation_id)
    questions = {}
    if ids:
        rows = await QAQuestion.filter(id__in=ids).select_related("respondent__user")
        questions = {
            q.id: (q, describe_respondent(consultation, q.respondent, q.respondent.user).label) for q in rows
        }
    frames = []
    for event in events:
        data = event.payload
        if event.kind in QUESTION_KINDS and event.message_id in questions:
            q, label = questions[event.message_id]
            data = public_question(q, label)
        frames.append({"type": "event", "room": room, "seq": event.seq, "kind": event.kind, "data": data})
    return frames
