"""Answering a consultation: validation per question type, drafts, submission, the late-answer rule.

A member's answers are saved as a draft (types checked, required questions not yet) or submitted
(everything checked). After submitting they may still change their answers until the close; each
change is checked in full. The close is judged inside the write's own transaction, from the clock
at that moment, after taking the consultation's write lock: whatever the page showed, an answer
that arrives after the close is refused with 409 and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from consultations.access import ConsultationAccess, get_visible
from consultations.attribution import allowed_choices, effective_level
from consultations.lifecycle import lock_and_reload
from consultations.models import (
    Answer,
    Consultation,
    Question,
    QuestionKind,
    Respondent,
    ResponseStatus,
    answer_value,
)
from consultations.schemas import MAX_TEXT_ANSWER, ResponseIn, when_for
from consultations.state import State, closed_at, state_at
from convene.clock import Clock
from convene.errors import Conflict, Invalid
from convene.markup import render_markdown


def late_message(viewer: Any, consultation: Consultation, now: Any, what: str = "answer") -> str:
    state = state_at(consultation, now)
    if state == State.SCHEDULED:
        opens = when_for(viewer, consultation.opens_at)
        return f"This consultation opens at {opens}; your {what} was not saved."
    if state == State.DRAFT:
        return f"This consultation is not open; your {what} was not saved."
    return (
        f"This consultation closed at {when_for(viewer, closed_at(consultation))}; your {what} was not saved."
    )


async def load_questions(consultation_id: int) -> list[Question]:
    """In document order: by section position (unsectioned last), then question position."""
    questions = list(
        await Question.filter(consultation_id=consultation_id)
        .prefetch_related("options")
        .select_related("section")
    )
    questions.sort(key=lambda q: (q.section.position if q.section else 1 << 30, q.position, q.id))
    return questions


def _blank(raw: Any) -> bool:
    return (
        raw is None
        or (isinstance(raw, str) and not raw.strip())
        or (isinstance(raw, list | dict) and not raw)
    )


def _as_int(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return None


def _ranking(raw: Any, option_ids: list[int]) -> list[int]:
    """A ranking arrives as [option ids, best first] (API) or {option id: rank} (the form)."""
    if isinstance(raw, dict):
        ranks: dict[int, int] = {}
        for key, value in raw.items():
            opt, rank = _as_int(key), _as_int(value)
            if opt is None or rank is None:
                raise ValueError("Give every option a rank.")
            ranks[opt] = rank
        if sorted(ranks.values()) != list(range(1, len(option_ids) + 1)):
            raise ValueError(f"Give every option a different rank, from 1 to {len(option_ids)}.")
        raw = [opt for opt, _ in sorted(ranks.items(), key=lambda item: item[1])]
    if not isinstance(raw, list):
        raise ValueError("A ranking is a list of the options, best first.")
    ordered = [_as_int(v) for v in raw]
    if None in ordered or sorted(ordered) != sorted(option_ids):  # type: ignore[type-var]
        raise ValueError("Rank every option once.")
    return ordered  # type: ignore[return-value]


def clean_answer(question: Question, raw: Any) -> Any:
    """The stored value for one answer, or ValueError with a sentence for the person answering."""
    kind = QuestionKind(question.kind)
    option_ids = [o.id for o in question.options]
    if kind == QuestionKind.TEXT:
        if not isinstance(raw, str):
            raise ValueError("Write your answer as text.")
        text = raw.strip()
        if len(text) > MAX_TEXT_ANSWER:
            raise ValueError(f"Answers are limited to {MAX_TEXT_ANSWER:,} characters.")
        return text
    if kind == QuestionKind.SINGLE:
        choice = _as_int(raw)
        if choice not in option_ids:
            raise ValueError("Choose one of the options.")
        return choice
    if kind == QuestionKind.MULTIPLE:
        values = raw if isinstance(raw, list) else [raw]
        chosen = [_as_int(v) for v in values]
        if any(c not in option_ids for c in chosen):
            raise ValueError("Choose among the options given.")
        if len(set(chosen)) != len(chosen):
            raise ValueError("Each option can be chosen once.")
        if question.max_choices and len(chosen) > question.max_choices:
            raise ValueError(f"Choose at most {question.max_choices}.")
        return sorted(chosen, key=option_ids.index)  # type: ignore[arg-type]
    if kind == QuestionKind.SCALE:
        score = _as_int(raw)
        if score is None or not 1 <= score <= 5:
            raise ValueError("Choose a number from 1 to 5.")
        return score
    return _ranking(raw, option_ids)


def clean_answers(questions: list[Question], answers: dict[int, Any], *, complete: bool) -> dict[int, Any]:
    """Every answer checked against its question; `complete` also requires the required ones."""
    by_id = {q.id: q for q in questions}
    unknown = [qid for qid in answers if qid not in by_id]
    if unknown:
        raise Invalid(fields={"answers": "Some answers are for questions this consultation does not have."})
    cleaned: dict[int, Any] = {}
    errors: dict[str, str] = {}
    for question in questions:
        raw = answers.get(question.id)
        if _blank(raw):
            if complete and question.required:
                errors[f"q{question.id}"] = "This question needs an answer."
            continue
        try:
            value = clean_answer(question, raw)
        except ValueError as exc:
            errors[f"q{question.id}"] = str(exc)
            continue
        if value != "":
            cleaned[question.id] = value
    if errors:
        raise Invalid(fields=errors)
    return cleaned


async def ensure_respondent(
    consultation_id: int, user_id: int, *, clock: Clock, conn: Any, attribution: Any = None
) -> Respondent:
    """The member's row in this consultation, created with the next pseudonym under the row lock."""
    respondent = await Respondent.get_or_none(consultation_id=consultation_id, user_id=user_id).using_db(conn)
    if respondent is not None:
        return respondent
    await (
        Consultation.filter(id=consultation_id)
        .using_db(conn)
        .update(pseudonym_counter=F("pseudonym_counter") + 1)
    )
    consultation = await Consultation.get(id=consultation_id).using_db(conn)
    return await Respondent.create(
        consultation_id=consultation_id,
        user_id=user_id,
        pseudonym=consultation.pseudonym_counter,
        attribution=effective_level(consultation.attribution, attribution),
        created_at=clock.now(),
        using_db=conn,
    )


@dataclass
class MyResponse:
    respondent: Respondent | None
    answers: dict[int, Any]

    @property
    def status(self) -> str:
        return self.respondent.status if self.respondent else ResponseStatus.NONE.value


async def get_my_response(access: ConsultationAccess) -> MyResponse:
    if access.actor is None:
        return MyResponse(None, {})
    respondent = await Respondent.get_or_none(consultation_id=access.consultation.id, user_id=access.actor.id)
    if respondent is None:
        return MyResponse(None, {})
    answers = {a.question_id: answer_value(a.value) for a in await Answer.filter(respondent_id=respondent.id)}  # type: ignore[attr-defined]
    return MyResponse(respondent, answers)


async def do_save_response(
    viewer: Any, consultation_id: int, data: ResponseIn, *, clock: Clock
) -> Respondent:
    access = (await get_visible(viewer, consultation_id)).require_participant()
    actor = access.actor
    assert actor is not None
    consultation = access.consultation
    if data.attribution is not None and data.attribution not in allowed_choices(consultation.attribution):
        raise Invalid(
            fields={
                "attribution": "You can choose a more private way of being named, never a less private one."
            }
        )
    existing = await Respondent.get_or_none(consultation_id=consultation.id, user_id=actor.id)
    already_submitted = existing is not None and existing.status == ResponseStatus.SUBMITTED
    questions = await load_questions(consultation.id)
    cleaned = clean_answers(questions, data.answers, complete=data.submit or already_submitted)
    kinds = {q.id: q.kind for q in questions}
    html = {qid: render_markdown(v) for qid, v in cleaned.items() if kinds[qid] == QuestionKind.TEXT}
    async with in_transaction() as conn:
        current = await lock_and_reload(consultation.id, conn)
        now = clock.now()  # the moment of the write decides, whatever the page showed
        if state_at(current, now) != State.OPEN:
            raise Conflict(late_message(viewer, current, now))
        respondent = await ensure_respondent(
            current.id, actor.id, clock=clock, conn=conn, attribution=data.attribution
        )
        submitted = data.submit or respondent.status == ResponseStatus.SUBMITTED
        await Answer.filter(respondent_id=respondent.id).using_db(conn).delete()
        await Answer.bulk_create(
            [
                Answer(
                    respondent_id=respondent.id,
                    question_id=qid,
                    value={"v": value},
                    text_html=html.get(qid, ""),
                )
                for qid, value in cleaned.items()
            ],
            using_db=conn,
        )
        respondent.status = ResponseStatus.SUBMITTED if submitted else ResponseStatus.DRAFT
        respondent.saved_at = now
        if data.submit:
            respondent.submitted_at = now
        if data.attribution is not None:
            respondent.attribution = effective_level(current.attribution, data.attribution)
        await respondent.save(
            using_db=conn, update_fields=["status", "saved_at", "submitted_at", "attribution"]
        )
    return respondent


async def do_set_attribution(
    viewer: Any, consultation_id: int, attribution: Any, *, clock: Clock
) -> Respondent:
    """Change only how one is named (applies to answers and comments alike), while it is open."""
    access = (await get_visible(viewer, consultation_id)).require_participant()
    assert access.actor is not None
    if attribution not in allowed_choices(access.consultation.attribution):
        raise Invalid(
            fields={
                "attribution": "You can choose a more private way of being named, never a less private one."
            }
        )
    async with in_transaction() as conn:
        current = await lock_and_reload(consultation_id, conn)
        now = clock.now()
        if state_at(current, now) != State.OPEN:
            raise Conflict(late_message(viewer, current, now, "choice"))
        respondent = await ensure_respondent(current.id, access.actor.id, clock=clock, conn=conn)
        respondent.attribution = attribution
        await respondent.save(using_db=conn, update_fields=["attribution"])
    return respondent
