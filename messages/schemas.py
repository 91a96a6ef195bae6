"""Input and output shapes for direct messages. No output carries an email address."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from realtime.service import MAX_MESSAGE_CHARS


def _body(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValueError("Write a message first.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise ValueError(f"Messages are limited to {MAX_MESSAGE_CHARS:,} characters.")
    return text


def _clean_key(value: Any) -> str:
    text = str(value or "").strip() or uuid.uuid4().hex
    if len(text) > 64:
        raise ValueError("The client key is 1 to 64 characters.")
    return text


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class NewConversationIn(_In):
    """`to`: usernames, as a list or separated by commas or spaces ("@amina, @jonas")."""

    to: list[str] = Field(default_factory=list, validate_default=True)
    subject: str = ""
    body: str = Field(default="", validate_default=True)
    key: str = Field(default_factory=lambda: uuid.uuid4().hex)

    @field_validator("to", mode="before")
    @classmethod
    def _to(cls, value: Any) -> list[str]:
        items = value if isinstance(value, list) else [value or ""]
        names = [n.strip().lstrip("@") for item in items for n in str(item).replace(",", " ").split()]
        names = [n for n in names if n]
        if not names:
            raise ValueError("Choose who to write to (their username).")
        return names

    @field_validator("subject", mode="before")
    @classmethod
    def _subject(cls, value: Any) -> str:
        text = " ".join(str(value or "").split())
        if len(text) > 200:
            raise ValueError("Keep the subject under 200 characters.")
        return text

    _check_body = field_validator("body", mode="before")(classmethod(lambda cls, v: _body(v)))

    _check_key = field_validator("key", mode="before")(classmethod(lambda cls, v: _clean_key(v)))


class MessageIn(_In):
    body: str = Field(default="", validate_default=True)
    key: str = Field(default_factory=lambda: uuid.uuid4().hex)

    _check_body = field_validator("body", mode="before")(classmethod(lambda cls, v: _body(v)))
    _check_key = field_validator("key", mode="before")(classmethod(lambda cls, v: _clean_key(v)))


class BlockIn(_In):
    username: str

    @field_validator("username", mode="before")
    @classmethod
    def _username(cls, value: Any) -> str:
        text = str(value or "").strip().lstrip("@").lower()
        if not text:
            raise ValueError("Give the username of the member to block.")
        return text


class MessageSettingsIn(_In):
    email_new_messages: bool = False  # an unticked checkbox sends nothing

    @field_validator("email_new_messages", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        return False if value in (None, "") else value


class PersonOut(BaseModel):
    id: int
    username: str
    name: str


class DirectMessageOut(BaseModel):
    id: int
    seq: int
    author: dict[str, Any]
    html: str
    state: str
    key: str
    created_at: str


class ConversationOut(BaseModel):
    id: int
    subject: str
    room: str
    participants: list[PersonOut]
    last_message_at: datetime
    unread: int = 0
    last_message: DirectMessageOut | None = None
    can_send: bool = True
    cannot_send_reason: str = ""


class ConversationDetailOut(ConversationOut):
    messages: list[DirectMessageOut]
    since: int


class SentOut(BaseModel):
    conversation: int
    message: DirectMessageOut
    duplicate: bool


class BlockOut(BaseModel):
    user: PersonOut
    created_at: datetime


class MessageSettingsOut(BaseModel):
    email_new_messages: bool
