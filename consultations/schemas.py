"""Input shapes for consultations (forms and JSON share them) and the helpers that prepare form data.

Times in the API are ISO 8601 with an offset and are stored in UTC. The HTML forms use
<input type=datetime-local>, which has no zone: `localise_times` reads those in the viewer's own
time zone first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, Field, ValidationInfo, field_validator

from consultations.models import Attribution, QuestionKind

MAX_OPTIONS = 30
MAX_TEXT_ANSWER = 10_000
MAX_COMMENT = 10_000
MAX_QA_QUESTION = 1_000
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _none_if_blank(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _checkbox(value: Any) -> Any:
    # An HTML checkbox sends "on" (or nothing); JSON sends true/false.
    if isinstance(value, str):
        return value.strip().lower() in ("on", "true", "1", "yes")
    return value


class ConsultationIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=20_000)
    group: str | None = Field(
        default=None, description="The group's address (slug); empty: the whole network"
    )
    attribution: Attribution = Attribution.BY_NAME
    qa_moderated: bool = True
    opens_at: AwareDatetime
    closes_at: AwareDatetime

    _strip = field_validator("title", "summary", mode="before")(_strip)
    _blank = field_validator("group", mode="before")(_none_if_blank)
    _check = field_validator("qa_moderated", mode="before")(_checkbox)
    _utc = field_validator("opens_at", "closes_at", mode="after")(_to_utc)

    @field_validator("closes_at", mode="after")
    @classmethod
    def _order(cls, value: datetime, info: ValidationInfo) -> datetime:
        opens = info.data.get("opens_at")
        if opens is not None and value <= opens:
            raise ValueError("The closing time must be after the opening time.")
        return value


class ConsultationPatch(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    summary: str | None = Field(default=None, max_length=20_000)
    attribution: Attribution | None = None
    qa_moderated: bool | None = None
    opens_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None

    _strip = field_validator("title", "summary", mode="before")(_strip)
    _check = field_validator("qa_moderated", mode="before")(_checkbox)

    @field_validator("opens_at", "closes_at", mode="after")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)


class SectionIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=100_000)

    _strip = field_validator("title", mode="before")(_strip)


def _split_lines(value: Any) -> Any:
    # A form's textarea gives one option per line; JSON gives a list.
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return value


class QuestionIn(BaseModel):
    kind: QuestionKind
    text: str = Field(min_length=1, max_length=500)
    help: str = Field(default="", max_length=5_000)
    required: bool = False
    section_id: int | None = None
    options: list[str] = Field(default_factory=list, max_length=MAX_OPTIONS)
    max_choices: int | None = Field(default=None, ge=1, le=MAX_OPTIONS)
    scale_low_label: str = Field(default="", max_length=80)
    scale_high_label: str = Field(default="", max_length=80)

    _strip = field_validator("text", "help", "scale_low_label", "scale_high_label", mode="before")(_strip)
    _lines = field_validator("options", mode="before")(_split_lines)
    _blank = field_validator("section_id", "max_choices", mode="before")(_none_if_blank)
    _check = field_validator("required", mode="before")(_checkbox)

    @field_validator("options", mode="after")
    @classmethod
    def _labels(cls, value: list[str], info: ValidationInfo) -> list[str]:
        cleaned = [label.strip() for label in value]
        if any(not label or len(label) > 300 for label in cleaned):
            raise ValueError("Each option needs 1 to 300 characters.")
        if len({label.casefold() for label in cleaned}) != len(cleaned):
            raise ValueError("Two options have the same wording. Make each option different.")
        kind = info.data.get("kind")
        if kind in CHOICE_KINDS and len(cleaned) < 2:
            raise ValueError("This kind of question needs at least two options, one per line.")
        if kind is not None and kind not in CHOICE_KINDS and cleaned:
            raise ValueError("Only choice and ranking questions have options.")
        return cleaned

    @field_validator("max_choices", mode="after")
    @classmethod
    def _max_fits_kind(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("kind") != QuestionKind.MULTIPLE:
            raise ValueError("Only multiple-choice questions have a maximum number of choices.")
        return value


class SessionIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    starts_at: AwareDatetime
    duration_minutes: int = Field(ge=5, le=600)

    _strip = field_validator("title", mode="before")(_strip)
    _utc = field_validator("starts_at", mode="after")(_to_utc)


class DeadlineIn(BaseModel):
    closes_at: AwareDatetime
    reason: str = Field(default="", max_length=1_000)

    _utc = field_validator("closes_at", mode="after")(_to_utc)


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=1_000)


class HandoverIn(BaseModel):
    username: str = Field(min_length=1, max_length=40)

    @field_validator("username", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return value.strip().lstrip("@") if isinstance(value, str) else value


class ResponseIn(BaseModel):
    """answers: question id -> value (text: string; single: option id; multiple: [option ids];
    scale: 1 to 5; ranking: [option ids], best first). A missing or null answer is a skip."""

    answers: dict[int, Any] = Field(default_factory=dict)
    attribution: Attribution | None = None
    submit: bool = False

    _blank = field_validator("attribution", mode="before")(_none_if_blank)
    _check = field_validator("submit", mode="before")(_checkbox)


class CommentIn(BaseModel):
    section_id: int
    body: str = Field(min_length=1, max_length=MAX_COMMENT)
    parent_id: int | None = None

    _strip = field_validator("body", mode="before")(_strip)
    _blank = field_validator("parent_id", mode="before")(_none_if_blank)


class QAQuestionIn(BaseModel):
    body: str = Field(min_length=1, max_length=MAX_QA_QUESTION)

    _strip = field_validator("body", mode="before")(_strip)


class SessionExtendIn(BaseModel):
    minutes: int = Field(ge=1, le=240)


class HighlightIn(BaseModel):
    question_id: int | None = None

    _blank = field_validator("question_id", mode="before")(_none_if_blank)


def zone_named(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_of(viewer: Any) -> ZoneInfo:
    return zone_named(getattr(viewer, "timezone", None))


def localise_times(data: dict[str, Any], viewer: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """Turn the zone-less times of <input type=datetime-local> into aware ones, in the viewer's zone."""
    zone = zone_of(viewer)
    out = dict(data)
    for name in names:
        raw = out.get(name)
        if not isinstance(raw, str) or not raw.strip():
            continue
        try:
            parsed = datetime.fromisoformat(raw.strip())
        except ValueError:
            continue  # left as it is: validation explains what is wrong
        if parsed.tzinfo is None:
            out[name] = parsed.replace(tzinfo=zone).isoformat()
    return out


def local_input_value(value: datetime | None, viewer: Any) -> str:
    """A stored UTC time as the viewer's datetime-local field value (minutes precision)."""
    if value is None:
        return ""
    return value.astimezone(zone_of(viewer)).strftime("%Y-%m-%dT%H:%M")


def when_for(viewer: Any, value: datetime) -> str:
    """A time in the viewer's zone, for services' messages: "3 March 2026, 17:00 (Europe/Paris)"."""
    from babel.dates import format_datetime

    zone = zone_of(viewer)
    return f"{format_datetime(value.astimezone(zone), 'd MMMM y, HH:mm', locale='en')} ({zone.key})"
