"""The ONE sanitiser: every piece of user-written text becomes safe HTML here, once, at write time."""

from __future__ import annotations

import re
from functools import lru_cache, partial

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a", "img",
        "table", "thead", "tbody", "tr", "th", "td", "span",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "img": ["src", "alt", "title"],
    "ol": ["start"],
    "th": ["align"],
    "td": ["align"],
    "span": ["class"],
    "code": ["class"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
_CLASS_OK = re.compile(r"^(mention|language-[A-Za-z0-9_+-]{1,30})$")


def _filter_attr(tag: str, name: str, value: str) -> bool:
    if tag == "img" and name == "src":
        # Only images we host: a remote image would tell a third party who reads the page.
        return value.startswith("/") and not value.startswith("//") and "\\" not in value
    if name == "class":
        return bool(_CLASS_OK.match(value))
    return name in ALLOWED_ATTRIBUTES.get(tag, ())


_ATTR_FILTERS = {tag: _filter_attr for tag in ALLOWED_ATTRIBUTES}
for _tag in ("a", "ol", "th", "td"):
    _ATTR_FILTERS[_tag] = ALLOWED_ATTRIBUTES[_tag]


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # Raw HTML in Markdown is shown as text, not interpreted: members write Markdown, not HTML.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


@lru_cache(maxsize=1)
def _cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_ATTR_FILTERS,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[_linkify_filter()],
    )


def _nofollow(attrs: dict, new: bool = False) -> dict:
    href_key = (None, "href")
    href = attrs.get(href_key, "")
    if href.startswith("/") and not href.startswith("//"):
        return attrs  # our own pages keep their normal link behaviour
    attrs[(None, "rel")] = "nofollow noopener noreferrer ugc"
    return attrs


def _linkify_filter() -> partial:
    # Bare URLs become links, and every link to another site gets rel="nofollow ...".
    return partial(LinkifyFilter, callbacks=[_nofollow], skip_tags={"pre", "code"}, parse_email=False)


def render_markdown(text: str) -> str:
    """Turn a member's Markdown into HTML that is safe to show anywhere: page, feed, email."""
    if not text:
        return ""
    html = _markdown().render(text)
    return _cleaner().clean(html).strip()


def plain_text(text: str, limit: int | None = None) -> str:
    """A single-line plain-text excerpt (for titles, previews and email subjects)."""
    one_line = " ".join(text.split())
    if limit is not None and len(one_line) > limit:
        return one_line[: limit - 1].rstrip() + "…"
    return one_line
