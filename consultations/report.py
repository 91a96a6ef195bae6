"""The report: per-question counts and percentages, free-text answers, comment counts per section.

Only submitted responses count. Percentages are of the respondents who answered that question
(for multiple choice they may add up to more than 100). Facilitators see the report at any time;
participants once it is published. Charts are drawn by templates/consultations/_chart.html from
the numbers here, with a table beside each one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from consultations.access import ConsultationAccess, get_visible
from consultations.attribution import describe_respondent
from consultations.comments import comment_counts, respondent_people
from consultations.models import Answer, Question, QuestionKind, ResponseStatus, Section, answer_value
from consultations.responses import load_questions
from convene.errors import Forbidden


@dataclass
class Bar:
    label: str
    count: int
    percent: float

    @property
    def percent_text(self) -> str:
        return f"{self.percent:.0f}%"


@dataclass
class RankRow:
    label: str
    mean_rank: float
    firsts: int


@dataclass
class TextAnswer:
    author: str
    html: str


@dataclass
class QuestionReport:
    question: Question
    position: int
    answered: int
    skipped: int
    bars: list[Bar] = field(default_factory=list)
    ranks: list[RankRow] = field(default_factory=list)
    mean: float | None = None
    texts: list[TextAnswer] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return str(self.question.kind.value if hasattr(self.question.kind, "value") else self.question.kind)


@dataclass
class SectionCount:
    section: Section
    visible: int
    hidden: int


@dataclass
class Report:
    access: ConsultationAccess
    respondents: int
    questions: list[QuestionReport]
    sections: list[SectionCount]


def _percent(count: int, total: int) -> float:
    return 100.0 * count / total if total else 0.0


def summarise(question: Question, position: int, values: list[Any], total: int) -> QuestionReport:
    """Counts for one question from its answers' stored values (pure: no database)."""
    kind = QuestionKind(question.kind)
    answered = len(values)
    report = QuestionReport(question, position, answered, total - answered)
    options = list(question.options)
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        counts = {o.id: 0 for o in options}
        for value in values:
            for chosen in value if isinstance(value, list) else [value]:
                if chosen in counts:
                    counts[chosen] += 1
        report.bars = [Bar(o.label, counts[o.id], _percent(counts[o.id], answered)) for o in options]
    elif kind == QuestionKind.SCALE:
        counts = {n: 0 for n in range(1, 6)}
        for value in values:
            if value in counts:
                counts[value] += 1
        labels = {1: question.scale_low_label, 5: question.scale_high_label}
        report.bars = [
            Bar(f"{n} – {labels[n]}" if labels.get(n) else str(n), counts[n], _percent(counts[n], answered))
            for n in range(1, 6)
        ]
        report.mean = sum(values) / answered if answered else None
    elif kind == QuestionKind.RANKING:
        firsts = {o.id: 0 for o in options}
        rank_sum = {o.id: 0 for o in options}
        for value in values:
            for rank, option_id in enumerate(value, start=1):
                if option_id in rank_sum:
                    rank_sum[option_id] += rank
            if value and value[0] in firsts:
                firsts[value[0]] += 1
        report.ranks = sorted(
            (RankRow(o.label, rank_sum[o.id] / answered if answered else 0.0, firsts[o.id]) for o in options),
            key=lambda r: (r.mean_rank, r.label),
        )
        report.bars = [Bar(o.label, firsts[o.id], _percent(firsts[o.id], answered)) for o in options]
    return report


async def get_report(viewer: Any, consultation_id: int, now: Any, gettext: Any = None) -> Report:
    access = await get_visible(viewer, consultation_id)
    if not access.can_see_report(now):
        raise Forbidden(
            "The report is not published yet. The facilitator publishes it after the consultation closes."
        )
    consultation = access.consultation
    questions = await load_questions(consultation.id)
    people = await respondent_people(consultation.id)
    submitted = {rid: pair for rid, pair in people.items() if pair[0].status == ResponseStatus.SUBMITTED}
    by_question: dict[int, list[tuple[int, Any, str]]] = {q.id: [] for q in questions}
    if submitted:
        rows = (
            await Answer.filter(respondent_id__in=list(submitted))
            .order_by("id")
            .values_list("respondent_id", "question_id", "value", "text_html")
        )
        for respondent_id, question_id, value, html in rows:
            by_question.setdefault(question_id, []).append((respondent_id, answer_value(value), html))
    total = len(submitted)
    kwargs = {"gettext": gettext} if gettext else {}
    reports = []
    for position, question in enumerate(questions, start=1):
        entries = by_question.get(question.id, [])
        report = summarise(question, position, [value for _, value, _ in entries], total)
        if question.kind == QuestionKind.TEXT:
            ordered = sorted(entries, key=lambda e: submitted[e[0]][0].pseudonym)
            report.texts = [
                TextAnswer(describe_respondent(consultation, *submitted[rid], **kwargs).label, html)
                for rid, _, html in ordered
            ]
        reports.append(report)
    visible = await comment_counts(consultation.id, include_hidden=False)
    every = await comment_counts(consultation.id, include_hidden=True)
    sections = [
        SectionCount(s, visible.get(s.id, 0), every.get(s.id, 0) - visible.get(s.id, 0))
        for s in await Section.filter(consultation_id=consultation.id).order_by("position", "id")
    ]
    return Report(access, total, reports, sections)
