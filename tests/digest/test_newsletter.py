"""The newsletter: an administrator writes it in Markdown, previews it, sends a test to themselves,
then sends it to every subscriber once, through the outbox, with its own list and unsubscribe."""

from __future__ import annotations

import asyncio
import re

import httpx

from tests.conftest import signed_in
from tests.digest.conftest import deliver, html_of, set_prefs, text_of, user


def _newsletters(mail, member):
    return mail.sink.kind(member.email, "<newsletter.")


async def _post(client, url, data=None):
    return await client.post_form(url, data or {})


def test_write_preview_test_then_send_to_subscribers_once(site, mail):
    admin = user(site, "admin", name="Ada Admin")
    readers = [user(site) for _ in range(3)]
    for member in readers:
        set_prefs(site, member, newsletter=True)
    not_subscribed = user(site)
    unsubscribed = user(site)
    set_prefs(site, unsubscribed, newsletter=True)
    set_prefs(site, unsubscribed, newsletter=False)
    body = "## Spring meeting\n\nWe meet in **Vienna**. ![map](https://maps.example.org/v.png)"

    async def flow():
        async with await signed_in(site, admin) as client:
            page = await client.get("/admin/newsletter")
            assert page.status_code == 200 and "3 members subscribe to the newsletter." in page.text
            created = await _post(
                client, "/admin/newsletter", {"subject": "Network news, April", "body": body}
            )
            assert created.status_code == 303
            url = created.headers["location"].split("?")[0]
            page = await client.get(url)
            assert "<strong>Vienna</strong>" in page.text  # the preview, rendered
            preview = await _post(
                client,
                url,
                {"subject": "Network news, April", "body": body + "\n\nSee you!", "action": "preview"},
            )
            assert (
                preview.status_code == 200 and "See you!" in preview.text and "not saved yet" in preview.text
            )
            tested = await _post(client, url + "/test")
            assert tested.status_code == 303
            return url, client.http.cookies

    url, _ = asyncio.run(flow())
    deliver(site)
    [test] = _newsletters(mail, admin)
    assert test["Subject"] == "Network news, April"
    assert all(_newsletters(mail, r) == [] for r in readers)  # the test went to the admin only
    html = html_of(test)
    assert "<strong>Vienna</strong>" in html
    assert "<img" not in html and "maps.example.org" not in html  # no remote image, no tracking
    assert text_of(test).startswith("## Spring meeting")

    async def send():
        async with await signed_in(site, admin) as client:
            sent = await _post(client, url + "/send")
            assert sent.status_code == 303
            again = await _post(client, url + "/send")
            assert again.status_code == 409  # a second click sends nothing
            edit = await _post(client, url, {"subject": "Changed", "body": "Changed", "action": "save"})
            assert edit.status_code == 409
            page = await client.get(url)
            assert "Sent" in page.text and "to 3 members" in page.text

    asyncio.run(send())
    deliver(site)
    for member in readers:
        [got] = _newsletters(mail, member)
        assert got["List-Id"] == '"Convene newsletter" <newsletter.127.0.0.1>'
        assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "Vienna" in text_of(got)
    assert _newsletters(mail, not_subscribed) == [] and _newsletters(mail, unsubscribed) == []
    assert len(_newsletters(mail, admin)) == 1  # the admin did not subscribe: only the test

    # Its one-click link unsubscribes from the newsletter only.
    link = _newsletters(mail, readers[0])[0]["List-Unsubscribe"].strip("<>")
    assert re.search(r"/email/unsubscribe/unsubscribe-\d+-newsletter\.", link)
    assert httpx.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    from digest.preferences import get_prefs

    prefs = site.run(get_prefs(readers[0].id))
    assert prefs.newsletter is False and prefs.frequency == "weekly"


def test_a_newsletter_half_queued_by_a_stopped_process_is_finished_by_the_scheduler(site, mail):
    from digest.models import Newsletter, NewsletterStatus

    admin = user(site, "admin")
    readers = [user(site) for _ in range(4)]
    for member in readers:
        set_prefs(site, member, newsletter=True)
    now = site.clock.now()
    # As a process that stopped right after marking it "sending" would leave it.
    letter = site.run(
        Newsletter.create(
            subject="Half way",
            body="Text",
            body_html="<p>Text</p>",
            created_by=admin,
            created_at=now,
            updated_at=now,
            status=NewsletterStatus.SENDING,
        )
    )
    site.run(site.app.state.scheduler.run_once())
    site.run(site.app.state.scheduler.run_once())
    deliver(site)
    assert [len(_newsletters(mail, r)) for r in readers] == [1, 1, 1, 1]
    assert site.run(lambda: Newsletter.get(id=letter.id)).status == NewsletterStatus.SENT


def test_only_administrators_write_newsletters(site, mail):
    member = user(site)

    async def flow():
        async with await signed_in(site, member) as client:
            assert (await client.get("/admin/newsletter")).status_code == 403
            refused = await _post(client, "/admin/newsletter", {"subject": "Hi", "body": "Spam"})
            assert refused.status_code == 403
            assert (await client.get("/admin/email")).status_code == 403

    asyncio.run(flow())


def test_the_subject_is_one_line(site, mail):
    admin = user(site, "admin")

    async def flow():
        async with await signed_in(site, admin) as client:
            created = await _post(
                client, "/admin/newsletter", {"subject": "News\r\nBcc: x@example.org", "body": "Hi"}
            )
            url = created.headers["location"].split("?")[0]
            await _post(client, url + "/test")

    asyncio.run(flow())
    deliver(site)
    [test] = _newsletters(mail, admin)
    assert test["Subject"] == "News Bcc: x@example.org" and test["Bcc"] is None
