"""Moderation input and output shapes: flags, hiding, warnings, suspensions, the audit log.

Forms and JSON share these, so both doors obey the same rules and messages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from forum.models import FlagReason

NOTE_MAX = 1000
REASON_MAX = 2000
HIDE_REASON_MAX = 300
SUSPEND_DAYS_MAX = 3650
FLAG_REASON_CHOICES = ", ".join(r.value for r in FlagReason)


class _In(BaseModel):
    model_config = ConfigDict(validate_default=True)


class FlagIn(_In):
    reason: FlagReason = FlagReason.OTHER
    note: str = ""

    @field_validator("reason", mode="before")
    @classmethod
    def _check_reason(cls, value: Any) -> FlagReason:
        try:
            return FlagReason(str(value or "").strip().lower().replace("-", "_"))
        except ValueError:
            raise ValueError(f"Choose why you are flagging this post: {FLAG_REASON_CHOICES}.") from None

    @field_validator("note", mode="before")
    @classmethod
    def _check_note(cls, value: Any, info: ValidationInfo) -> str:
        note = str(value or "").strip()
        if len(note) > NOTE_MAX:
            raise ValueError(f"Keep the note to {NOTE_MAX:,} characters or fewer.")
        if info.data.get("reason") == FlagReason.OTHER and not note:
            raise ValueError("Tell the moderators what is wrong with this post.")
        return note


class HideIn(_In):
    reason: str = ""

    @field_validator("reason", mode="before")
    @classmethod
    def _check_reason(cls, value: Any) -> str:
        reason = " ".join(str(value or "").split())
        if len(reason) > HIDE_REASON_MAX:
            raise ValueError(f"Keep the reason to {HIDE_REASON_MAX} characters or fewer.")
        return reason


def _required_reason(value: Any) -> str:
    reason = str(value or "").strip()
    if not reason:
        raise ValueError("Give a reason: the member will read it.")
    if len(reason) > REASON_MAX:
        raise ValueError(f"Keep the reason to {REASON_MAX:,} characters or fewer.")
    return reason


class WarnIn(_In):
    """`group`: the address of the group whose moderator warns (site moderators may leave it out)."""

    reason: str = ""
    post_id: int | None = None
    group: str | None = None

    _check_reason = field_validator("reason", mode="before")(_required_reason)

    @field_validator("group", mode="before")
    @classmethod
    def _check_group(cls, value: Any) -> str | None:
        return str(value or "").strip().lower() or None

    @field_validator("post_id", mode="before")
    @classmethod
    def _check_post(cls, value: Any) -> Any:
        return None if value in ("", None) else value


class SuspendIn(_In):
    """How long: `days` (1 to 3650), or `until` a date; neither means until lifted (admins only)."""

    reason: str = ""
    days: int | None = None
    until: date | None = None

    _check_reason = field_validator("reason", mode="before")(_required_reason)

    @field_validator("days", mode="before")
    @classmethod
    def _check_days(cls, value: Any) -> int | None:
        if value in ("", None):
            return None
        text = str(value).strip()
        if not text.isdigit() or not 1 <= int(text) <= SUSPEND_DAYS_MAX:
            raise ValueError(f"Give a number of days from 1 to {SUSPEND_DAYS_MAX}.")
        return int(text)

    @field_validator("until", mode="before")
    @classmethod
    def _check_until(cls, value: Any) -> Any:
        if value in ("", None):
            return None
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip()[:10])
            except ValueError:
                raise ValueError("Use a date like 2025-03-31.") from None
        return value

    def ends_at(self, now: datetime) -> datetime | None:
        """When the suspension ends: `days` from now, or the start of the day after `until` (UTC)."""
        if self.days is not None:
            return now + timedelta(days=self.days)
        if self.until is not None:
            return datetime.combine(self.until + timedelta(days=1), time.min, UTC)
        return None


class UnsuspendIn(_In):
    reason: str = ""

    @field_validator("reason", mode="before")
    @classmethod
    def _check_reason(cls, value: Any) -> str:
        return str(value or "").strip()[:REASON_MAX]


class AuditQuery(_In):
    """Filters of the audit log pages and GET /api/v1/admin/audit."""

    action: str | None = None
    actor: str | None = None
    group: str | None = None
    since: date | None = None
    until: date | None = None
    page: int = 1

    @field_validator("action", "actor", "group", mode="before")
    @classmethod
    def _check_text(cls, value: Any) -> str | None:
        text = str(value or "").strip().lstrip("@")
        return text[:80] or None

    @field_validator("since", "until", mode="before")
    @classmethod
    def _check_date(cls, value: Any) -> Any:
        if value in ("", None):
            return None
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip()[:10])
            except ValueError:
                raise ValueError("Use a date like 2025-03-31.") from None
        return value

    @field_validator("page", mode="before")
    @classmethod
    def _check_page(cls, value: Any) -> int:
        text = str(value or "").strip()
        return int(text) if text.isdigit() and len(text) < 7 and int(text) > 0 else 1

    @property
    def since_at(self) -> datetime | None:
        return None if self.since is None else datetime.combine(self.since, time.min, UTC)

    @property
    def until_at(self) -> datetime | None:
        return None if self.until is None else datetime.combine(self.until + timedelta(days=1), time.min, UTC)

    def params(self, **changes: Any) -> dict[str, str]:
        values = {
            "action": self.action or "",
            "actor": self.actor or "",
            "group": self.group or "",
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        values.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v and not (k == "page" and v == "1")}


# ---- Output shapes ----


class FlagOut(BaseModel):
    id: int
    post_id: int
    reason: FlagReason
    note: str
    flagged_by: str | None
    created_at: datetime
    resolved_at: datetime | None = None
    resolution: str = ""


class QueueItemOut(BaseModel):
    post_id: int
    post_number: int
    post_url: str
    thread_id: int
    thread_title: str
    group: str
    author_id: int | None
    author_username: str | None
    body_html: str
    hidden: bool
    hide_reason: str
    flag_count: int
    flags: list[FlagOut]


class QueueOut(BaseModel):
    items: list[QueueItemOut]
    page: int
    pages: int
    total: int


class ModerationResultOut(BaseModel):
    post_id: int
    hidden: bool
    open_flags: int


class WarningOut(BaseModel):
    id: int
    user_id: int
    reason: str
    reason_html: str
    group_id: int | None
    post_id: int | None
    created_at: datetime
    acknowledged_at: datetime | None


class SuspensionOut(BaseModel):
    user_id: int
    username: str
    status: str
    suspended_until: datetime | None


class AuditEntryOut(BaseModel):
    id: int
    action: str
    actor: str | None
    target_type: str
    target_id: int | None
    group_id: int | None
    reason: str
    data: dict[str, Any]
    created_at: datetime


class AuditPageOut(BaseModel):
    items: list[AuditEntryOut]
    page: int
    pages: int
    total: int
