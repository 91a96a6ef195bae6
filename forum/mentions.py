"""Mentions: `@username` in a post becomes a link to the member's profile, at write time.

convene.markup.render_markdown stays the only sanitiser: it runs first, and this module only
post-processes its (already safe) output. The HTML is read back with the standard library's
parser and written out again token by token, every text and attribute value escaped, so the only
markup added is our own fixed `<a class="mention" href="/u/...">`. Text inside links, inline code
and code blocks is left alone, and only usernames of active members become links (and count as
mentions): writing "@nobody" or an email address changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

from convene.markup import render_markdown
from members.models import User, UserStatus

# Usernames are 3-40 of [a-z0-9_.-], starting and ending with a letter or digit (members/service.py).
# The look-behind keeps email addresses (ann@example.org) and paths (/@x) out.
MENTION_RE = re.compile(r"(?<![\w@./+=-])@([A-Za-z0-9][A-Za-z0-9_.-]{1,38}[A-Za-z0-9])(?![A-Za-z0-9_])")
MAX_MENTIONS = 20  # per post: a list of fifty names is a broadcast, not a mention
_SKIP = frozenset({"a", "code", "pre"})  # never link inside these


@dataclass(frozen=True)
class RenderedPost:
    html: str
    mentioned_ids: frozenset[int] = field(default_factory=frozenset)


def _start_tag(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    parts = [tag]
    for name, value in attrs:
        parts.append(name if value is None else f'{name}="{escape(value, quote=True)}"')
    return "<" + " ".join(parts) + ">"


class _Tokens(HTMLParser):
    """Splits sanitised HTML into markup (kept as is, re-serialised) and linkable text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[tuple[bool, str]] = []  # (is linkable text, html or raw text)
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append((False, _start_tag(tag, attrs)))
        if tag in _SKIP:
            self._skip_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append((False, _start_tag(tag, attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append((False, f"</{tag}>"))
        if tag in _SKIP and self._skip_depth:
            self._skip_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            self.tokens.append((False, escape(data, quote=False)))
        else:
            self.tokens.append((True, data))

    # The sanitiser strips comments and declarations; should one appear, it is dropped.
    def handle_comment(self, data: str) -> None:
        return None

    def handle_decl(self, decl: str) -> None:
        return None

    def handle_pi(self, data: str) -> None:
        return None


def _tokenize(html: str) -> list[tuple[bool, str]]:
    parser = _Tokens()
    parser.feed(html)
    parser.close()
    return parser.tokens


def find_mentions(tokens: list[tuple[bool, str]]) -> list[str]:
    """The distinct usernames mentioned in linkable text, lower-cased, in order of appearance."""
    seen: dict[str, None] = {}
    for linkable, text in tokens:
        if linkable and "@" in text:
            for match in MENTION_RE.finditer(text):
                seen.setdefault(match.group(1).lower(), None)
    return list(seen)[:MAX_MENTIONS]


def _link_text(text: str, known: dict[str, int]) -> str:
    out: list[str] = []
    last = 0
    for match in MENTION_RE.finditer(text):
        username = match.group(1).lower()
        if username not in known:
            continue
        out.append(escape(text[last : match.start()], quote=False))
        out.append(
            f'<a class="mention" href="/u/{escape(username, quote=True)}">'
            f"{escape(match.group(0), quote=False)}</a>"
        )
        last = match.end()
    out.append(escape(text[last:], quote=False))
    return "".join(out)


def link_mentions(html: str, known: dict[str, int]) -> str:
    """Sanitised HTML with each `@username` of `known` (lower-case username -> id) linked."""
    return "".join(_link_text(text, known) if linkable else text for linkable, text in _tokenize(html))


async def render_post(text: str) -> RenderedPost:
    """A post's Markdown as safe HTML with its mentions linked, and who was mentioned."""
    html = render_markdown(text)
    if "@" not in html:
        return RenderedPost(html)
    names = find_mentions(_tokenize(html))
    if not names:
        return RenderedPost(html)
    known = dict(
        await User.filter(username__in=names, status=UserStatus.ACTIVE).values_list("username", "id")
    )
    if not known:
        return RenderedPost(html)  # nothing to link: keep the sanitiser's output byte for byte
    return RenderedPost(link_mentions(html, known), frozenset(known.values()))
