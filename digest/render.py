"""Turn a composed digest into an email: subject, text and HTML parts from the Jinja templates in
templates/email/digest/, in the member's language and time zone, with the list headers.

Built once per distinct content (DESIGN.md: building email costs more than sending it). The
sections come ready made from digest/parts.py. The frame around them (greeting, heading, footer)
is the same for every member who reads the same language over the same period, so body.txt and
body.html are rendered once per (language, period, frequency) with markers where a member's own
values go (their name, the blocks, their unsubscribe link), and each email fills those in. The
subject depends only on the counts, so it is cached by them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from babel.dates import format_interval
from markupsafe import Markup, escape

from convene.i18n import text_direction
from digest.compose import Digest
from digest.context import Mailroom
from digest.parts import Fragments, Parts
from digest.schedule import zone_of
from digest.tokens import list_headers, unsubscribe_url

_SLOT = re.compile("\x00([a-z_]+)\x00")


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    headers: dict[str, str]


@lru_cache(maxsize=512)
def period_label(start: datetime, end: datetime, zone_name: str, locale: str) -> str:
    zone = zone_of(zone_name)
    first, last = start.astimezone(zone), end.astimezone(zone)
    try:
        return format_interval(first, last, "yMMMd", locale=locale)
    except Exception:  # noqa: BLE001  an unusual locale: fall back to ISO dates
        return f"{first:%Y-%m-%d} – {last:%Y-%m-%d}"


class Shells:
    """Templates rendered once with a marker in place of each member's own values, kept split at
    the markers: filling one in is a join. Bounded like Fragments."""

    def __init__(self, mailroom: Mailroom, size: int = 512) -> None:
        self.mailroom = mailroom
        self.size = size
        self._items: dict[tuple[Any, ...], list[str]] = {}

    def fill(self, name: str, locale: str, static: dict[str, Any], slots: dict[str, str]) -> str:
        key = (name, locale, tuple(sorted(static.items())))
        pieces = self._items.get(key)
        if pieces is None:
            marked = {slot: Markup(f"\x00{slot}\x00") for slot in slots}  # noqa: S704  our own marker
            rendered = self.mailroom.templates.render_string(name, {**static, **marked}, locale)
            pieces = _SLOT.split(rendered)  # static, slot name, static, slot name, ..., static
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[key] = pieces
        return "".join(piece if i % 2 == 0 else slots[piece] for i, piece in enumerate(pieces))


@dataclass
class Renderer:
    """Everything a run keeps to render its digests: the shared pieces and the frames."""

    mailroom: Mailroom
    parts: Parts
    shells: Shells
    subjects: dict[tuple[Any, ...], str]

    @classmethod
    def for_run(cls, mailroom: Mailroom) -> Renderer:
        return cls(mailroom, Parts(mailroom, Fragments()), Shells(mailroom), {})


def _subject(renderer: Renderer, digest: Digest, locale: str) -> str:
    key = (locale, digest.frequency, tuple(sorted(digest.counts.items())))
    found = renderer.subjects.get(key)
    if found is None:
        ctx = {
            "site_name": renderer.mailroom.settings.site_name,
            "frequency": digest.frequency,
            "counts": digest.counts,
        }
        found = " ".join(
            renderer.mailroom.templates.render_string("email/digest/subject.txt", ctx, locale).split()
        )
        if len(renderer.subjects) > 4096:
            renderer.subjects.clear()
        renderer.subjects[key] = found
    return found


def render_digest(mailroom: Mailroom, digest: Digest, renderer: Renderer | None = None) -> Rendered:
    renderer = renderer or Renderer.for_run(mailroom)
    parts, member = renderer.parts, digest.member
    locale = mailroom.locale_of(member.locale)
    blocks: list[tuple[str, str]] = []
    if digest.personal:
        blocks.append(parts.personal(digest.personal, digest.more_personal, locale))
    blocks += [parts.group(section, locale) for section in digest.groups]
    if digest.more_groups:
        blocks.append(parts.more_groups(digest.more_groups, locale))
    blocks += [parts.section(section, member.timezone, locale) for section in digest.sections]

    subject = _subject(renderer, digest, locale)
    link = unsubscribe_url(mailroom, member.id, "digest")
    static = {
        "site_name": mailroom.settings.site_name,
        "base_url": mailroom.settings.base_url,
        "frequency": digest.frequency,
        "period": period_label(digest.period.start, digest.period.end, member.timezone, locale),
        "settings_url": mailroom.url("/settings/email"),
        "dir": text_direction(locale),
    }
    text = renderer.shells.fill(
        "email/digest/body.txt",
        locale,
        static,
        {"name": member.name, "blocks": "\n" + "\n\n".join(t for t, _ in blocks), "unsubscribe_url": link},
    )
    html = renderer.shells.fill(
        "email/digest/body.html",
        locale,
        static,
        {
            "subject": str(escape(subject)),
            "blocks": "\n".join(h for _, h in blocks),
            "unsubscribe_url": str(escape(link)),
        },
    )
    return Rendered(
        subject=subject,
        text=text,
        html=html,
        headers=list_headers(mailroom, member.id, "digest", unsubscribe=link),
    )
