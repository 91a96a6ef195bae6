"""Tortoise models for consultations: the document, its questions, the schedule, the answers,
section comments, the live Q&A, the notices already sent and the facilitators' activity log.

The state (draft, scheduled, open, closed, report published) is never stored: it follows from the
clock and the few facts kept here (published_at, opens_at, closes_at, closed_early_at,
report_published_at); see consultations/state.py. So a consultation opens and closes on time with
no traffic at all, and a restart changes nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class Attribution(StrEnum):
    """How respondents are named, from the most open to the most private."""

    BY_NAME = "by_name"
    ORG_TYPE = "org_type"
    ANONYMOUS = "anonymous"


class QuestionKind(StrEnum):
    TEXT = "text"
    SINGLE = "single"
    MULTIPLE = "multiple"
    SCALE = "scale"  # 1 to 5
    RANKING = "ranking"


class ResponseStatus(StrEnum):
    NONE = "none"  # commented, or opened the form, but saved no answers yet
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Consultation(Model):
    id = fields.IntField(primary_key=True)
    # NULL: the whole network (any signed-in active member takes part).
    group: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "forum.Group", related_name=False, null=True, on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=200)
    summary = fields.TextField(default="")
    summary_html = fields.TextField(default="")
    facilitator: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    attribution = fields.CharEnumField(Attribution, max_length=16, default=Attribution.BY_NAME)
    # Live Q&A: when true, a facilitator approves each question before others see it.
    qa_moderated = fields.BooleanField(default=True)
    opens_at = fields.DatetimeField()
    closes_at = fields.DatetimeField()
    published_at = fields.DatetimeField(null=True)  # NULL: still a draft
    closed_early_at = fields.DatetimeField(null=True)
    reopened_at = fields.DatetimeField(null=True)  # the latest reopening, if any
    reopen_count = fields.IntField(default=0)
    # Bumped by each extension or reopening: the "extended"/"reopened" notices are one per bump.
    deadline_version = fields.IntField(default=0)
    report_published_at = fields.DatetimeField(null=True)
    # The last "Respondent N" handed out; incremented under the row's write lock.
    pseudonym_counter = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "consultations"
        indexes = (("published_at", "closes_at"),)


class Section(Model):
    id = fields.IntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "consultations.Consultation", related_name="sections", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    title = fields.CharField(max_length=200)
    body = fields.TextField(default="")
    body_html = fields.TextField(default="")

    class Meta:
        table = "consultation_sections"
        indexes = (("consultation_id", "position"),)  # a consultation's parts, in order
        ordering = ["position", "id"]


class Question(Model):
    id = fields.IntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "consultations.Consultation", related_name="questions", on_delete=fields.CASCADE
    )
    # The section the question belongs to; NULL puts it after the document, under "Questions".
    section: fields.ForeignKeyNullableRelation[Section] = fields.ForeignKeyField(
        "consultations.Section", related_name="questions", null=True, on_delete=fields.SET_NULL
    )
    position = fields.IntField()
    kind = fields.CharEnumField(QuestionKind, max_length=16)
    text = fields.CharField(max_length=500)
    help = fields.TextField(default="")
    help_html = fields.TextField(default="")
    required = fields.BooleanField(default=False)
    max_choices = fields.IntField(null=True)  # multiple choice: at most this many (NULL: any)
    scale_low_label = fields.CharField(max_length=80, default="")
    scale_high_label = fields.CharField(max_length=80, default="")

    class Meta:
        table = "consultation_questions"
        indexes = (("consultation_id", "position"),)
        ordering = ["position", "id"]


class Option(Model):
    id = fields.IntField(primary_key=True)
    question: fields.ForeignKeyRelation[Question] = fields.ForeignKeyField(
        "consultations.Question", related_name="options", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    label = fields.CharField(max_length=300)

    class Meta:
        table = "consultation_options"
        indexes = (("question_id", "position"),)
        ordering = ["position", "id"]


class LiveSession(Model):
    id = fields.IntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "consultations.Consultation", related_name="live_sessions", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=200)
    starts_at = fields.DatetimeField()
    duration_minutes = fields.IntField()
    extended_minutes = fields.IntField(default=0)
    ended_at = fields.DatetimeField(null=True)  # ended early by a facilitator
    highlighted_question_id = fields.IntField(null=True)

    class Meta:
        table = "consultation_live_sessions"
        indexes = (("consultation_id", "starts_at"),)
        ordering = ["starts_at", "id"]


class Respondent(Model):
    """One member's standing in one consultation: their stable pseudonym, the attribution level they
    chose, and their response's status. Created at their first answer or comment."""

    id = fields.IntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "consultations.Consultation", related_name="respondents", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "members.User", related_name=False, on_delete=fields.CASCADE
    )
    pseudonym = fields.IntField()  # "Respondent 7": never the user id
    attribution = fields.CharEnumField(Attribution, max_length=16, default=Attribution.BY_NAME)
    status = fields.CharEnumField(ResponseStatus, max_length=16, default=ResponseStatus.NONE)
    created_at = fields.DatetimeField()
    saved_at = fields.DatetimeField(null=True)
    submitted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "consultation_respondents"
        unique_together = (("consultation", "user"), ("consultation", "pseudonym"))


class Answer(Model):
    id = fields.IntField(primary_key=True)
    respondent: fields.ForeignKeyRelation[Respondent] = fields.ForeignKeyField(
        "consultations.Respondent", related_name="answers", on_delete=fields.CASCADE
    )
    question: fields.ForeignKeyRelation[Question] = fields.ForeignKeyField(
        "consultations.Question", related_name="answers", on_delete=fields.CASCADE
    )
    # {"v": ...} with text: str; single: option id; multiple and ranking: [option ids] (a ranking in
    # order, best first); scale: 1-5. Wrapped because a bare JSON string would be taken as JSON text.
    value = fields.JSONField()
    text_html = fields.TextField(default="")  # free text, rendered once at write time

    class Meta:
        table = "consultation_answers"
        unique_together = (("respondent", "question"),)


def answer_value(stored: Any) -> Any:
    """The answer held in Answer.value."""
    return stored.get("v") if isinstance(stored, dict) else stored


class Comment(Model):
    id = fields.IntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "consultations.Consultation", related_name="comments", on_delete=fields.CASCADE
    )
    section: fields.ForeignKeyRelation[Section] = fields.ForeignKeyField(
        "consultations.Section", related_name="comments", on_delete=fields.CASCADE
    )
    respondent: fields.ForeignKeyRelation[Respondent] = fields.ForeignKeyField(
        "consultations.Respondent", related_name="comments", on_delete=fields.CASCADE
    )
    parent: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "consultations.Comment", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    body = fields.TextField()
    body_html = fields.TextField()
    created_at = fields.DatetimeField()
    hidden_at = fields.DatetimeField(null=True)
    hidden_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    hide_reason = fields.TextField(default="")
    pinned_at = fields.DatetimeField(null=True)

    class Meta:
        table = "consultation_comments"
        indexes = (("section_id", "created_at"), ("consultation_id", "created_at"))


class QAQuestion(Model):
    """A question asked during a live session."""

    id = fields.IntField(primary_key=True)
    session: fields.ForeignKeyRelation[LiveSession] = fields.ForeignKeyField(
        "consultations.LiveSession", related_name="questions", on_delete=fields.CASCADE
    )
    respondent: fields.ForeignKeyRelation[Respondent] = fields.ForeignKeyField(
        "consultations.Respondent", related_name=False, on_delete=fields.CASCADE
    )
    body = fields.TextField()
    body_html = fields.TextField()
    created_at = fields.DatetimeField()
    approved_at = fields.DatetimeField(null=True)  # NULL while waiting for a facilitator
    answered_at = fields.DatetimeField(null=True)
    hidden_at = fields.DatetimeField(null=True)
    votes = fields.IntField(default=0)

    class Meta:
        table = "consultation_qa_questions"
        indexes = (("session_id", "created_at"),)


class QAVote(Model):
    id = fields.IntField(primary_key=True)
    question: fields.ForeignKeyRelation[QAQuestion] = fields.ForeignKeyField(
        "consultations.QAQuestion", related_name="vote_rows", on_delete=fields.CASCADE
    )
    user_id = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "consultation_qa_votes"
        unique_together = (("question", "user_id"),)  # one upvote per member


class Notice(Model):
    """A notice already sent. The unique key makes each (consultation, kind, occurrence) go out once,
    whatever the number of scheduler runs or runners: the one that inserts the row sends it."""

    id = fields.IntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "consultations.Consultation", related_name="notices", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=32)
    occurrence = fields.CharField(max_length=40)
    recipients = fields.IntField(default=0)
    sent_at = fields.DatetimeField()

    class Meta:
        table = "consultation_notices"
        unique_together = (("consultation", "kind", "occurrence"),)


class DeadlineChange(Model):
    """Each extension or reopening, numbered by the consultation's deadline_version."""

    id = fields.IntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "consultations.Consultation", related_name="deadline_changes", on_delete=fields.CASCADE
    )
    version = fields.IntField()
    kind = fields.CharField(max_length=16)  # extended | reopened
    old_closes_at = fields.DatetimeField()
    new_closes_at = fields.DatetimeField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "consultation_deadline_changes"
        unique_together = (("consultation", "version"),)


class ConsultationEvent(Model):
    """The consultation's activity log, shown to its facilitators: who changed what, and when."""

    id = fields.IntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "consultations.Consultation", related_name="events", on_delete=fields.CASCADE
    )
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "members.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    action = fields.CharField(max_length=40)
    data = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()

    class Meta:
        table = "consultation_events"
        indexes = (("consultation_id", "created_at"),)
