"""Fixtures for digest tests: a private server with its own FrozenClock (digests depend on time and
on every member in the database, so they never run on the shared `live` server), a real aiosmtpd
server that can be stopped and started, and helpers that seed through the forum's service layer."""

from __future__ import annotations

import asyncio
import email
import email.policy
import shutil
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
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


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with every migration applied, made once: each private server starts from a copy
    (applying the migrations takes seconds; copying a file does not)."""
    from convene.db import migrate

    path = tmp_path_factory.mktemp("digest-template") / "template.sqlite3"
    asyncio.run(migrate(f"sqlite://{path}"))
    return path


def fresh_db(template: Path, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(template) + suffix)
        if source.exists():
            shutil.copyfile(source, folder / ("convene.sqlite3" + suffix))
    return f"sqlite://{folder / 'convene.sqlite3'}"


@pytest.fixture
def site(tmp_path: Path, mail: MailServer, migrated_db: Path) -> Any:
    live = start_server(
        tmp_path, smtp_port=mail.port, clock=FrozenClock(MONDAY), database_url=fresh_db(migrated_db, tmp_path)
    )
    yield live
    live.stop()


# --- seeding through the service layer ---------------------------------------------------------


def user(live: LiveServer, role: str = "member", *, timezone: str | None = None, **fields: Any) -> Any:
    from members.models import User

    member = asyncio.run(make_user(live, role=role, **fields))
    if timezone:
        live.run(lambda: User.filter(id=member.id).update(timezone=timezone))
        member.timezone = timezone
    return member


def group(live: LiveServer, owner: Any, *, visibility: str = "public", name: str | None = None) -> Any:
    from forum.models import Visibility
    from forum.service import do_create_group

    return live.run(
        do_create_group(
            owner,
            name=name or f"Group {unique('')}",
            description="About things.",
            visibility=Visibility(visibility),
            clock=live.clock,
        )
    )


def add(live: LiveServer, moderator: Any, grp: Any, *members: Any) -> None:
    from forum.service import do_add_member

    for member in members:
        live.run(do_add_member(moderator, grp, member, clock=live.clock))


def thread(live: LiveServer, author: Any, grp: Any, title: str, body: str = "The opening post.") -> Any:
    from forum.service import do_create_thread

    # Activity takes time: a post written at the very moment a member joined counts as read for
    # them (the forum's unread floor is the account's creation).
    live.clock.advance(seconds=30)
    return live.run(do_create_thread(author, grp, title=title, body=body, clock=live.clock))


def reply(live: LiveServer, author: Any, thr: Any, body: str = "A reply.", parent: Any = None) -> Any:
    from forum.models import Thread
    from forum.service import do_reply

    live.clock.advance(seconds=30)

    async def go() -> Any:
        fresh = await Thread.get(id=thr.id).select_related("group")
        return await do_reply(author, fresh, body=body, clock=live.clock, parent=parent)

    return live.run(go)


def monday_at(live: LiveServer, hour: int, minute: int = 0) -> None:
    """Move the clock to this hour of the test's Monday (UTC)."""
    live.clock.set(MONDAY.replace(hour=hour, minute=minute))


def set_prefs(live: LiveServer, member: Any, **changes: Any) -> Any:
    from digest.preferences import do_update_email_settings
    from digest.schemas import EmailSettingsIn

    return live.run(do_update_email_settings(member, EmailSettingsIn(**changes), live.clock))


def run_digests(live: LiveServer) -> Any:
    from digest.context import Mailroom
    from digest.runner import send_due_digests

    return live.run(send_due_digests(Mailroom.of_app(live.app)))


def deliver(live: LiveServer) -> Any:
    """Deliver what is due, after any background pass a service kicked off has finished (a row that
    pass has claimed is skipped by this one, and would arrive after the test looked)."""
    outbox = live.app.state.outbox

    async def go() -> Any:
        await outbox.wait_idle()
        stats = await outbox.deliver_due()
        await outbox.wait_idle()
        return stats

    return live.run(go)


def digests_to(mail: MailServer, member: Any) -> list[EmailMessage]:
    return mail.sink.kind(member.email, "<digest.")


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()  # type: ignore[union-attr]
