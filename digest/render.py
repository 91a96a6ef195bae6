"""Turn a composed digest into an email: subject, text and HTML parts from the Jinja templates in
templates/email/digest/, in the member's language and time zone, with the list headers.

The templates get plain values (strings, numbers, absolute links) prepared here, so they stay
simple and fast; everything a person reads in them goes through gettext.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from babel.dates import format_datetime, format_interval

from convene.i18n import text_direction
from digest.compose import Digest
from digest.context import Mailroom
from digest.schedule import zone_of
from digest.sources import ExtraItem
from digest.tokens import list_headers, unsubscribe_url

# Where "and N more" leads, per optional section.
SECTION_PAGES = {
    "closing": "/consultations",
    "live": "/consultations",
    "opened": "/consultations",
    "opening": "/consultations",
    "report": "/consultations",
    "resources": "/library",
    "members": "/members",
}


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    headers: dict[str, str]


@lru_cache(maxsize=256)
def _interval(start: datetime, end: datetime, zone_name: str, locale: str) -> str:
    zone = zone_of(zone_name)
    first, last = start.astimezone(zone), end.astimezone(zone)
    try:
        return format_interval(first, last, "yMMMd", locale=locale)
    except Exception:  # noqa: BLE001  an unusual locale: fall back to ISO dates
        return f"{first:%Y-%m-%d} – {last:%Y-%m-%d}"


def _when(value: datetime, zone_name: str, locale: str) -> str:
    try:
        return format_datetime(value.astimezone(zone_of(zone_name)), "EEE d MMM, HH:mm", locale=locale)
    except Exception:  # noqa: BLE001
        return value.strftime("%Y-%m-%d %H:%M UTC")


def _thread_url(mailroom: Mailroom, slug: str, thread_id: int, number: int | None = None) -> str:
    path = f"/g/{slug}/t/{thread_id}"
    return mailroom.url(path + (f"/p/{number}" if number and number > 1 else ""))


def digest_context(mailroom: Mailroom, digest: Digest, locale: str) -> dict[str, Any]:
    member = digest.member
    personal = [
        {
            "kind": item.kind,
            "who": item.author_name,
            "title": item.thread_title,
            "group": item.group_name,
            "url": _thread_url(mailroom, item.group_slug, item.thread_id, item.number),
            "excerpt": item.excerpt,
        }
        for item in digest.personal
    ]
    groups = []
    for section in digest.groups:
        g = section.group
        groups.append(
            {
                "name": g.name,
                "url": mailroom.url(f"/g/{g.slug}"),
                "new": [
                    {"title": t.title, "url": _thread_url(mailroom, g.slug, t.id), "author": t.author_name,
                     "excerpt": t.excerpt, "posts": t.new_posts}  # fmt: skip
                    for t in section.new
                ],
                "more_new": section.more_new,
                "active": [
                    {"title": t.title, "url": _thread_url(mailroom, g.slug, t.id, t.last_number),
                     "posts": t.new_posts}  # fmt: skip
                    for t in section.active
                ],
                "more_active": section.more_active,
            }
        )
    sections = [
        {
            "key": s.key,
            "items": [_extra(mailroom, i, member.timezone, locale) for i in s.items],
            "more": s.more,
            "more_url": mailroom.url(SECTION_PAGES[s.key]),
        }
        for s in digest.sections
    ]
    return {
        "site_name": mailroom.settings.site_name,
        "base_url": mailroom.settings.base_url,
        "name": member.name,
        "frequency": digest.frequency,
        "period": _interval(digest.period.start, digest.period.end, member.timezone, locale),
        "counts": digest.counts,
        "personal": personal,
        "more_personal": digest.more_personal,
        "groups": groups,
        "more_groups": digest.more_groups,
        "groups_url": mailroom.url("/groups"),
        "sections": sections,
        "settings_url": mailroom.url("/settings/email"),
        "unsubscribe_url": unsubscribe_url(mailroom, member.id, "digest"),
        "dir": text_direction(locale),
    }


def _extra(mailroom: Mailroom, item: ExtraItem, zone: str, locale: str) -> dict[str, str]:
    return {"title": item.title, "url": mailroom.url(item.path), "when": _when(item.at, zone, locale),
            "detail": item.detail}  # fmt: skip


def render_digest(mailroom: Mailroom, digest: Digest) -> Rendered:
    locale = mailroom.locale_of(digest.member.locale)
    ctx = digest_context(mailroom, digest, locale)
    render = mailroom.templates.render_string
    subject = " ".join(render("email/digest/subject.txt", ctx, locale).split())
    ctx["subject"] = subject
    return Rendered(
        subject=subject,
        text=render("email/digest/body.txt", ctx, locale),
        html=render("email/digest/body.html", ctx, locale),
        headers=list_headers(mailroom, digest.member.id, "digest", unsubscribe=ctx["unsubscribe_url"]),
    )
