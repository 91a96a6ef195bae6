"""Consultation test helpers: seed members, groups and consultations through the service layer (as the
CLI would), then look at the result over HTTP and WebSocket like a member would.

Tests that move the clock run on a private server (`clocked`) with its own FrozenClock, so the
shared server's time never jumps under other tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from convene.clock import FrozenClock
from tests.conftest import LiveServer, SMTPSink, make_user, start_server, unique

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning


async def run(live: LiveServer, work: Any) -> Any:
    """Run a service coroutine (or a function returning one) on the server's loop, from a test."""
    return await asyncio.to_thread(live.run, work)


@pytest.fixture(scope="module")
def clocked(tmp_path_factory: pytest.TempPathFactory, smtp: SMTPSink) -> Iterator[LiveServer]:
    """A private server whose clock only this module moves."""
    server = start_server(tmp_path_factory.mktemp("consult"), smtp_port=smtp.port, clock=FrozenClock(START))
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Setup:
    facilitator: Any
    group: Any
    members: list[Any]
    outsider: Any
    consultation: Any = None
    questions: dict[str, Any] = field(default_factory=dict)
    sections: dict[str, Any] = field(default_factory=dict)


async def set_profile(live: LiveServer, user: Any, **profile: Any) -> Any:
    """Organisation type, country, time zone, name: what a member fills in on their profile."""
    from members.models import User

    async def update() -> None:
        await User.filter(id=user.id).update(**profile)

    await run(live, update)
    for key, value in profile.items():
        setattr(user, key, value)
    return user


async def make_group(
    live: LiveServer,
    *,
    visibility: str = "private",
    members: int = 2,
    profiles: list[dict[str, Any]] | None = None,
) -> Setup:
    from forum.models import Visibility
    from forum.service import do_add_member, do_create_group

    facilitator = await make_user(live, role="facilitator", name=f"Facilitator {unique('')}")
    group = await run(
        live,
        do_create_group(
            facilitator,
            name=f"Consult {unique()}",
            description="",
            visibility=Visibility(visibility),
            clock=live.clock,
        ),
    )
    people = []
    for n in range(members):
        profile = (profiles or [])[n] if profiles and n < len(profiles) else {}
        user = await make_user(live, **({"name": profile["name"]} if "name" in profile else {}))
        if profile:
            await set_profile(live, user, **{k: v for k, v in profile.items() if k != "name"})
        await run(live, do_add_member(facilitator, group, user, clock=live.clock))
        people.append(user)
    outsider = await make_user(live)
    return Setup(facilitator, group, people, outsider)


QUESTIONS = [
    {"key": "text", "kind": "text", "text": "What should change?", "required": True, "section": "intro"},
    {
        "key": "single",
        "kind": "single",
        "text": "Which model?",
        "options": ["Model A", "Model B, with changes"],
    },
    {
        "key": "multiple",
        "kind": "multiple",
        "text": "Which services?",
        "options": ["Housing", "Language", "Work"],
    },
    {
        "key": "scale",
        "kind": "scale",
        "text": "How urgent?",
        "scale_low_label": "Not",
        "scale_high_label": "Very",
    },
    {
        "key": "ranking",
        "kind": "ranking",
        "text": "Rank the priorities",
        "options": ["Speed", "Safety", "Cost"],
    },
]


async def make_consultation(
    live: LiveServer,
    setup: Setup,
    *,
    network: bool = False,
    opens_in: timedelta = timedelta(hours=-1),
    lasts: timedelta = timedelta(days=7),
    attribution: str = "by_name",
    qa_moderated: bool = True,
    publish: bool = True,
    questions: list[dict[str, Any]] | None = None,
    facilitator: Any = None,
) -> Setup:
    """A consultation with two sections and one question of every kind (opens an hour ago by default)."""
    from consultations import authoring, lifecycle
    from consultations import questions as question_service
    from consultations.schemas import ConsultationIn, QuestionIn, SectionIn

    actor = facilitator or setup.facilitator
    now = live.clock.now()
    data = ConsultationIn(
        title=f"Consultation {unique()}",
        summary="Plain **summary**",
        group=None if network else setup.group.slug,
        attribution=attribution,
        qa_moderated=qa_moderated,
        opens_at=now + opens_in,
        closes_at=now + opens_in + lasts,
    )
    c = await run(live, authoring.do_create_consultation(actor, data, clock=live.clock))
    setup.consultation = c
    for key, title in (("intro", "Introduction"), ("proposal", "The proposal")):
        setup.sections[key] = await run(
            live,
            authoring.do_add_section(
                actor, c.id, SectionIn(title=title, body=f"Text of *{title}*"), clock=live.clock
            ),
        )
    for spec in QUESTIONS if questions is None else questions:
        spec = dict(spec)
        key = spec.pop("key")
        section = spec.pop("section", None)
        if section:
            spec["section_id"] = setup.sections[section].id
        question = await run(
            live, question_service.do_add_question(actor, c.id, QuestionIn(**spec), clock=live.clock)
        )
        setup.questions[key] = await run(live, _with_options(question.id))
    if publish:
        await run(live, lifecycle.do_publish(actor, c.id, clock=live.clock))
    return setup


async def _with_options(question_id: int) -> Any:
    from consultations.models import Question

    return await Question.get(id=question_id).prefetch_related("options")


def answers_for(setup: Setup, text: str = "More interpreters") -> dict[str, Any]:
    """A full set of API answers: every question answered."""
    q = setup.questions
    return {
        str(q["text"].id): text,
        str(q["single"].id): q["single"].options[1].id,
        str(q["multiple"].id): [q["multiple"].options[0].id, q["multiple"].options[2].id],
        str(q["scale"].id): 4,
        str(q["ranking"].id): [o.id for o in reversed(q["ranking"].options)],
    }
