"""Exports for facilitators and administrators: submitted responses and section comments, as CSV and JSON.

Responses come in one stable LONG shape: one row per respondent per question, always, whatever
the question's type (a skipped question is a row with skipped=true and an empty answer):

    consultation_id, respondent, attribution, organisation_type, country, question_id,
    question_position, section, question_type, question_text, answer, skipped, submitted_at

* respondent: the label the attribution level allows ("Amina Haddad (NGO or civil society)",
  "An NGO or civil society respondent", "Respondent 7"); never a user id.
* organisation_type and country: codes (members.choices), empty when the respondent is anonymous.
* answer: text as written; single choice: the option's label; multiple choice: the chosen labels
  in the options' order, joined with "; "; 1-to-5 scale: the number; ranking: "1. X; 2. Y; ...".
* question_position: 1, 2, 3 ... in the document's order; section: the section's title or "".
* submitted_at: the latest submission, UTC, ISO 8601 with "Z". Drafts are never exported.

CSV files are UTF-8 with a byte-order mark (so Excel reads the encoding right), quoted by the csv
module (RFC 4180: commas, quotes and line breaks survive), lines ending CRLF. A cell that starts
with = + - @ or a tab would be run as a formula by a spreadsheet: CSV exports prefix such a cell
with an apostrophe (OWASP's advice). JSON exports keep every value exactly.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from consultations.access import get_visible
from consultations.attribution import describe_respondent
from consultations.comments import respondent_people
from consultations.models import Answer, Comment, QuestionKind, ResponseStatus, Section, answer_value
from consultations.responses import load_questions

RESPONSE_COLUMNS = (
    "consultation_id",
    "respondent",
    "attribution",
    "organisation_type",
    "country",
    "question_id",
    "question_position",
    "section",
    "question_type",
    "question_text",
    "answer",
    "skipped",
    "submitted_at",
)
COMMENT_COLUMNS = (
    "consultation_id",
    "comment_id",
    "parent_id",
    "section_id",
    "section",
    "author",
    "attribution",
    "organisation_type",
    "country",
    "body",
    "created_at",
    "hidden",
    "pinned",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def iso_utc(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def answer_text(kind: str, value: Any, labels: dict[int, str]) -> str:
    """One answer as text, in the documented shape for its question type."""
    if value is None:
        return ""
    kind = QuestionKind(kind)
    if kind == QuestionKind.TEXT:
        return str(value)
    if kind == QuestionKind.SINGLE:
        return labels.get(value, "")
    if kind == QuestionKind.MULTIPLE:
        return "; ".join(labels.get(v, "") for v in value)
    if kind == QuestionKind.SCALE:
        return str(value)
    return "; ".join(f"{n}. {labels.get(v, '')}" for n, v in enumerate(value, start=1))


async def response_rows(viewer: Any, consultation_id: int) -> list[dict[str, Any]]:
    """Facilitators and administrators only (403 for anyone else who may see the consultation)."""
    access = (await get_visible(viewer, consultation_id)).require_manage()
    consultation = access.consultation
    questions = await load_questions(consultation.id)
    people = await respondent_people(consultation.id)
    submitted = sorted(
        (r for r, _ in people.values() if r.status == ResponseStatus.SUBMITTED), key=lambda r: r.pseudonym
    )
    answers: dict[tuple[int, int], Any] = {}
    if submitted:
        for respondent_id, question_id, value in await Answer.filter(
            respondent_id__in=[r.id for r in submitted]
        ).values_list("respondent_id", "question_id", "value"):
            answers[(respondent_id, question_id)] = answer_value(value)
    rows = []
    for respondent in submitted:
        shown = describe_respondent(consultation, respondent, people[respondent.id][1])
        for position, question in enumerate(questions, start=1):
            value = answers.get((respondent.id, question.id))
            labels = {o.id: o.label for o in question.options}
            rows.append(
                {
                    "consultation_id": consultation.id,
                    "respondent": shown.label,
                    "attribution": shown.level.value,
                    "organisation_type": shown.organisation_type,
                    "country": shown.country,
                    "question_id": question.id,
                    "question_position": position,
                    "section": question.section.title if question.section else "",
                    "question_type": question.kind.value
                    if hasattr(question.kind, "value")
                    else question.kind,
                    "question_text": question.text,
                    "answer": answer_text(question.kind, value, labels),
                    "skipped": value is None,
                    "submitted_at": iso_utc(respondent.submitted_at),
                }
            )
    return rows


async def comment_rows(viewer: Any, consultation_id: int) -> list[dict[str, Any]]:
    access = (await get_visible(viewer, consultation_id)).require_manage()
    consultation = access.consultation
    people = await respondent_people(consultation.id)
    sections = {s.id: s for s in await Section.filter(consultation_id=consultation.id)}
    rows = []
    for c in await Comment.filter(consultation_id=consultation.id).order_by("created_at", "id"):
        respondent, user = people[c.respondent_id]  # type: ignore[attr-defined]
        shown = describe_respondent(consultation, respondent, user)
        section = sections.get(c.section_id)  # type: ignore[attr-defined]
        rows.append(
            {
                "consultation_id": consultation.id,
                "comment_id": c.id,
                "parent_id": c.parent_id,  # type: ignore[attr-defined]
                "section_id": c.section_id,  # type: ignore[attr-defined]
                "section": section.title if section else "",
                "author": shown.label,
                "attribution": shown.level.value,
                "organisation_type": shown.organisation_type,
                "country": shown.country,
                "body": c.body,
                "created_at": iso_utc(c.created_at),
                "hidden": c.hidden_at is not None,
                "pinned": c.pinned_at is not None,
            }
        )
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, dialect="excel")  # RFC 4180 quoting, CRLF line ends
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_json(
    consultation_id: int, kind: str, rows: list[dict[str, Any]], columns: tuple[str, ...], now: datetime
) -> bytes:
    document = {
        "consultation_id": consultation_id,
        "kind": kind,
        "columns": list(columns),
        "exported_at": iso_utc(now),
        "rows": rows,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
