"""Forum input and output shapes: what a form or JSON body must hold, and what the API answers.

Input schemas carry the validation rules with messages a person understands; the service runs
them too, so the CLI and demo seeding obey exactly what the pages and the API obey.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from forum.models import GroupRole, MembershipStatus, Visibility

NAME_MIN, NAME_MAX = 3, 120
DESCRIPTION_MAX = 5000
TITLE_MIN, TITLE_MAX = 3, 200
BODY_MAX = 50_000
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
VISIBILITY_CHOICES = ", ".join(v.value for v in Visibility)


def one_line(value: Any) -> str:
    """Titles and names are single-line plain text: collapse every run of whitespace."""
    return " ".join(str(value or "").split())


def _name(value: Any) -> str:
    name = one_line(value)
    if len(name) < NAME_MIN:
        raise ValueError(f"Give the group a name of at least {NAME_MIN} characters.")
    if len(name) > NAME_MAX:
        raise ValueError(f"Keep the name to {NAME_MAX} characters or fewer.")
    return name


def _description(value: Any) -> str:
    text = str(value or "").strip()
    if len(text) > DESCRIPTION_MAX:
        raise ValueError(f"Keep the description to {DESCRIPTION_MAX:,} characters or fewer.")
    return text


def _visibility(value: Any) -> Visibility:
    try:
        return Visibility(str(value or "").strip().lower())
    except ValueError:
        raise ValueError(f"Choose who can read the group: {VISIBILITY_CHOICES}.") from None


def _body(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValueError("Please write something before posting.")
    if len(text) > BODY_MAX:
        raise ValueError(f"Keep your post to {BODY_MAX:,} characters or fewer.")
    return text


def _optional_int(value: Any) -> Any:
    # An empty form field means "not given", not "zero".
    return None if value in ("", None) else value


class _Input(BaseModel):
    # Defaults are validated too, so a missing field gets the same sentence as an empty one.
    model_config = ConfigDict(validate_default=True)


class GroupIn(_Input):
    name: str = ""
    description: str = ""
    visibility: Visibility = Visibility.PUBLIC
    slug: str | None = None

    _check_name = field_validator("name", mode="before")(_name)
    _check_description = field_validator("description", mode="before")(_description)
    _check_visibility = field_validator("visibility", mode="before")(_visibility)

    @field_validator("slug", mode="before")
    @classmethod
    def _check_slug(cls, value: Any) -> str | None:
        slug = str(value or "").strip().lower()
        if not slug:
            return None
        if not SLUG_RE.match(slug):
            raise ValueError(
                "Use up to 80 lower-case letters, digits and dashes, starting and ending with a "
                "letter or digit."
            )
        return slug


class GroupPatch(_Input):
    name: str | None = None
    description: str | None = None
    visibility: Visibility | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _check_name(cls, value: Any) -> str | None:
        return None if value is None else _name(value)

    @field_validator("description", mode="before")
    @classmethod
    def _check_description(cls, value: Any) -> str | None:
        return None if value is None else _description(value)

    @field_validator("visibility", mode="before")
    @classmethod
    def _check_visibility(cls, value: Any) -> Visibility | None:
        return None if value is None else _visibility(value)


class ThreadIn(_Input):
    title: str = ""
    body: str = ""

    @field_validator("title", mode="before")
    @classmethod
    def _check_title(cls, value: Any) -> str:
        title = one_line(value)
        if len(title) < TITLE_MIN:
            raise ValueError(f"Give the thread a title of at least {TITLE_MIN} characters.")
        if len(title) > TITLE_MAX:
            raise ValueError(f"Keep the title to {TITLE_MAX} characters or fewer.")
        return title

    _check_body = field_validator("body", mode="before")(_body)


class PostIn(_Input):
    body: str = ""
    parent_id: int | None = None

    _check_body = field_validator("body", mode="before")(_body)
    _check_parent = field_validator("parent_id", mode="before")(_optional_int)


class InviteIn(_Input):
    username: str = ""
    add: bool = False  # True: add at once (no acceptance step); False: invite

    @field_validator("username", mode="before")
    @classmethod
    def _check_username(cls, value: Any) -> str:
        username = str(value or "").strip().lstrip("@").lower()
        if not username:
            raise ValueError("Enter the username of the member to invite.")
        return username


class RoleIn(_Input):
    role: GroupRole | None = None

    @field_validator("role", mode="before")
    @classmethod
    def _check_role(cls, value: Any) -> GroupRole | None:
        try:
            return GroupRole(str(value or "").strip().lower())
        except ValueError:
            raise ValueError("Choose a role: member or moderator.") from None


# ---- Output shapes (the API's answers) ----


class AuthorOut(BaseModel):
    id: int | None
    username: str | None
    name: str


class MembershipOut(BaseModel):
    group: str
    user_id: int
    role: GroupRole
    status: MembershipStatus
    since: datetime


class GroupOut(BaseModel):
    slug: str
    name: str
    description: str
    description_html: str
    visibility: Visibility
    member_count: int
    thread_count: int
    created_at: datetime
    last_activity_at: datetime | None
    url: str
    membership: MembershipOut | None = None
    can_read: bool
    can_post: bool
    can_moderate: bool


class MemberOut(BaseModel):
    user_id: int
    username: str
    name: str
    role: GroupRole
    status: MembershipStatus
    since: datetime


class ThreadOut(BaseModel):
    id: int
    group: str
    title: str
    author: AuthorOut
    created_at: datetime
    last_post_at: datetime
    post_count: int
    url: str
    # Thread tools and unread marks (forum/thread_tools.py, forum/unread.py).
    pinned: bool = False
    locked: bool = False  # locked by a moderator, or its closing date has passed: no new replies
    closes_at: datetime | None = None
    deleted: bool = False  # only moderators ever see a deleted thread
    unread: int | None = None  # posts new to you (signed-in members only)
    first_unread_url: str | None = None


class ThreadListOut(BaseModel):
    threads: list[ThreadOut]
    page: int
    pages: int
    per_page: int
    total: int


class PostOut(BaseModel):
    id: int
    number: int
    thread_id: int
    author: AuthorOut
    parent_id: int | None
    parent_number: int | None
    depth: int = 0
    body: str
    body_html: str
    created_at: datetime
    url: str
    hidden: bool = False  # hidden by a moderator: body and body_html are empty except for moderators
    # Editing and deletion (forum/editing.py): a deleted post's text and reason go to moderators only.
    deleted: bool = False
    deleted_by: str | None = None  # "author" | "moderator"
    delete_reason: str = ""
    edited_at: datetime | None = None
    edit_count: int = 0


class ThreadDetailOut(BaseModel):
    thread: ThreadOut
    view: str
    posts: list[PostOut]
    page: int
    pages: int
    per_page: int
    total: int


@dataclass(frozen=True)
class Pagination:
    """One page of a longer list; numbers start at 1 and out-of-range requests are clamped."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @classmethod
    def clamp(cls, page: int, per_page: int, total: int) -> Pagination:
        pages = max(1, -(-total // per_page))
        return cls(min(max(1, page), pages), per_page, total)


def page_number(raw: str | None) -> int:
    """A page number from the query string; anything odd means the first page."""
    return int(raw) if raw and raw.isdigit() and len(raw) < 7 else 1
