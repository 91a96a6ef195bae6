"""What a person may ask search for, validated; and how their words become a safe FTS5 query.

People type words, "quoted phrases", a trailing * for a prefix (migra*) and -word to leave a word
out. FTS5's own syntax (AND, OR, NEAR, column filters, parentheses) is never passed through: every
term is quoted, so no input can make the query fail or reach another column.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

Q_MIN, Q_MAX = 2, 200
SORT_RELEVANCE, SORT_DATE = "relevance", "date"
MAX_TERMS = 12

_TERM = re.compile(r'(-?)"([^"]*)"(\*?)|(-?)(\S+)')
# Characters the unicode61 tokenizer treats as separators anyway; dropping them at the edges keeps
# "(word)" or "word," from becoming an empty phrase.
_EDGE_PUNCT = "()[]{}.,;:!?\"'`^+~<>=|/\\"


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts5_query(raw: str) -> str | None:
    """The FTS5 MATCH expression for what a person typed, or None when nothing searchable is left.
    Terms are ANDed; -term excludes (only alongside at least one positive term, as FTS5 requires)."""
    positive: list[str] = []
    negative: list[str] = []
    for match in _TERM.finditer(raw):
        if match.group(2) is not None:
            minus, text, star = match.group(1), match.group(2).strip(), match.group(3)
        else:
            minus, word = match.group(4), match.group(5)
            star = "*" if word.endswith("*") else ""
            text = word.rstrip("*").strip(_EDGE_PUNCT)
        if not text or not any(ch.isalnum() for ch in text):
            continue
        term = _quote(text) + ("*" if star else "")
        (negative if minus else positive).append(term)
    positive, negative = positive[:MAX_TERMS], negative[:MAX_TERMS]
    if not positive:
        return None
    expression = " AND ".join(positive)
    if negative:
        expression = f"({expression}) NOT ({' OR '.join(negative)})"
    return expression


class SearchQuery(BaseModel):
    """The search form and GET /api/v1/search take the same parameters."""

    model_config = ConfigDict(validate_default=True)

    q: str = ""
    group: str | None = None
    author: str | None = None
    since: date | None = None
    until: date | None = None
    sort: Literal["relevance", "date"] = SORT_RELEVANCE
    page: int = 1

    @field_validator("q", mode="before")
    @classmethod
    def _check_q(cls, value: Any) -> str:
        text = " ".join(str(value or "").split())
        if len(text) < Q_MIN:
            raise ValueError(f"Type at least {Q_MIN} characters to search for.")
        if len(text) > Q_MAX:
            raise ValueError(f"Keep your search to {Q_MAX} characters or fewer.")
        if fts5_query(text) is None:
            raise ValueError("Type at least one word to search for (letters or digits).")
        return text

    @field_validator("group", "author", mode="before")
    @classmethod
    def _check_name(cls, value: Any) -> str | None:
        text = str(value or "").strip().lstrip("@").lower()
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

    @field_validator("sort", mode="before")
    @classmethod
    def _check_sort(cls, value: Any) -> str:
        text = str(value or "").strip().lower()
        if text in ("", SORT_RELEVANCE):
            return SORT_RELEVANCE
        if text in (SORT_DATE, "newest"):
            return SORT_DATE
        raise ValueError("Sort by relevance or date.")

    @field_validator("page", mode="before")
    @classmethod
    def _check_page(cls, value: Any) -> int:
        text = str(value or "").strip()
        return int(text) if text.isdigit() and len(text) < 7 and int(text) > 0 else 1

    @field_validator("until", mode="after")
    @classmethod
    def _check_range(cls, value: date | None, info: ValidationInfo) -> date | None:
        since = info.data.get("since")
        if value is not None and since is not None and value < since:
            raise ValueError("The end date is before the start date.")
        return value

    # Dates are whole days in UTC: "until" includes its whole day.
    @property
    def since_at(self) -> datetime | None:
        return None if self.since is None else datetime.combine(self.since, time.min, UTC)

    @property
    def until_at(self) -> datetime | None:
        return None if self.until is None else datetime.combine(self.until + timedelta(days=1), time.min, UTC)

    def params(self, **changes: Any) -> dict[str, str]:
        """The query string for links (pagination, sorting), empty values left out."""
        values = {
            "q": self.q,
            "group": self.group or "",
            "author": self.author or "",
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "sort": self.sort if self.sort != SORT_RELEVANCE else "",
            "page": str(self.page) if self.page > 1 else "",
        }
        values.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v and not (k == "page" and v == "1")}


# ---- The API's answer ----


class SearchHitOut(BaseModel):
    post_id: int
    number: int
    thread_id: int
    thread_title: str
    title_html: str  # the title, escaped, with <mark> around matching words
    snippet_html: str  # a passage of the post as plain text, escaped, with <mark> around matches
    group: str
    group_name: str
    author_username: str | None
    author_name: str | None
    created_at: datetime
    url: str


class SearchResultsOut(BaseModel):
    q: str
    sort: str
    hits: list[SearchHitOut]
    page: int
    pages: int
    per_page: int
    total: int
