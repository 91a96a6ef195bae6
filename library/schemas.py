"""Input and output shapes for the library. Forms and JSON share them, so both doors have one rule."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from members.choices import RESETTLEMENT_STAGES, country_codes, spoken_language_codes

MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_TAGS = 12
MAX_TAG = 40
MAX_URL = 2000
AudienceName = Literal["public", "members"]
_TAG_OK = re.compile(r"^[\w-]+$")


def _list(value: Any) -> list[str]:
    """A form sends one value, several (a list) or a comma-separated line; JSON sends a list."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    out: list[str] = []
    for item in items:
        for part in str(item).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def clean_title(value: Any) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise ValueError("Give the resource a title.")
    if len(text) > MAX_TITLE:
        raise ValueError(f"Keep the title under {MAX_TITLE} characters.")
    return text


def clean_description(value: Any) -> str:
    text = str(value or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValueError(f"Keep the description under {MAX_DESCRIPTION:,} characters.")
    return text


def clean_url(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("Give a web address starting with http:// or https://.")
    if len(text) > MAX_URL or any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise ValueError("That web address is not valid.")
    return text


def clean_languages(value: Any) -> list[str]:
    codes = [c.lower() for c in _list(value)]
    known = spoken_language_codes()
    if any(c not in known for c in codes):
        raise ValueError("Choose languages from the list (two-letter ISO 639-1 codes, like ar or uk).")
    return codes[:20]


def clean_stages(value: Any) -> list[str]:
    stages = _list(value)
    if any(s not in RESETTLEMENT_STAGES for s in stages):
        raise ValueError("Choose stages of resettlement from the list.")
    return [s for s in RESETTLEMENT_STAGES if s in stages]  # in the list's own order


def clean_tag(value: str) -> str:
    tag = unicodedata.normalize("NFKC", value).strip().lower().lstrip("#")
    return re.sub(r"\s+", "-", tag)


def clean_tags(value: Any) -> list[str]:
    tags: list[str] = []
    for raw in _list(value):
        tag = clean_tag(raw)
        if not tag:
            continue
        if len(tag) > MAX_TAG or not _TAG_OK.match(tag):
            raise ValueError(f"Tags are words of letters, digits and dashes, up to {MAX_TAG} characters.")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValueError(f"Use at most {MAX_TAGS} tags.")
    return tags


def clean_country(value: Any) -> str:
    code = str(value or "").strip().upper()
    if code and code not in country_codes():
        raise ValueError("Choose a country from the list.")
    return code


def clean_publisher(value: Any) -> str:
    text = " ".join(str(value or "").split())
    if len(text) > 200:
        raise ValueError("Keep the organisation's name under 200 characters.")
    return text


def clean_year(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(str(value).strip())
    except ValueError:
        raise ValueError("Give the year as four digits, like 2024.") from None
    if not 1900 <= year <= 2100:
        raise ValueError("Give a year between 1900 and 2100.")
    return year


def clean_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValueError("Use a date like 2025-03-31.") from None


def clean_audience(value: Any) -> str:
    text = str(value or "members").strip().lower()
    if text not in ("public", "members"):
        raise ValueError("Choose who can read it: everyone, or members of the network.")
    return text


def clean_optional_id(value: Any) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    text = str(value).strip().lstrip("#")
    if not text.isdigit() or len(text) > 12:
        raise ValueError("Give the number of an existing resource.")
    return int(text)


def clean_group(value: Any) -> str | None:
    text = str(value or "").strip().lower()
    return text[:80] or None


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ResourcePatch(_In):
    """A change to a resource: every field optional; PATCH sends only what changes."""

    title: str | None = None
    description: str | None = None
    url: str | None = None
    languages: list[str] | None = None
    country: str | None = None
    stages: list[str] | None = None
    tags: list[str] | None = None
    publisher: str | None = None
    year: int | None = None
    last_reviewed: date | None = None
    audience: AudienceName | None = None
    translation_of: int | None = None

    _title = field_validator("title", mode="before")(classmethod(lambda cls, v: clean_title(v)))
    _description = field_validator("description", mode="before")(
        classmethod(lambda cls, v: clean_description(v))
    )
    _url = field_validator("url", mode="before")(classmethod(lambda cls, v: clean_url(v)))
    _languages = field_validator("languages", mode="before")(classmethod(lambda cls, v: clean_languages(v)))
    _country = field_validator("country", mode="before")(classmethod(lambda cls, v: clean_country(v)))
    _stages = field_validator("stages", mode="before")(classmethod(lambda cls, v: clean_stages(v)))
    _tags = field_validator("tags", mode="before")(classmethod(lambda cls, v: clean_tags(v)))
    _publisher = field_validator("publisher", mode="before")(classmethod(lambda cls, v: clean_publisher(v)))
    _year = field_validator("year", mode="before")(classmethod(lambda cls, v: clean_year(v)))
    _reviewed = field_validator("last_reviewed", mode="before")(classmethod(lambda cls, v: clean_date(v)))
    _audience = field_validator("audience", mode="before")(classmethod(lambda cls, v: clean_audience(v)))
    _translation = field_validator("translation_of", mode="before")(
        classmethod(lambda cls, v: clean_optional_id(v))
    )


class ResourceIn(ResourcePatch):
    """A new resource. `url` for a link; a file comes as the multipart part "file" instead.
    `group` is a group's address (slug) to share it in that group only; empty for the network."""

    title: str = Field(default="", validate_default=True)  # so a missing title gets our message
    group: str | None = None

    _group = field_validator("group", mode="before")(classmethod(lambda cls, v: clean_group(v)))


class CommentIn(_In):
    body: str

    @field_validator("body", mode="before")
    @classmethod
    def _body(cls, value: Any) -> str:
        text = str(value or "").strip()
        if not text:
            raise ValueError("Write a comment first.")
        if len(text) > 10_000:
            raise ValueError("Keep comments under 10,000 characters.")
        return text


class LibraryQuery(_In):
    """The browse page and GET /api/v1/resources take the same parameters."""

    q: str = ""
    stage: str = ""
    country: str = ""
    language: str = ""
    tag: str = ""
    group: str = ""
    page: int = 1

    @field_validator("q", mode="before")
    @classmethod
    def _q(cls, value: Any) -> str:
        return " ".join(str(value or "").split())[:200]

    @field_validator("stage", "country", "language", "tag", "group", mode="before")
    @classmethod
    def _facet(cls, value: Any) -> str:
        return str(value or "").strip()[:80]

    @field_validator("page", mode="before")
    @classmethod
    def _page(cls, value: Any) -> int:
        text = str(value or "").strip()
        return int(text) if text.isdigit() and len(text) < 7 and int(text) > 0 else 1

    def params(self, **changes: Any) -> dict[str, str]:
        values = {k: str(getattr(self, k)) for k in ("q", "stage", "country", "language", "tag", "group")}
        values["page"] = str(self.page)
        values.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v and not (k == "page" and v == "1")}


# ---- Outputs ----


class PersonOut(BaseModel):
    username: str
    name: str


class ResourceRef(BaseModel):
    id: int
    title: str
    languages: list[str]
    url: str


class ResourceOut(BaseModel):
    id: int
    title: str
    description_html: str
    kind: Literal["file", "link"]
    url: str | None
    download_url: str | None
    file_name: str | None
    file_type: str | None
    file_size: int | None
    content_type: str | None
    languages: list[str]
    country: str
    stages: list[str]
    tags: list[str]
    publisher: str
    year: int | None
    last_reviewed: date | None
    group: str | None
    audience: AudienceName | None
    translation_of: ResourceRef | None
    translations: list[ResourceRef]
    discussion_url: str
    created_by: PersonOut | None
    created_at: datetime
    updated_at: datetime


class FacetCountOut(BaseModel):
    value: str
    label: str
    count: int


class LibraryPageOut(BaseModel):
    items: list[ResourceOut]
    facets: dict[str, list[FacetCountOut]]
    page: int
    pages: int
    total: int


class CommentOut(BaseModel):
    id: int
    author: PersonOut | None
    html: str
    created_at: datetime
