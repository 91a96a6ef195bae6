"""The pieces of a digest, each rendered once per run and shared by every email that shows it:
a group's heading, a thread's line, "and N more", a consultations section, each in the text and
the HTML version, from the macros in templates/email/digest/_parts.{txt,html} and the
_section.{txt,html} templates. A thread's line reads the same in every email that lists it,
whichever other threads a member's section shows around it, so a run renders each once per
language, not once per member. The cache holds a bounded number of characters: memory stays the
same whatever the number of members.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from babel.dates import format_datetime

from convene.templating import _gettext_pair
from digest.compose import GroupSection, Section
from digest.context import Mailroom
from digest.personal import PersonalItem
from digest.schedule import zone_of

# Where "and N more" leads, per optional section.
SECTION_PAGES = {
    "closing": "/consultations",
    "live": "/consultations",
    "opened": "/consultations",
    "opening": "/consultations",
    "report": "/consultations",
    "resources": "/library",
    "members": "/directory",
}


@lru_cache(maxsize=4096)
def when(value: datetime, zone_name: str, locale: str) -> str:
    try:
        return format_datetime(value.astimezone(zone_of(zone_name)), "EEE d MMM, HH:mm", locale=locale)
    except Exception:  # noqa: BLE001  an unusual locale
        return value.strftime("%Y-%m-%d %H:%M UTC")


def thread_url(mailroom: Mailroom, slug: str, thread_id: int, number: int | None = None) -> str:
    path = f"/g/{slug}/t/{thread_id}"
    return mailroom.url(path + (f"/p/{number}" if number and number > 1 else ""))


# A piece is (text, html): the html comes out of an autoescaping template, so it is safe HTML
# already; it stays a plain str because gluing Markup objects escapes-checks every piece again.
Piece = tuple[str, str]
_CELL_OPEN = '<tr><td style="padding:16px 24px;border-bottom:1px solid #e6eaee;">\n'
_CELL_CLOSE = "\n</td></tr>"


class Fragments:
    """Rendered pieces of one run, least recently used dropped first once they hold more than
    `budget` characters: however many members a run has, this much memory and no more."""

    def __init__(self, budget: int = 4_000_000) -> None:
        self.budget = budget
        self.held = 0
        self._items: OrderedDict[tuple[Any, ...], Piece] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: tuple[Any, ...], make: Callable[[], Piece]) -> Piece:
        found = self._items.get(key)
        if found is not None:
            self.hits += 1
            self._items.move_to_end(key)
            return found
        self.misses += 1
        found = make()
        self._items[key] = found
        self.held += len(found[0]) + len(found[1])
        while self.held > self.budget and len(self._items) > 1:
            _, (text, html) = self._items.popitem(last=False)
            self.held -= len(text) + len(html)
        return found


class Parts:
    """The pieces of group sections (templates/email/digest/_parts.{txt,html} macros), each
    rendered once per run, language and content: a thread's line reads the same in every email
    that lists it, whichever other threads a member's section shows around it. Keys name the
    content (a thread and its counts), not the member, so members whose periods differ by their
    time zone still share a line when it reads the same."""

    def __init__(self, mailroom: Mailroom, fragments: Fragments) -> None:
        self.mailroom = mailroom
        self.fragments = fragments
        self._modules: dict[tuple[str, str], Any] = {}

    def module(self, ext: str, locale: str) -> Any:
        found = self._modules.get((ext, locale))
        if found is None:
            gettext, ngettext = _gettext_pair(locale)
            template = self.mailroom.templates.env.get_template(f"email/digest/_parts.{ext}")
            found = template.make_module({"gettext": gettext, "ngettext": ngettext, "lang": locale})
            self._modules[(ext, locale)] = found
        return found

    def _render(self, locale: str, macro: str, *args: Any) -> Piece:
        text = str(getattr(self.module("txt", locale), macro)(*args)).strip("\n")
        return text, str(getattr(self.module("html", locale), macro)(*args)).strip()

    def piece(
        self, key: tuple[Any, ...], locale: str, macro: str, args: Callable[[], tuple[Any, ...]]
    ) -> Piece:
        """A cached piece; `args` builds the macro's arguments, only when it must be rendered."""
        return self.fragments.get((macro, locale, *key), lambda: self._render(locale, macro, *args()))

    def group(self, section: GroupSection, locale: str) -> Piece:
        """One group's section: its heading, new threads, most active threads, "and N more"."""
        g, url = section.group, self.mailroom.url

        def group() -> dict[str, str]:
            return {"name": g.name, "url": url(f"/g/{g.slug}")}

        pieces = [self.piece((g.id, g.name), locale, "group_head", lambda: (group(),))]
        if section.new:
            pieces.append(self.piece((), locale, "new_heading", tuple))
            for t in section.new:
                pieces.append(
                    self.piece(
                        (t.id, t.title, t.new_posts),
                        locale,
                        "new_item",
                        lambda t=t: (
                            {
                                "title": t.title,
                                "url": thread_url(self.mailroom, g.slug, t.id),
                                "author": t.author_name,
                                "excerpt": t.excerpt,
                                "posts": t.new_posts,
                            },
                        ),
                    )
                )
            if section.more_new:
                n = section.more_new
                pieces.append(self.piece((g.id, n), locale, "more_new", lambda: (group(), n)))
        if section.active:
            pieces.append(self.piece((), locale, "active_heading", tuple))
            for t in section.active:
                pieces.append(
                    self.piece(
                        (t.id, t.title, t.new_posts, t.last_number),
                        locale,
                        "active_item",
                        lambda t=t: (
                            {
                                "title": t.title,
                                "url": thread_url(self.mailroom, g.slug, t.id, t.last_number),
                                "posts": t.new_posts,
                            },
                        ),
                    )
                )
            if section.more_active:
                n = section.more_active
                pieces.append(self.piece((g.id, n), locale, "more_active", lambda: (group(), n)))
        text = "\n\n".join(p[0] for p in pieces)
        return text, _CELL_OPEN + "\n".join(p[1] for p in pieces) + _CELL_CLOSE

    def section(self, section: Section, zone: str, locale: str) -> Piece:
        """A consultations, library or directory section (its dates in the member's time zone)."""
        key = (
            "section",
            locale,
            zone,
            section.key,
            tuple((i.path, i.at) for i in section.items),
            section.more,
        )

        def make() -> Piece:
            ctx = {
                "section": {
                    "key": section.key,
                    "items": [
                        {
                            "title": i.title,
                            "url": self.mailroom.url(i.path),
                            "when": when(i.at, zone, locale),
                            "detail": i.detail,
                        }
                        for i in section.items
                    ],
                    "more": section.more,
                    "more_url": self.mailroom.url(SECTION_PAGES[section.key]),
                }
            }
            render = self.mailroom.templates.render_string
            text = render("email/digest/_section.txt", ctx, locale).strip("\n")
            return text, render("email/digest/_section.html", ctx, locale).strip()

        return self.fragments.get(key, make)

    def more_groups(self, n: int, locale: str) -> Piece:
        return self.piece((n,), locale, "more_groups", lambda: (n, self.mailroom.url("/groups")))

    def personal(self, items: list[PersonalItem], more: int, locale: str) -> Piece:
        """Replies to the member and mentions of them: theirs alone, rendered for each email."""
        rows = [
            {
                "kind": i.kind,
                "who": i.author_name,
                "title": i.thread_title,
                "group": i.group_name,
                "url": thread_url(self.mailroom, i.group_slug, i.thread_id, i.number),
                "excerpt": i.excerpt,
            }
            for i in items
        ]
        return self._render(locale, "personal", rows, more)
