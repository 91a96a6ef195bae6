"""Reading consultations: the list a member sees, one consultation's page, and the notices they got.

Everything here is read-only and goes through consultations/access.py, so the list never shows a
consultation its page would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from consultations.access import ConsultationAccess, get_visible
from consultations.attribution import allowed_choices, describe_respondent
from consultations.comments import CommentView, list_comments
from consultations.live import QAView, current_session, list_questions, list_sessions
from consultations.models import (
    Consultation,
    LiveSession,
    Notice,
    Question,
    Respondent,
    ResponseStatus,
    Section,
)
from consultations.responses import MyResponse, get_my_response, load_questions
from consultations.state import State, state_at
from forum.access import effective_actor
from forum.groups import list_readable_group_ids
from forum.models import Membership, MembershipStatus
from members.models import Role

NOTICE_DAYS = 30


@dataclass
class Listed:
    consultation: Consultation
    state: State


_ORDER = {State.DRAFT: 0, State.OPEN: 1, State.SCHEDULED: 2, State.CLOSED: 3, State.REPORT_PUBLISHED: 4}


async def list_consultations(viewer: Any, now: datetime) -> list[Listed]:
    """Drafts the viewer manages, then open (closing soonest first), scheduled, closed ones."""
    actor = effective_actor(viewer)
    readable = await list_readable_group_ids(viewer)
    scopes: list[Q] = []
    if actor is not None:
        scopes.append(Q(group_id__isnull=True))  # network-wide: every signed-in member
    if readable is None:
        scopes.append(Q(group_id__isnull=False))
    elif readable:
        scopes.append(Q(group_id__in=readable))
    conditions = [Q(Q(*scopes, join_type="OR"), published_at__not_isnull=True)] if scopes else []
    if actor is not None:
        conditions.append(
            Q(published_at__isnull=True)
            if actor.role == Role.ADMIN
            else Q(published_at__isnull=True, facilitator_id=actor.id)
        )
    if not conditions:
        return []
    condition = Q(*conditions, join_type="OR")
    rows = await Consultation.filter(condition).select_related("group", "facilitator").order_by("-opens_at")
    listed = [Listed(c, state_at(c, now)) for c in rows]

    def key(item: Listed) -> tuple[int, float]:
        c = item.consultation
        if item.state == State.OPEN:
            return (_ORDER[item.state], c.closes_at.timestamp())
        if item.state == State.SCHEDULED:
            return (_ORDER[item.state], c.opens_at.timestamp())
        return (_ORDER[item.state], -c.closes_at.timestamp())

    listed.sort(key=key)
    return listed


async def list_group_consultations(viewer: Any, group_id: int, now: datetime) -> list[Listed]:
    """For a group's page: its published consultations the viewer may see."""
    return [
        item
        for item in await list_consultations(viewer, now)
        if item.consultation.group_id == group_id and item.state != State.DRAFT
    ]  # type: ignore[attr-defined]


@dataclass
class MyNotice:
    consultation: Consultation
    kind: str
    sent_at: datetime


async def list_my_notices(viewer: Any, now: datetime) -> list[MyNotice]:
    """The notices sent to this member lately: the in-site side of the emails."""
    actor = effective_actor(viewer)
    if actor is None:
        return []
    groups = await Membership.filter(user_id=actor.id, status=MembershipStatus.ACTIVE).values_list(
        "group_id", flat=True
    )
    rows = (
        await Notice.filter(sent_at__gte=now - timedelta(days=NOTICE_DAYS), recipients__gt=0)
        .filter(Q(consultation__group_id__isnull=True) | Q(consultation__group_id__in=list(groups)))
        .exclude(kind="session_ended")
        .order_by("-sent_at", "-id")
        .limit(20)
        .select_related("consultation")
    )
    return [MyNotice(n.consultation, n.kind, n.sent_at) for n in rows if n.sent_at >= actor.created_at]


@dataclass
class SectionBlock:
    section: Section | None
    questions: list[tuple[int, Question]]  # (position in the document, question)
    comments: list[CommentView] = field(default_factory=list)


@dataclass
class Page:
    access: ConsultationAccess
    state: State
    blocks: list[SectionBlock]
    mine: MyResponse
    sessions: list[LiveSession]
    live: LiveSession | None
    qa: list[QAView]
    can_take_part: bool
    choices: list[Any]
    my_label: str
    submitted_count: int
    room_since: int


async def get_page(viewer: Any, consultation_id: int, now: datetime, gettext: Any = None) -> Page:
    access = await get_visible(viewer, consultation_id)
    consultation = access.consultation
    state = state_at(consultation, now)
    sections = list(await Section.filter(consultation_id=consultation.id).order_by("position", "id"))
    questions = await load_questions(consultation.id)
    comments = await list_comments(access, gettext)
    blocks = [SectionBlock(s, [], comments.get(s.id, [])) for s in sections]
    by_section = {b.section.id: b for b in blocks if b.section is not None}
    loose = SectionBlock(None, [])
    for position, question in enumerate(questions, start=1):
        block = by_section.get(question.section_id, loose)  # type: ignore[attr-defined]
        block.questions.append((position, question))
    if loose.questions:
        blocks.append(loose)
    mine = await get_my_response(access)
    sessions = await list_sessions(consultation.id)
    live = current_session(sessions, consultation, now)
    qa = await list_questions(access, live) if live is not None else []
    my_label = ""
    if mine.respondent is not None and access.actor is not None:
        kwargs = {"gettext": gettext} if gettext else {}
        my_label = describe_respondent(consultation, mine.respondent, access.actor, **kwargs).label
    submitted = 0
    if access.can_manage:
        submitted = await Respondent.filter(
            consultation_id=consultation.id, status=ResponseStatus.SUBMITTED
        ).count()
    from consultations.room import room_key
    from realtime.service import get_last_seq

    return Page(
        access=access,
        state=state,
        blocks=blocks,
        mine=mine,
        sessions=sessions,
        live=live,
        qa=qa,
        can_take_part=access.can_take_part(now),
        choices=allowed_choices(consultation.attribution),
        my_label=my_label,
        submitted_count=submitted,
        room_since=await get_last_seq(room_key(consultation.id)),
    )
