"""What a digest holds and how it looks, end to end: seeded through the forum's services, composed
by the runner, delivered by the outbox to a real aiosmtpd server."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import unique
from tests.digest.conftest import (
    add,
    deliver,
    digests_to,
    group,
    html_of,
    monday_at,
    reply,
    run_digests,
    set_prefs,
    text_of,
    thread,
    user,
)


def test_a_weekly_digest_lists_new_threads_replies_and_active_threads(site, mail):
    host = user(site, "facilitator", name="Hana Host")
    reader = user(site, name="Rami Reader")
    grp = group(site, host, name=f"Legal aid {unique('')}")
    add(site, host, grp, reader)
    mine = thread(site, reader, grp, "My question about appeals")
    reply(site, host, mine, "Here is **how** appeals work.")
    busy = thread(site, host, grp, "Housing in Lyon", "Who knows the *housing* offices?")
    for i in range(3):
        reply(site, host, busy, f"Update {i}")

    monday_at(site, 7, 59)
    stats = run_digests(site)
    assert stats.queued == 0  # 07:59: not yet the member's hour
    monday_at(site, 8)
    stats = run_digests(site)
    assert stats.queued >= 2
    deliver(site)

    [message] = digests_to(mail, reader)
    text, html = text_of(message), html_of(message)
    assert "Hello Rami Reader" in text
    assert 'Hana Host replied to you in "My question about appeals"' in text
    assert "Here is how appeals work." in text  # excerpt: plain text, no Markdown markers
    assert "Housing in Lyon" in text and grp.name in text
    assert f"{site.url}/g/{grp.slug}/t/{busy.id}" in text
    assert "My question about appeals" in html and "Housing in Lyon" in html
    assert "<img" not in html and "src=" not in html  # no tracking pixel, no remote image
    assert message["Subject"].startswith("Convene weekly digest:")
    assert "1 reply or mention" in message["Subject"]
    # Headers: the outbox's Message-ID and Date, the list's id and one-click unsubscribe.
    assert message["Message-ID"] and message["Date"]
    assert message["List-Id"] == '"Convene digest" <digest.127.0.0.1>'
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{site.url}/email/unsubscribe/") and unsubscribe.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in text and unsubscribe.strip("<>") in html
    assert f"{site.url}/settings/email" in text

    # The host started the busy thread and wrote the only reply in the reader's thread: nothing in
    # the forum is new to them. The directory's newcomer is.
    [for_host] = digests_to(mail, host)
    assert "Housing in Lyon" not in text_of(for_host) and "appeals" not in text_of(for_host)
    assert "New members" in text_of(for_host) and "Rami Reader" in text_of(for_host)
    assert f"{site.url}/u/{reader.username}" in text_of(for_host)

    # Next week with no activity: no email at all.
    site.clock.advance(days=7)
    stats = run_digests(site)
    assert stats.queued == 0 and stats.empty >= 2
    deliver(site)
    assert len(digests_to(mail, reader)) == 1 and len(digests_to(mail, host)) == 1


def test_no_email_when_nothing_happened(site, mail):
    quiet = user(site)
    monday_at(site, 8)
    stats = run_digests(site)
    assert stats.due == 1 and stats.empty == 1 and stats.queued == 0
    deliver(site)
    assert mail.sink.to(quiet.email) == []
    # Recorded: the same period is not composed again.
    assert run_digests(site).due == 0


def test_private_groups_reach_their_members_only(site, mail):
    host = user(site, "facilitator")
    inside = user(site)
    outside = user(site)
    secret = group(site, host, visibility="private", name=f"Casework {unique('')}")
    public = group(site, host, name=f"Open forum {unique('')}")
    add(site, host, secret, inside)
    add(site, host, public, inside, outside)
    thread(site, host, secret, "Confidential case of family R")
    thread(site, host, public, "Welcome everyone")
    monday_at(site, 8)
    run_digests(site)
    deliver(site)
    [got] = digests_to(mail, inside)
    assert "Confidential case of family R" in text_of(got) and "Welcome everyone" in text_of(got)
    [other] = digests_to(mail, outside)
    assert "Welcome everyone" in text_of(other)
    assert "Confidential" not in text_of(other) and "Confidential" not in html_of(other)
    assert secret.name not in text_of(other) + html_of(other)


def test_a_member_who_left_a_private_group_no_longer_gets_its_replies(site, mail):
    from forum.service import do_remove_member

    host = user(site, "facilitator")
    former = user(site)
    secret = group(site, host, visibility="private")
    add(site, host, secret, former)
    theirs = thread(site, former, secret, "Question from before I left")
    reply(site, host, theirs, "An answer only the group may read")
    site.run(do_remove_member(host, secret, former.id, clock=site.clock))
    monday_at(site, 8)
    run_digests(site)
    deliver(site)
    for message in digests_to(mail, former):  # the directory's newcomers may still be news
        assert "Question from before I left" not in text_of(message) + html_of(message)
        assert "replied to you" not in text_of(message)


def test_items_already_read_on_the_site_are_left_out(site, mail):
    host = user(site, "facilitator")
    reader = user(site)
    grp = group(site, host)
    add(site, host, grp, reader)
    seen = thread(site, host, grp, "A thread I already answered")
    reply(site, reader, seen, "I read it and answered.")  # writing in a thread means having read it
    thread(site, host, grp, "A thread I have not seen")
    monday_at(site, 8)
    run_digests(site)
    deliver(site)
    [message] = digests_to(mail, reader)
    assert "A thread I have not seen" in text_of(message)
    assert "A thread I already answered" not in text_of(message)


def test_each_group_is_capped_with_and_n_more(site, mail):
    host = user(site, "facilitator")
    reader = user(site)
    grp = group(site, host)
    add(site, host, grp, reader)
    for i in range(8):
        thread(site, host, grp, f"Topic number {i}")
        site.clock.advance(minutes=1)
    monday_at(site, 8)
    run_digests(site)
    deliver(site)
    [message] = digests_to(mail, reader)
    text = text_of(message)
    # Newest first, five shown, the rest counted.
    assert text.index("Topic number 7") < text.index("Topic number 3")
    assert "Topic number 2" not in text
    assert "... and 3 more new threads:" in text
    assert "and 3 more new threads" in html_of(message)


def test_time_zone_and_weekday_decide_when_a_digest_goes(site, mail):
    host = user(site, "facilitator")
    tokyo = user(site, timezone="Asia/Tokyo")
    lima = user(site, timezone="America/Lima")
    grp = group(site, host)
    add(site, host, grp, tokyo, lima)
    # Tokyo: daily at 07:00 local = 22:00 UTC. Lima: weekly on Wednesday at 18:00 local = 23:00 UTC.
    set_prefs(site, tokyo, digest="daily", hour=7)
    set_prefs(site, lima, digest="weekly", weekday="wednesday", hour=18)
    thread(site, host, grp, "News for everyone")

    site.clock.set(site.clock.now().replace(hour=21, minute=59))  # Monday 21:59 UTC
    run_digests(site)
    deliver(site)
    assert digests_to(mail, tokyo) == []
    site.clock.advance(minutes=1)  # Tuesday 07:00 in Tokyo
    run_digests(site)
    deliver(site)
    assert len(digests_to(mail, tokyo)) == 1
    assert "daily digest" in digests_to(mail, tokyo)[0]["Subject"]
    assert digests_to(mail, lima) == []

    site.clock.set(site.clock.now() + timedelta(days=2, minutes=59))  # Wednesday 22:59 UTC
    run_digests(site)
    deliver(site)
    assert digests_to(mail, lima) == []
    site.clock.advance(minutes=1)  # Wednesday 18:00 in Lima
    run_digests(site)
    deliver(site)
    [weekly] = digests_to(mail, lima)
    assert "News for everyone" in text_of(weekly)
    # Tokyo's next daily digests had nothing new: none were sent.
    assert len(digests_to(mail, tokyo)) == 1


def test_a_subject_or_name_with_newlines_cannot_add_headers(site, mail):
    from forum.models import Group, Thread

    host = user(site, "facilitator")
    reader = user(site)
    grp = group(site, host)
    add(site, host, grp, reader)
    thr = thread(site, host, grp, "Harmless title")
    # Rows written behind the services' validation, as an old import might have left them.
    site.run(lambda: Thread.filter(id=thr.id).update(title="Evil\r\nBcc: victim@example.org"))
    site.run(lambda: Group.filter(id=grp.id).update(name="Group\nX-Injected: yes"))
    monday_at(site, 8)
    run_digests(site)
    deliver(site)
    [message] = digests_to(mail, reader)
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert "Evil" in text_of(message)


def test_the_digest_reads_groups_by_the_forums_own_rule(site, mail):
    """The composer works out, for a batch of members at once, which groups each may read; it must
    agree with forum.groups.list_readable_group_ids, the rule every page uses."""
    from digest.compose import Composer, Due, Member
    from digest.preferences import DEFAULTS
    from digest.schedule import Period
    from forum.groups import list_readable_group_ids
    from forum.models import Membership

    host = user(site, "facilitator")
    admin = user(site, "admin")
    inside, outside, invited = user(site), user(site), user(site)
    secret = group(site, host, visibility="private")
    group(site, host, visibility="members")
    group(site, host, visibility="public")
    add(site, host, secret, inside)
    site.run(
        lambda: Membership.create(
            group_id=secret.id, user_id=invited.id, status="invited", created_at=site.clock.now()
        )
    )
    now = site.clock.now()
    composer = Composer(now)
    members = [admin, inside, outside, invited]
    dues = [
        Due(
            Member(m.id, m.email, m.name, m.username, "", "UTC", m.role, m.created_at),
            DEFAULTS,
            Period(now - timedelta(days=7), now),
        )
        for m in members
    ]
    site.run(composer.compose(dues))
    for member in members:
        expected = site.run(list_readable_group_ids(member))
        seen = composer.readable_groups(member.id, member.role)
        assert (None if seen is None else sorted(seen)) == (None if expected is None else sorted(expected))
