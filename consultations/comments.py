"""Comments on the document's sections: threaded (a reply names its parent), sanitised at write time,
named by each author's effective attribution level, hidden or pinned by the facilitator.

A hidden comment keeps its place in the conversation (replies stay readable) but shows a
placeholder to everyone except those who manage the consultation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from consultations.access import ConsultationAccess, get_managed, get_visible
from consultations.activity import do_log
from consultations.attribution import Shown, describe_respondent
from consultations.lifecycle import lock_and_reload
from consultations.models import Comment, Respondent, Section
from consultations.responses import ensure_respondent, late_message
from consultations.schemas import CommentIn
from consultations.state import State, state_at
from convene.clock import Clock
from convene.errors import Conflict, Invalid, NotFound
from convene.markup import render_markdown

MAX_DEPTH = 6  # deeper replies are shown at this depth, so a phone keeps a readable width


@dataclass
class CommentView:
    comment: Comment
    author: Shown
    depth: int = 0
    children: list[CommentView] = field(default_factory=list)

    @property
    def hidden(self) -> bool:
        return self.comment.hidden_at is not None

    @property
    def pinned(self) -> bool:
        return self.comment.pinned_at is not None


async def respondent_people(consultation_id: int) -> dict[int, tuple[Respondent, Any]]:
    """respondent id -> (Respondent, User or None) for every respondent of the consultation."""
    rows = await Respondent.filter(consultation_id=consultation_id).select_related("user")
    return {r.id: (r, r.user) for r in rows}


async def list_comments(access: ConsultationAccess, gettext: Any = None) -> dict[int, list[CommentView]]:
    """section id -> its conversation, pinned first then oldest first, replies nested."""
    consultation = access.consultation
    people = await respondent_people(consultation.id)
    comments = await Comment.filter(consultation_id=consultation.id).order_by("created_at", "id")
    views: dict[int, CommentView] = {}
    for c in comments:
        respondent, user = people[c.respondent_id]  # type: ignore[attr-defined]
        kwargs = {"gettext": gettext} if gettext else {}
        views[c.id] = CommentView(c, describe_respondent(consultation, respondent, user, **kwargs))
    roots: dict[int, list[CommentView]] = {}
    for view in views.values():
        parent = views.get(view.comment.parent_id) if view.comment.parent_id else None  # type: ignore[attr-defined]
        if parent is not None:
            parent.children.append(view)
        else:
            roots.setdefault(view.comment.section_id, []).append(view)  # type: ignore[attr-defined]

    def set_depth(items: list[CommentView], depth: int) -> None:
        for item in items:
            item.depth = min(depth, MAX_DEPTH)
            set_depth(item.children, depth + 1)

    for items in roots.values():
        items.sort(key=lambda v: (not v.pinned, v.comment.created_at, v.comment.id))
        set_depth(items, 0)
    return roots


async def comment_counts(consultation_id: int, *, include_hidden: bool) -> dict[int, int]:
    query = Comment.filter(consultation_id=consultation_id)
    if not include_hidden:
        query = query.filter(hidden_at=None)
    counts: dict[int, int] = {}
    for section_id in await query.values_list("section_id", flat=True):
        counts[section_id] = counts.get(section_id, 0) + 1
    return counts


async def do_add_comment(viewer: Any, consultation_id: int, data: CommentIn, *, clock: Clock) -> Comment:
    access = (await get_visible(viewer, consultation_id)).require_participant()
    assert access.actor is not None
    section = await Section.get_or_none(id=data.section_id, consultation_id=consultation_id)
    if section is None:
        raise Invalid(fields={"section_id": "Choose one of this consultation's sections."})
    if data.parent_id is not None:
        parent = await Comment.get_or_none(id=data.parent_id, consultation_id=consultation_id)
        if parent is None or parent.section_id != section.id:  # type: ignore[attr-defined]
            raise Invalid(fields={"parent_id": "The comment you are replying to is not in this section."})
    html = render_markdown(data.body)
    async with in_transaction() as conn:
        current = await lock_and_reload(consultation_id, conn)
        now = clock.now()
        if state_at(current, now) != State.OPEN:
            raise Conflict(late_message(viewer, current, now, "comment"))
        respondent = await ensure_respondent(consultation_id, access.actor.id, clock=clock, conn=conn)
        comment = await Comment.create(
            consultation_id=consultation_id,
            section_id=section.id,
            respondent_id=respondent.id,
            parent_id=data.parent_id,
            body=data.body,
            body_html=html,
            created_at=now,
            using_db=conn,
        )
    return comment


async def _managed_comment(
    viewer: Any, consultation_id: int, comment_id: int
) -> tuple[ConsultationAccess, Comment]:
    access = await get_managed(viewer, consultation_id)
    comment = await Comment.get_or_none(id=comment_id, consultation_id=consultation_id)
    if comment is None:
        raise NotFound("That comment does not exist.")
    return access, comment


async def _moderate(
    viewer: Any,
    consultation_id: int,
    comment_id: int,
    action: str,
    changes: dict[str, Any],
    *,
    clock: Clock,
    reason: str = "",
) -> Comment:
    access, comment = await _managed_comment(viewer, consultation_id, comment_id)
    async with in_transaction() as conn:
        await Comment.filter(id=comment.id).using_db(conn).update(**changes)
        await do_log(
            access.consultation,
            access.actor,
            action,
            clock=clock,
            reason=reason,
            data={"comment_id": comment.id},
            using_db=conn,
        )
    for key, value in changes.items():
        setattr(comment, key, value)
    return comment


async def do_hide_comment(
    viewer: Any, consultation_id: int, comment_id: int, *, clock: Clock, reason: str = ""
) -> Comment:
    changes = {"hidden_at": clock.now(), "hidden_by_id": getattr(viewer, "id", None), "hide_reason": reason}
    return await _moderate(
        viewer, consultation_id, comment_id, "comment.hidden", changes, clock=clock, reason=reason
    )


async def do_unhide_comment(viewer: Any, consultation_id: int, comment_id: int, *, clock: Clock) -> Comment:
    changes = {"hidden_at": None, "hidden_by_id": None, "hide_reason": ""}
    return await _moderate(viewer, consultation_id, comment_id, "comment.unhidden", changes, clock=clock)


async def do_pin_comment(viewer: Any, consultation_id: int, comment_id: int, *, clock: Clock) -> Comment:
    return await _moderate(
        viewer, consultation_id, comment_id, "comment.pinned", {"pinned_at": clock.now()}, clock=clock
    )


async def do_unpin_comment(viewer: Any, consultation_id: int, comment_id: int, *, clock: Clock) -> Comment:
    return await _moderate(
        viewer, consultation_id, comment_id, "comment.unpinned", {"pinned_at": None}, clock=clock
    )


def flatten(views: list[CommentView]) -> list[CommentView]:
    out: list[CommentView] = []
    for view in views:
        out.append(view)
        out.extend(flatten(view.children))
    return out
