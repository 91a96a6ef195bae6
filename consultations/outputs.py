"""Output shapes of the consultations API (/api/v1), and the functions that fill them from models.

Respondents appear only as the label their attribution level allows; never as a user id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from consultations.access import ConsultationAccess
from consultations.models import Consultation, LiveSession, Question, Section
from consultations.state import closed_at, session_ends_at, session_state, state_at


class PersonOut(BaseModel):
    id: int
    name: str


class OptionOut(BaseModel):
    id: int
    label: str


class SectionOut(BaseModel):
    id: int
    position: int
    title: str
    body: str
    body_html: str


class QuestionOut(BaseModel):
    id: int
    position: int
    section_id: int | None
    kind: str
    text: str
    help: str
    help_html: str
    required: bool
    max_choices: int | None
    scale_low_label: str
    scale_high_label: str
    options: list[OptionOut]


class SessionOut(BaseModel):
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    state: str
    highlighted_question_id: int | None


class ConsultationSummaryOut(BaseModel):
    id: int
    title: str
    state: str
    scope: str  # "group" or "network"
    group: str | None
    opens_at: datetime
    closes_at: datetime
    url: str


class ConsultationOut(ConsultationSummaryOut):
    summary: str
    summary_html: str
    attribution: str
    qa_moderated: bool
    facilitator: PersonOut | None
    report_published_at: datetime | None
    can_manage: bool
    can_take_part: bool
    sections: list[SectionOut]
    questions: list[QuestionOut]
    live_sessions: list[SessionOut]


class ResponseOut(BaseModel):
    status: str  # none, draft, submitted
    attribution: str | None
    shown_as: str | None
    answers: dict[int, Any]
    saved_at: datetime | None
    submitted_at: datetime | None


class CommentOut(BaseModel):
    id: int
    section_id: int
    parent_id: int | None
    author: str
    html: str
    hidden: bool
    pinned: bool
    created_at: datetime


class QAQuestionOut(BaseModel):
    id: int
    session_id: int
    state: str  # pending, visible, hidden
    author: str
    html: str
    votes: int
    answered: bool
    mine: bool
    voted: bool
    created_at: datetime


class ActivityOut(BaseModel):
    id: int
    action: str
    actor: PersonOut | None
    data: dict[str, Any]
    created_at: datetime


class BarOut(BaseModel):
    label: str
    count: int
    percent: float


class RankOut(BaseModel):
    label: str
    mean_rank: float
    firsts: int


class TextAnswerOut(BaseModel):
    author: str
    html: str


class QuestionReportOut(BaseModel):
    question_id: int
    position: int
    kind: str
    text: str
    answered: int
    skipped: int
    mean: float | None
    bars: list[BarOut]
    ranks: list[RankOut]
    texts: list[TextAnswerOut]


class SectionReportOut(BaseModel):
    section_id: int
    title: str
    comments: int
    hidden_comments: int


class ReportOut(BaseModel):
    consultation_id: int
    state: str
    respondents: int
    questions: list[QuestionReportOut]
    sections: list[SectionReportOut]


class ExportOut(BaseModel):
    consultation_id: int
    kind: str
    columns: list[str]
    exported_at: str
    rows: list[dict[str, Any]]


def _value(enum_or_str: Any) -> str:
    return str(getattr(enum_or_str, "value", enum_or_str))


def summary_out(c: Consultation, now: datetime) -> ConsultationSummaryOut:
    return ConsultationSummaryOut(
        id=c.id,
        title=c.title,
        state=state_at(c, now).value,
        scope="group" if c.group_id else "network",  # type: ignore[attr-defined]
        group=c.group.slug if c.group_id else None,  # type: ignore[attr-defined]
        opens_at=c.opens_at,
        closes_at=closed_at(c),
        url=f"/consultations/{c.id}",
    )


def section_out(s: Section) -> SectionOut:
    return SectionOut(id=s.id, position=s.position, title=s.title, body=s.body, body_html=s.body_html)


def question_out(q: Question, position: int) -> QuestionOut:
    return QuestionOut(
        id=q.id,
        position=position,
        section_id=q.section_id,
        kind=_value(q.kind),
        text=q.text,  # type: ignore[attr-defined]
        help=q.help,
        help_html=q.help_html,
        required=q.required,
        max_choices=q.max_choices,
        scale_low_label=q.scale_low_label,
        scale_high_label=q.scale_high_label,
        options=[OptionOut(id=o.id, label=o.label) for o in q.options],
    )


def session_out(s: LiveSession, c: Consultation, now: datetime) -> SessionOut:
    return SessionOut(
        id=s.id,
        title=s.title,
        starts_at=s.starts_at,
        ends_at=session_ends_at(s),
        duration_minutes=s.duration_minutes + s.extended_minutes,
        state=session_state(s, c, now),
        highlighted_question_id=s.highlighted_question_id,
    )


def consultation_out(
    access: ConsultationAccess,
    now: datetime,
    sections: list[Section],
    questions: list[Question],
    sessions: list[LiveSession],
) -> ConsultationOut:
    c = access.consultation
    facilitator = c.facilitator if c.facilitator_id else None  # type: ignore[attr-defined]
    return ConsultationOut(
        **summary_out(c, now).model_dump(),
        summary=c.summary,
        summary_html=c.summary_html,
        attribution=_value(c.attribution),
        qa_moderated=c.qa_moderated,
        facilitator=PersonOut(id=facilitator.id, name=facilitator.name) if facilitator else None,
        report_published_at=c.report_published_at,
        can_manage=access.can_manage,
        can_take_part=access.can_take_part(now),
        sections=[section_out(s) for s in sections],
        questions=[question_out(q, n) for n, q in enumerate(questions, start=1)],
        live_sessions=[session_out(s, c, now) for s in sessions],
    )
