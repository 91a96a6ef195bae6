"""The digest's other sources: consultations (opening, closing soon, report published, live
sessions coming up), new resources in the library and new members in the directory.

Each source is optional: its package is imported when installed, and a site without it simply has
no such section. Like digest/window.py, each source loads one period's candidates once for every
member; `for_member` then keeps only what that member may see (the same rules as the source's
own pages: a group's items follow the group's reading rules; network-wide items are for every
signed-in active member).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from digest.window import Window, chunks

CLOSING_SOON = timedelta(days=3)
OPENING_SOON = timedelta(days=7)
LIVE_AHEAD = timedelta(days=7)


@dataclass
class ExtraItem:
    title: str
    path: str
    group_id: int | None  # None: network-wide
    at: datetime  # what the line's date means depends on the section (closes, starts, published)
    author_id: int | None = None
    detail: str = ""
    consultation_id: int | None = None


SECTIONS: tuple[str, ...] = ("closing", "live", "opened", "opening", "report", "resources", "members")


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


async def _consultations(window: Window, now: datetime) -> dict[str, list[ExtraItem]]:
    models = _module("consultations.models")
    state = _module("consultations.state")
    if models is None or state is None:
        return {}
    consultation, live_session = models.Consultation, models.LiveSession
    found: dict[str, list[ExtraItem]] = {"opened": [], "opening": [], "closing": [], "report": [], "live": []}
    rows = await consultation.filter(published_at__not_isnull=True).filter(
        closes_at__gte=window.start - timedelta(days=1)
    )  # still running, or closed recently enough for a report to be news
    reports = await consultation.filter(
        published_at__not_isnull=True,
        report_published_at__gte=window.start,
        report_published_at__lt=window.end,
    )
    for c in {c.id: c for c in [*rows, *reports]}.values():
        current = state.state_at(c, now)
        item = ExtraItem(
            title=c.title, path=f"/consultations/{c.id}", group_id=c.group_id, at=now, consultation_id=c.id
        )
        if current == state.State.REPORT_PUBLISHED and c.report_published_at is not None:
            if window.start <= c.report_published_at < window.end:
                found["report"].append(_with(item, at=c.report_published_at))
        elif current == state.State.OPEN:
            closes = state.closed_at(c)
            if closes <= now + CLOSING_SOON:
                found["closing"].append(_with(item, at=closes))
            elif window.start <= state.round_opened_at(c) < window.end:
                found["opened"].append(_with(item, at=closes))
        elif current == state.State.SCHEDULED and c.opens_at <= now + OPENING_SOON:
            found["opening"].append(_with(item, at=c.opens_at))
    sessions = (
        await live_session.filter(starts_at__gte=now, starts_at__lt=now + LIVE_AHEAD, ended_at=None)
        .select_related("consultation")
        .order_by("starts_at")
    )
    for s in sessions:
        c = s.consultation
        if c.published_at is None or state.state_at(c, now) not in (state.State.SCHEDULED, state.State.OPEN):
            continue
        found["live"].append(
            ExtraItem(
                title=s.title,
                path=f"/consultations/{c.id}",
                group_id=c.group_id,
                at=s.starts_at,
                detail=c.title,
                consultation_id=c.id,
            )
        )
    for items in found.values():
        items.sort(key=lambda i: i.at)
    return found


def _with(item: ExtraItem, **changes: Any) -> ExtraItem:
    return ExtraItem(**{**item.__dict__, **changes})


async def _resources(window: Window) -> list[ExtraItem]:
    models = _module("library.models")
    if models is None:
        return []
    rows = (
        await models.Resource.filter(created_at__gte=window.start, created_at__lt=window.end)
        .order_by("-created_at", "-id")
        .limit(200)
        .values("id", "title", "group_id", "created_by_id", "created_at", "publisher")
    )
    return [
        ExtraItem(
            title=r["title"],
            path=f"/library/{r['id']}",
            group_id=r["group_id"],
            at=r["created_at"],
            author_id=r["created_by_id"],
            detail=r["publisher"] or "",
        )
        for r in rows
    ]


async def _new_members(window: Window) -> list[ExtraItem]:
    if _module("members.directory") is None:
        return []  # no directory on this site: new members are nobody's business by email
    from members.models import User, UserStatus

    rows = (
        await User.filter(status=UserStatus.ACTIVE, created_at__gte=window.start, created_at__lt=window.end)
        .order_by("-created_at", "-id")
        .limit(200)
        .values("id", "name", "username", "created_at", "organisation", "organisation_visibility")
    )
    return [
        ExtraItem(
            title=r["name"],
            path=f"/u/{r['username']}",
            group_id=None,
            at=r["created_at"],
            author_id=r["id"],
            # Only what the member chose to show to signed-in members.
            detail=r["organisation"] if r["organisation_visibility"] in ("everyone", "members") else "",
        )
        for r in rows
    ]


async def load_extras(window: Window, now: datetime) -> dict[str, list[ExtraItem]]:
    """Every optional section's candidates for this period, loaded once (cached on the window)."""
    cached = window.extras.get("sections")
    if cached is None:
        cached = dict(await _consultations(window, now))
        cached["resources"] = await _resources(window)
        cached["members"] = await _new_members(window)
        window.extras["sections"] = cached
    return cached


async def load_submitted(user_ids: list[int], consultation_ids: list[int]) -> set[tuple[int, int]]:
    """(member, consultation) pairs where the member has already submitted a response: a
    "closing soon" reminder is pointless for them."""
    models = _module("consultations.models")
    if models is None or not consultation_ids:
        return set()
    found: set[tuple[int, int]] = set()
    for ids in chunks(user_ids):
        rows = await models.Respondent.filter(
            user_id__in=ids, consultation_id__in=consultation_ids, status="submitted"
        ).values_list("user_id", "consultation_id")
        found.update((u, c) for u, c in rows)
    return found


def for_member(
    sections: dict[str, list[ExtraItem]],
    *,
    member_id: int,
    readable: set[int] | None,
    submitted: set[tuple[int, int]],
) -> dict[str, list[ExtraItem]]:
    """The items of each section this member may see and has not made themselves."""
    out: dict[str, list[ExtraItem]] = {}
    for key in SECTIONS:
        kept = []
        for item in sections.get(key, ()):
            if item.group_id is not None and readable is not None and item.group_id not in readable:
                continue  # a private group's consultation or resource: members of that group only
            if item.author_id == member_id:
                continue
            if key == "closing" and (member_id, item.consultation_id) in submitted:
                continue
            kept.append(item)
        if kept:
            out[key] = kept
    return out
