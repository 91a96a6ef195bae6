"""Input and output shapes for email settings and the newsletter: forms and JSON share these rules."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from digest.schedule import WEEKDAYS

BATCH_CHOICES: tuple[int, ...] = (0, 5, 10, 15, 30, 60)
FrequencyName = Literal["off", "daily", "weekly"]
MAX_SUBJECT = 200
MAX_NEWSLETTER = 50_000


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class EmailSettingsIn(BaseModel):
    """Every field is optional: a field left out keeps its value (the form sends them all)."""

    model_config = ConfigDict(extra="ignore")

    digest: FrequencyName | None = Field(default=None, description="off, daily or weekly")
    weekday: str | None = Field(default=None, description="for weekly digests: monday ... sunday")
    hour: int | None = Field(default=None, description="0-23, in your own time zone (your profile's)")
    all_groups: bool | None = Field(default=None, description="true: every group you belong to")
    groups: list[int] | None = Field(
        default=None, description="the groups to include when all_groups is false"
    )
    instant_mentions: bool | None = Field(default=None, description="email me when someone mentions me")
    instant_replies: bool | None = Field(default=None, description="email me when someone replies to me")
    batch_minutes: int | None = Field(
        default=None, description="wait this long and send one email for everything that happened"
    )
    newsletter: bool | None = Field(default=None, description="receive the network's newsletter")

    @field_validator("digest", mode="before")
    @classmethod
    def _digest(cls, value: object) -> object:
        value = _blank_to_none(value)
        if value is not None and value not in ("off", "daily", "weekly"):
            raise ValueError("Choose off, daily or weekly.")
        return value

    @field_validator("weekday", mode="before")
    @classmethod
    def _weekday(cls, value: object) -> object:
        value = _blank_to_none(value)
        if value is None:
            return None
        name = str(value).strip().lower()
        if name not in WEEKDAYS:
            raise ValueError("Choose a day of the week, from Monday to Sunday.")
        return name

    @field_validator("hour", mode="before")
    @classmethod
    def _hour(cls, value: object) -> object:
        value = _blank_to_none(value)
        if value is None:
            return None
        try:
            hour = int(str(value))
        except ValueError:
            raise ValueError("Choose an hour from 0 to 23.") from None
        if not 0 <= hour <= 23:
            raise ValueError("Choose an hour from 0 to 23.")
        return hour

    @field_validator("batch_minutes", mode="before")
    @classmethod
    def _batch(cls, value: object) -> object:
        value = _blank_to_none(value)
        if value is None:
            return None
        try:
            minutes = int(str(value))
        except ValueError:
            minutes = -1
        if minutes not in BATCH_CHOICES:
            raise ValueError(
                "Choose how long to wait: " + ", ".join(str(c) for c in BATCH_CHOICES) + " minutes."
            )
        return minutes

    @field_validator("groups", mode="before")
    @classmethod
    def _groups(cls, value: object) -> object:
        if value is None:
            return None
        if isinstance(value, str | int):
            value = [value]
        if not isinstance(value, list):
            raise ValueError("Send a list of group ids.")
        ids = []
        for item in value:
            try:
                ids.append(int(str(item)))
            except ValueError:
                raise ValueError("Choose groups from the list.") from None
        return sorted(set(ids))


class GroupChoiceOut(BaseModel):
    id: int
    slug: str
    name: str


class EmailSettingsOut(BaseModel):
    digest: FrequencyName
    weekday: str
    hour: int
    timezone: str = Field(description="your profile's time zone: digests follow it")
    all_groups: bool
    groups: list[int]
    instant_mentions: bool
    instant_replies: bool
    batch_minutes: int
    newsletter: bool
    next_digest_at: datetime | None = Field(description="when the next digest is composed (UTC)")
    email_failing: bool = Field(description="true when mail to your address keeps being refused")
    group_choices: list[GroupChoiceOut]


class NewsletterIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    subject: str
    body: str

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        # One line: a subject is an email header, and a newline must never start another one.
        value = " ".join(value.split())
        if not value:
            raise ValueError("Please give the newsletter a subject.")
        if len(value) > MAX_SUBJECT:
            raise ValueError(f"Keep the subject under {MAX_SUBJECT} characters.")
        return value

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Please write the newsletter.")
        if len(value) > MAX_NEWSLETTER:
            raise ValueError(f"Keep the newsletter under {MAX_NEWSLETTER:,} characters.")
        return value
