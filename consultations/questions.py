"""Writing a consultation's questions and their options: add, rewrite, delete, reorder.

Questions change only until the consultation opens: answers given to one wording must not silently
become answers to another. Options are rewritten whole with their question.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from consultations.access import get_managed
from consultations.activity import do_log
from consultations.authoring import LOCKED_QUESTIONS, renumber, require_not_opened, swap_positions
from consultations.models import Consultation, Option, Question, QuestionKind, Section
from consultations.schemas import CHOICE_KINDS, QuestionIn
from convene.clock import Clock
from convene.errors import Invalid, NotFound
from convene.markup import render_markdown


async def _question(consultation: Consultation, question_id: int) -> Question:
    question = await Question.get_or_none(id=question_id, consultation_id=consultation.id)
    if question is None:
        raise NotFound("That question does not exist.")
    return question


async def _check_section(consultation: Consultation, section_id: int | None) -> None:
    if (
        section_id is not None
        and not await Section.filter(id=section_id, consultation_id=consultation.id).exists()
    ):
        raise Invalid(fields={"section_id": "Choose one of this consultation's sections."})


def _question_fields(data: QuestionIn) -> dict[str, Any]:
    return {
        "kind": data.kind,
        "text": data.text,
        "help": data.help,
        "help_html": render_markdown(data.help),
        "required": data.required,
        "section_id": data.section_id,
        "max_choices": data.max_choices if data.kind == QuestionKind.MULTIPLE else None,
        "scale_low_label": data.scale_low_label if data.kind == QuestionKind.SCALE else "",
        "scale_high_label": data.scale_high_label if data.kind == QuestionKind.SCALE else "",
    }


async def _write_options(question: Question, labels: list[str], conn: Any) -> None:
    await Option.filter(question_id=question.id).using_db(conn).delete()
    if question.kind in CHOICE_KINDS:
        await Option.bulk_create(
            [Option(question_id=question.id, position=n, label=label) for n, label in enumerate(labels, 1)],
            using_db=conn,
        )


async def do_add_question(viewer: Any, consultation_id: int, data: QuestionIn, *, clock: Clock) -> Question:
    access = await get_managed(viewer, consultation_id)
    require_not_opened(access, clock.now(), LOCKED_QUESTIONS)
    await _check_section(access.consultation, data.section_id)
    async with in_transaction() as conn:
        last = (
            await Question.filter(consultation_id=access.consultation.id)
            .using_db(conn)
            .order_by("-position")
            .first()
        )
        question = await Question.create(
            consultation_id=access.consultation.id,
            position=(last.position + 1) if last else 1,
            using_db=conn,
            **_question_fields(data),
        )
        await _write_options(question, data.options, conn)
        await do_log(
            access.consultation,
            access.actor,
            "question.added",
            clock=clock,
            data={"question_id": question.id, "text": data.text},
            using_db=conn,
        )
    return question


async def do_update_question(
    viewer: Any, consultation_id: int, question_id: int, data: QuestionIn, *, clock: Clock
) -> Question:
    access = await get_managed(viewer, consultation_id)
    require_not_opened(access, clock.now(), LOCKED_QUESTIONS)
    await _check_section(access.consultation, data.section_id)
    question = await _question(access.consultation, question_id)
    async with in_transaction() as conn:
        await Question.filter(id=question.id).using_db(conn).update(**_question_fields(data))
        for key, value in _question_fields(data).items():
            setattr(question, key, value)
        await _write_options(question, data.options, conn)
        await do_log(
            access.consultation,
            access.actor,
            "question.updated",
            clock=clock,
            data={"question_id": question.id},
            using_db=conn,
        )
    return question


async def do_delete_question(viewer: Any, consultation_id: int, question_id: int, *, clock: Clock) -> None:
    access = await get_managed(viewer, consultation_id)
    require_not_opened(access, clock.now(), LOCKED_QUESTIONS)
    question = await _question(access.consultation, question_id)
    async with in_transaction() as conn:
        await question.delete(using_db=conn)
        await do_log(
            access.consultation,
            access.actor,
            "question.deleted",
            clock=clock,
            data={"question_id": question_id, "text": question.text},
            using_db=conn,
        )


async def do_move_question(
    viewer: Any, consultation_id: int, question_id: int, direction: str, *, clock: Clock
) -> None:
    """Move a question one place up or down among the questions of its own section."""
    access = await get_managed(viewer, consultation_id)
    require_not_opened(access, clock.now(), LOCKED_QUESTIONS)
    question = await _question(access.consultation, question_id)
    async with in_transaction() as conn:
        rows = list(
            await Question.filter(consultation_id=access.consultation.id)
            .using_db(conn)
            .order_by("position", "id")
        )
        renumber(rows)
        for row in rows:
            await Question.filter(id=row.id).using_db(conn).update(position=row.position)
        siblings = [r for r in rows if r.section_id == question.section_id]  # type: ignore[attr-defined]
        if await swap_positions(Question, siblings, question_id, direction, conn):
            await do_log(
                access.consultation,
                access.actor,
                "question.moved",
                clock=clock,
                data={"question_id": question_id, "direction": direction},
                using_db=conn,
            )
