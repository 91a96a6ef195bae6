"""Fixtures for digest tests: a private server with its own FrozenClock (digests depend on time and
on every member in the database, so they never run on the shared `live` server), a real aiosmtpd
server that can be stopped and started, and helpers that seed through the forum's service layer."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from convene.clock import FrozenClock
from tests.conftest import LiveServer, free_port, make_user, start_server, unique

# A Monday, 06:00 UTC: the default digest (weekly, Monday 08:00 in the member's zone) is two hours away.
MONDAY = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


class Sink:
    """aiosmtpd handler: keeps every message; `refuse` makes it answer 421 (try later) to DATA,
    like a server going away; addresses containing "bounce" are refused for good (550)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.refuse_after: int | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if "bounce" in address:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            if self.refuse_after is not None and len(self.messages) >= self.refuse_after:
                return "421 4.3.2 Service shutting down, try again later"
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if str(m["To"]) == address]

    def kind(self, address: str, list_id: str) -> list[EmailMessage]:
        return [m for m in self.to(address) if list_id in str(m.get("List-Id", ""))]


class MailServer:
    def __init__(self) -> None:
        self.sink = Sink()
        self.port = free_port()
        self.controller: Controller | None = None

    def up(self) -> None:
        if self.controller is None:
            self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
            self.controller.start()

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def mail() -> Any:
    server = MailServer()
    server.up()
    yield server
    server.down()


@pytest.fixture
def site(tmp_path: Any, mail: MailServer) -> Any:
    live = start_server(tmp_path, smtp_port=mail.port, clock=FrozenClock(MONDAY))
    yield live
    live.stop()


# --- seeding through the service layer ---------------------------------------------------------


def user(live: LiveServer, role: str = "member", **fields: Any) -> Any:
    return asyncio.run(make_user(live, role=role, **fields))


def group(live: LiveServer, owner: Any, *, visibility: str = "public", name: str | None = None) -> Any:
    from forum.models import Visibility
    from forum.service import do_create_group

    return live.run(
        do_create_group(owner, name=name or f"Group {unique('')}", description="About things.",
                        visibility=Visibility(visibility), clock=live.clock)  # fmt: skip
    )


def add(live: LiveServer, moderator: Any, grp: Any, *members: Any) -> None:
    from forum.service import do_add_member

    for member in members:
        live.run(do_add_member(moderator, grp, member, clock=live.clock))


def thread(live: LiveServer, author: Any, grp: Any, title: str, body: str = "The opening post.") -> Any:
    from forum.service import do_create_thread

    return live.run(do_create_thread(author, grp, title=title, body=body, clock=live.clock))


def reply(live: LiveServer, author: Any, thr: Any, body: str = "A reply.", parent: Any = None) -> Any:
    from forum.models import Thread
    from forum.service import do_reply

    async def go() -> Any:
        fresh = await Thread.get(id=thr.id).select_related("group")
        return await do_reply(author, fresh, body=body, clock=live.clock, parent=parent)

    return live.run(go)


def set_prefs(live: LiveServer, member: Any, **changes: Any) -> Any:
    from digest.preferences import do_update_email_settings
    from digest.schemas import EmailSettingsIn

    return live.run(do_update_email_settings(member, EmailSettingsIn(**changes), live.clock))


def run_digests(live: LiveServer) -> Any:
    from digest.context import Mailroom
    from digest.runner import send_due_digests

    return live.run(send_due_digests(Mailroom.of_app(live.app)))


def deliver(live: LiveServer) -> Any:
    return live.run(live.app.state.outbox.deliver_due())


def digests_to(mail: MailServer, member: Any) -> list[EmailMessage]:
    return mail.sink.kind(member.email, "<digest.")


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()  # type: ignore[union-attr]
