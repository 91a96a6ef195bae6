"""Instant email for mentions and direct replies: batched per member over their window, through
the outbox, following their preferences, and never about what they read already or may not read."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import signed_in
from tests.digest.conftest import add, deliver, group, html_of, reply, set_prefs, text_of, thread, user


def _instant(mail, member):
    return mail.sink.kind(member.email, "<notifications.")


def _run(site):
    from digest.context import Mailroom
    from digest.notify import send_due_notifications

    return site.run(send_due_notifications(Mailroom.of_app(site.app)))


def _busy_thread(site, *, private=False):
    host = user(site, "facilitator", name="Hana Host")
    reader = user(site, name="Rami Reader")
    grp = group(site, host, visibility="private" if private else "public")
    add(site, host, grp, reader)
    thr = thread(site, reader, grp, "Interpreters for the Tuesday sessions")
    return host, reader, grp, thr


def test_a_busy_thread_sends_one_email_listing_everything(site, mail):
    host, reader, grp, thr = _busy_thread(site)
    first = reply(site, host, thr, f"@{reader.username} can you check the dates?")
    assert _run(site).queued == 0  # the ten minutes have not passed
    for i in range(3):
        reply(site, host, thr, f"Also @{reader.username}, point {i}")
    reply(site, host, thr, "Answering you directly.", parent=first)  # a reply to the host: not the reader
    site.clock.advance(minutes=6)  # the posts took two minutes: 8 minutes after the first
    assert _run(site).queued == 0  # the oldest is not ten minutes old yet
    site.clock.advance(minutes=2)
    stats = _run(site)
    assert stats.queued == 1 and stats.notifications == 4
    deliver(site)
    [message] = _instant(mail, reader)
    assert message["Subject"] == "4 new mentions and replies on Convene"
    assert message["List-Id"] == '"Convene notifications" <notifications.127.0.0.1>'
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = text_of(message)
    assert text.count('Hana Host mentioned you in "Interpreters for the Tuesday sessions"') == 4
    assert f"{site.url}/g/{grp.slug}/t/{thr.id}/p/" in text
    assert "Interpreters for the Tuesday sessions" in html_of(message)
    # Nothing new: nothing more, however often the job runs.
    site.clock.advance(hours=1)
    assert _run(site).queued == 0
    deliver(site)
    assert len(_instant(mail, reader)) == 1

    # The host's own reply to their post notified the reader? No: the reader wrote nothing it answers.
    # A direct reply to the reader's opening post does.
    from forum.models import Post

    opening = site.run(lambda: Post.get(thread_id=thr.id, number=1))
    reply(site, host, thr, "Replying to your question.", parent=opening)
    site.clock.advance(minutes=10)
    assert _run(site).queued == 1
    deliver(site)
    latest = _instant(mail, reader)[-1]
    assert latest["Subject"] == 'Hana Host replied to you in "Interpreters for the Tuesday sessions"'
    assert "Replying to your question." in text_of(latest)


def test_preferences_are_followed(site, mail):
    host, reader, _, thr = _busy_thread(site)
    set_prefs(site, reader, instant_mentions=False, batch_minutes=0)
    reply(site, host, thr, f"@{reader.username} hello")
    stats = _run(site)
    assert stats.queued == 0 and stats.nothing_left == 1  # recorded: never reconsidered
    set_prefs(site, reader, instant_mentions=True)
    assert _run(site).queued == 0
    deliver(site)
    assert _instant(mail, reader) == []


def test_read_on_the_site_or_no_longer_readable_sends_nothing(site, mail):
    from forum.service import do_remove_member

    host, reader, grp, thr = _busy_thread(site, private=True)
    reply(site, host, thr, f"@{reader.username} a first question")

    async def read_it():
        async with await signed_in(site, reader) as client:
            page = await client.get(f"/g/{grp.slug}/t/{thr.id}")
            assert page.status_code == 200

    asyncio.run(read_it())  # the reader saw it on the thread's page within the window
    site.clock.advance(minutes=10)
    assert _run(site).queued == 0

    reply(site, host, thr, f"@{reader.username} a second question")
    site.run(do_remove_member(host, grp, reader.id, clock=site.clock))  # then lost access
    site.clock.advance(minutes=10)
    assert _run(site).queued == 0
    deliver(site)
    assert _instant(mail, reader) == []


def test_two_runners_at_once_send_one_email(site, mail):
    host, reader, _, thr = _busy_thread(site)
    set_prefs(site, reader, batch_minutes=0)
    reply(site, host, thr, f"@{reader.username} once")
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(_run, [site, site]))
    assert sum(r.queued for r in results) == 1
    deliver(site)
    assert len(_instant(mail, reader)) == 1


def test_a_name_with_a_newline_cannot_add_a_header(site, mail):
    from members.models import User

    host, reader, _, thr = _busy_thread(site)
    set_prefs(site, reader, batch_minutes=0)
    site.run(lambda: User.filter(id=host.id).update(name="Eve\r\nBcc: victim@example.org"))
    reply(site, host, thr, f"@{reader.username} hi")
    assert _run(site).queued == 1
    deliver(site)
    [message] = _instant(mail, reader)
    assert message["Bcc"] is None
    assert (
        message["Subject"]
        == 'Eve Bcc: victim@example.org mentioned you in "Interpreters for the Tuesday sessions"'
    )


def test_each_pass_reads_only_what_is_new(site, mail):
    from digest.models import DigestCursor
    from forum.models import Notification

    host, reader, _, thr = _busy_thread(site)
    set_prefs(site, reader, batch_minutes=0)
    reply(site, host, thr, f"@{reader.username} first")
    assert _run(site).queued == 1
    last = site.run(lambda: Notification.filter(user_id=reader.id).order_by("-id").first())
    site.clock.advance(minutes=11)  # past the cursor's safety margin
    _run(site)
    cursor = site.run(lambda: DigestCursor.get(name="notifications"))
    assert cursor.value >= last.id
    reply(site, host, thr, f"@{reader.username} second")
    assert _run(site).queued == 1
    deliver(site)
    assert len(_instant(mail, reader)) == 2
