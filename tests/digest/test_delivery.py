"""Delivery is exactly once: through an SMTP server that goes away mid-run and comes back, two
runners at once on one database, a restart between composing and sending; and repeated hard
bounces mark an address failing, which admins see."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from convene.clock import FrozenClock
from tests.conftest import signed_in, start_server
from tests.digest.conftest import (
    add,
    deliver,
    digests_to,
    group,
    monday_at,
    run_digests,
    text_of,
    thread,
    user,
)


def _network(site, readers=6, **kw):
    host = user(site, "facilitator")
    people = [user(site, **kw) for _ in range(readers)]
    grp = group(site, host)
    add(site, host, grp, *people)
    thread(site, host, grp, "Agenda for the regional meeting")
    return host, people, grp


def _runs(site, member):
    from digest.models import DigestRun

    return site.run(lambda: DigestRun.filter(user_id=member.id).count())


def test_smtp_going_down_mid_run_and_back_delivers_every_digest_exactly_once(site, mail):
    _, readers, _ = _network(site)
    monday_at(site, 8)
    assert run_digests(site).queued == 7  # the readers, and the host (the readers are new members)
    mail.sink.refuse_after = 2  # after two messages the server says "421 try again later"
    first = deliver(site)
    assert first.sent == 2 and first.retried >= 1

    mail.down()  # and then it is gone altogether
    site.clock.advance(minutes=2)
    gone = deliver(site)
    assert gone.sent == 0 and gone.retried >= 1
    assert run_digests(site).queued == 0  # the scheduler keeps running: nothing is composed twice

    mail.sink.refuse_after = None
    mail.up()
    site.clock.advance(minutes=10)
    back = deliver(site)
    assert first.sent + back.sent == 7
    site.clock.advance(hours=6)
    assert deliver(site).sent == 0
    assert [len(digests_to(mail, r)) for r in readers] == [1] * 6
    assert all("Agenda for the regional meeting" in text_of(digests_to(mail, r)[0]) for r in readers)


def test_two_runners_at_once_compose_and_send_each_digest_once(site, mail, tmp_path):
    _, readers, _ = _network(site, readers=30)
    monday_at(site, 8)
    other = start_server(
        tmp_path / "second",
        smtp_port=mail.port,
        clock=FrozenClock(site.clock.now()),
        database_url=site.settings.database_url,
    )
    try:
        with ThreadPoolExecutor(2) as pool:
            a, b = pool.map(run_digests, [site, other])
        assert a.queued + b.queued == 31
        assert a.queued + a.already + a.empty >= 1 and b.queued + b.already + b.empty >= 1
        with ThreadPoolExecutor(2) as pool:
            sent = sum(s.sent for s in pool.map(deliver, [site, other]))
        assert sent == 31
    finally:
        other.stop()
    assert [len(digests_to(mail, r)) for r in readers] == [1] * 30
    assert [_runs(site, r) for r in readers] == [1] * 30


def test_a_restart_between_composing_and_sending_sends_each_digest_once(site, mail, tmp_path):
    _, readers, _ = _network(site, readers=3)
    monday_at(site, 8)
    assert run_digests(site).queued == 4
    site.stop()  # the process stops before delivering anything
    restarted = start_server(
        tmp_path / "after",
        smtp_port=mail.port,
        clock=FrozenClock(site.clock.now()),
        database_url=site.settings.database_url,
    )
    try:
        restarted.clock.advance(minutes=1)
        results = restarted.run(restarted.app.state.scheduler.run_once())
        assert results["digest"].queued == 0 and results["digest"].due == 0
        deliver(restarted)
    finally:
        restarted.stop()
    assert [len(digests_to(mail, r)) for r in readers] == [1, 1, 1]


def test_repeated_hard_bounces_mark_the_address_failing_and_admins_see_it(site, mail):
    from digest.models import EmailHealth

    host = user(site, "facilitator")
    admin = user(site, "admin")
    bouncing = user(site, email="bounce-someone@example.org", name="Bo Bounce")
    grp = group(site, host)
    add(site, host, grp, bouncing)
    monday_at(site, 8)
    for week in range(3):
        thread(site, host, grp, f"News of week {week}")
        if week:
            site.clock.advance(days=7)
        assert run_digests(site).queued >= 1
        assert deliver(site).failed >= 1
    health = site.run(lambda: EmailHealth.get(user_id=bouncing.id))
    assert health.hard_failures == 3 and health.failing_since is not None and "550" in health.last_error

    thread(site, host, grp, "News of week 3")
    site.clock.advance(days=7)
    stats = run_digests(site)
    assert stats.failing == 1  # no more digests to a failing address

    async def admin_view():
        async with await signed_in(site, admin) as client:
            page = await client.get("/admin/email")
            assert page.status_code == 200
            assert (
                "Bo Bounce" in page.text and "bounce-someone@example.org" in page.text and "550" in page.text
            )
            cleared = await client.post_form(f"/admin/email/{bouncing.id}/clear")
            assert cleared.status_code == 303
            page = await client.get("/admin/email")
            assert "No failing addresses." in page.text
        async with await signed_in(site, bouncing) as client:
            return (await client.api("GET", "/api/v1/me/email-settings")).json()["email_failing"]

    assert asyncio.run(admin_view()) is False
    # Cleared: the digest that was held back goes out at the next run.
    assert run_digests(site).queued == 1


def test_deleting_a_queued_email_deletes_what_it_says(site, mail):
    """members/erasure.py deletes a member's outbox rows: their text must go with them."""
    from digest.models import OutboxBody, OutboxMessage

    site.run(
        site.app.state.outbox.enqueue(
            key="erase:1",
            kind="test",
            to_email="gone@example.org",
            subject="Private",
            text="Personal words",
            html="<p>Personal</p>",
        )
    )
    assert site.run(lambda: OutboxBody.filter(message_id="erase:1").count()) == 1
    site.run(lambda: OutboxMessage.filter(to_email="gone@example.org").delete())
    assert site.run(lambda: OutboxBody.filter(message_id="erase:1").count()) == 0
