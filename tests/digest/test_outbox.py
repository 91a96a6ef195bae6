"""The durable outbox against a real aiosmtpd server: once per key, retries, failures, claims."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import free_port, start_server, unique


class Sink:
    """aiosmtpd handler; refuses recipients containing "bounce" with a permanent 550."""

    def __init__(self) -> None:
        self.messages: list = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if "bounce" in address:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def count(self, to: str) -> int:
        with self.lock:
            return sum(1 for m in self.messages if to in str(m["To"]))


@pytest.fixture
def mail_server():
    """A real SMTP server on a fixed port that a test can stop and start again."""
    sink = Sink()
    port = free_port()
    box = {"controller": None}

    def up():
        box["controller"] = Controller(sink, hostname="127.0.0.1", port=port)
        box["controller"].start()

    def down():
        if box["controller"] is not None:
            box["controller"].stop()
            box["controller"] = None

    sink.port, sink.up, sink.down = port, up, down
    yield sink
    down()


@pytest.fixture
def server(tmp_path, mail_server):
    live = start_server(tmp_path, smtp_port=mail_server.port)
    yield live
    live.stop()


def enqueue(live, key: str, to: str):
    return live.run(
        live.app.state.outbox.enqueue(
            key=key, kind="test", to_email=to, subject="Hello", text="Body", html="<p>Body</p>"
        )
    )


def deliver(live, outbox=None):
    return live.run((outbox or live.app.state.outbox).deliver_due())


def test_a_key_is_queued_and_sent_once(server, mail_server):
    mail_server.up()
    to = f"{unique()}@example.org"
    assert enqueue(server, "k:1", to) is True
    assert enqueue(server, "k:1", to) is False  # the same email again: nothing new
    stats = deliver(server)
    assert stats.sent == 1
    assert deliver(server).sent == 0
    assert mail_server.count(to) == 1
    msg = mail_server.messages[-1]
    assert msg["Message-ID"] and msg["Date"] and msg["Subject"] == "Hello"
    assert msg.get_body(("html",)).get_content().strip() == "<p>Body</p>"


def test_smtp_down_then_back_delivers_every_email_exactly_once(server, mail_server):
    recipients = [f"{unique()}@example.org" for _ in range(5)]
    for i, to in enumerate(recipients):
        enqueue(server, f"down:{i}", to)
    stats = deliver(server)  # nothing listens on the port
    assert stats.sent == 0 and stats.retried == 5

    from digest.models import OutboxMessage

    rows = server.run(lambda: OutboxMessage.filter(key__startswith="down:").order_by("id"))
    assert all(r.attempts == 1 and r.status == "pending" and r.last_error for r in rows)
    mail_server.up()
    assert deliver(server).sent == 0  # not due yet: backoff
    server.clock.advance(minutes=2)
    assert deliver(server).sent == 5
    server.clock.advance(hours=1)
    assert deliver(server).sent == 0
    assert [mail_server.count(to) for to in recipients] == [1] * 5


def test_permanent_refusal_is_recorded_and_not_retried(server, mail_server):
    mail_server.up()
    failures = []

    async def hook(row, error):
        failures.append((row.to_email, error))

    server.app.state.outbox.on_permanent_failure.append(hook)
    to = f"bounce-{unique()}@example.org"
    enqueue(server, "bounce:1", to)
    stats = deliver(server)
    assert stats.failed == 1 and stats.sent == 0
    assert failures and failures[0][0] == to and "550" in failures[0][1]
    server.clock.advance(days=1)
    assert deliver(server).failed == 0


def test_two_runners_at_once_send_each_email_once(server, mail_server):
    from digest.outbox import Outbox

    mail_server.up()
    state = server.app.state
    other = Outbox(state.mailer, state.clock, sender="x@example.org", base_url=server.url)
    recipients = [f"{unique()}@example.org" for _ in range(40)]
    for i, to in enumerate(recipients):
        enqueue(server, f"pair:{i}", to)

    async def both():
        return await asyncio.gather(state.outbox.deliver_due(), other.deliver_due())

    a, b = server.run(both())
    assert a.sent + b.sent == 40
    assert [mail_server.count(to) for to in recipients] == [1] * 40


def test_a_runner_that_died_after_claiming_is_taken_over_after_the_claim_expires(server, mail_server):
    from digest.models import OutboxMessage
    from digest.outbox import CLAIM_SECONDS

    mail_server.up()
    to = f"{unique()}@example.org"
    enqueue(server, "crash:1", to)
    # A runner claimed the email and then its process died before sending.
    now = server.clock.now()
    server.run(
        lambda: OutboxMessage.filter(key="crash:1").update(
            claimed_until=now + timedelta(seconds=CLAIM_SECONDS), claimed_by="dead-runner"
        )
    )
    assert deliver(server).sent == 0
    assert mail_server.count(to) == 0
    server.clock.advance(seconds=CLAIM_SECONDS + 1)
    assert deliver(server).sent == 1
    assert mail_server.count(to) == 1
