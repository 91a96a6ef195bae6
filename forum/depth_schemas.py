"""Input and output shapes for editing, deleting, thread tools, notifications and unread marks.

As in forum/schemas.py, the rules carry messages a person understands and the services run them
too, so a CLI or the demo seeding obeys exactly what the pages and the API obey.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from forum.schemas import TITLE_MAX, TITLE_MIN, AuthorOut, _body, one_line

REASON_MAX = 300
DELETE_REASON_MAX = 1000


def _title(value: Any) -> str:
    title = one_line(value)
    if len(title) < TITLE_MIN:
        raise ValueError(f"Give the thread a title of at least {TITLE_MIN} characters.")
    if len(title) > TITLE_MAX:
        raise ValueError(f"Keep the title to {TITLE_MAX} characters or fewer.")
    return title


def _reason(limit: int) -> Any:
    def check(value: Any) -> str:
        text = " ".join(str(value or "").split())
        if len(text) > limit:
            raise ValueError(f"Keep the reason to {limit:,} characters or fewer.")
        return text

    return check


class _Input(BaseModel):
    model_config = ConfigDict(validate_default=True)


class PostEditIn(_Input):
    body: str = ""
    title: str | None = None  # the opening post only: renames the thread
    reason: str = ""  # optional: shown in the revision history

    _check_body = field_validator("body", mode="before")(_body)
    _check_reason = field_validator("reason", mode="before")(_reason(REASON_MAX))

    @field_validator("title", mode="before")
    @classmethod
    def _check_title(cls, value: Any) -> str | None:
        return None if value is None else _title(value)


class DeleteIn(_Input):
    reason: str = ""  # required when a moderator deletes someone else's post

    _check_reason = field_validator("reason", mode="before")(_reason(DELETE_REASON_MAX))


class RenameIn(_Input):
    title: str = ""
    reason: str = ""

    _check_title = field_validator("title", mode="before")(_title)
    _check_reason = field_validator("reason", mode="before")(_reason(REASON_MAX))


class MoveIn(_Input):
    group: str = ""  # the address (slug) of the group to move the thread to
    reason: str = ""

    _check_reason = field_validator("reason", mode="before")(_reason(REASON_MAX))

    @field_validator("group", mode="before")
    @classmethod
    def _check_group(cls, value: Any) -> str:
        slug = str(value or "").strip().lower()
        if not slug:
            raise ValueError("Choose the group to move the thread to.")
        return slug


class CloseIn(_Input):
    # An empty value clears the date. Without a UTC offset it is read in the member's time zone.
    closes_at: datetime | None = None

    @field_validator("closes_at", mode="before")
    @classmethod
    def _check_closes_at(cls, value: Any) -> Any:
        if value in (None, ""):
            return None
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                raise ValueError("Give a date and time, for example 2030-05-01T18:00.") from None
        return value


class ToolIn(_Input):
    reason: str = ""  # optional, kept in the audit log

    _check_reason = field_validator("reason", mode="before")(_reason(REASON_MAX))


class MarkReadIn(_Input):
    ids: list[int] | None = None  # None (or absent): every notification

    @field_validator("ids", mode="before")
    @classmethod
    def _check_ids(cls, value: Any) -> Any:
        if value in (None, "", []):
            return None if value in (None, "") else []
        if isinstance(value, (str, int)):
            value = [value]
        try:
            return [int(v) for v in value]
        except (TypeError, ValueError):
            raise ValueError("Give the notification ids as a list of numbers.") from None


# ---- Output shapes ----


class DiffLineOut(BaseModel):
    kind: str  # "add" | "del" | "same" | "gap"
    text: str


class RevisionOut(BaseModel):
    number: int
    title: str
    body: str
    body_html: str
    editor: AuthorOut
    created_at: datetime
    reason: str
    title_changed: bool
    diff: list[DiffLineOut]


class GroupRefOut(BaseModel):
    slug: str
    name: str


class NotificationOut(BaseModel):
    id: int
    kind: str  # "mention" | "reply"
    read: bool
    created_at: datetime
    actor: AuthorOut
    group: GroupRefOut
    thread_id: int
    thread_title: str
    post_id: int
    post_number: int
    excerpt: str
    url: str


class NotificationListOut(BaseModel):
    notifications: list[NotificationOut]
    unread_count: int
    page: int
    pages: int
    total: int


class MarkedReadOut(BaseModel):
    marked: int
    unread_count: int


class UnreadThreadOut(BaseModel):
    id: int
    title: str
    unread: int
    new_thread: bool  # never opened, and started since everything before counted as read
    first_unread_url: str
    last_post_at: datetime


class GroupUnreadOut(BaseModel):
    group: str
    threads_with_unread: int
    threads: list[UnreadThreadOut]


class ReadDoneOut(BaseModel):
    marked_at: datetime
    threads_marked: int
