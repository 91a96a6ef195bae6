"""One-click unsubscribe (RFC 8058) from the link in a real digest: a POST with no cookies and no
CSRF token unsubscribes at once, as form-data or urlencoded; a GET only shows a button."""

from __future__ import annotations

import httpx

from tests.digest.conftest import add, deliver, digests_to, group, monday_at, run_digests, thread, user


def _prefs(site, member):
    from digest.preferences import get_prefs

    return site.run(get_prefs(member.id))


def _digest_link(site, mail):
    host = user(site, "facilitator")
    reader = user(site)
    grp = group(site, host)
    add(site, host, grp, reader)
    thread(site, host, grp, "Something to read")
    monday_at(site, 8)
    run_digests(site)
    deliver(site)
    [message] = digests_to(mail, reader)
    return reader, message["List-Unsubscribe"].strip("<>")


def test_get_shows_a_button_and_changes_nothing(site, mail):
    reader, link = _digest_link(site, mail)
    page = httpx.get(link)
    assert page.status_code == 200
    assert "Stop sending the digest to" in page.text and 'method="post"' in page.text
    assert reader.email[0] + "•••@example.org" in page.text  # masked: the page may be forwarded
    assert _prefs(site, reader).frequency == "weekly"


def test_one_click_post_urlencoded_without_cookies_unsubscribes(site, mail):
    reader, link = _digest_link(site, mail)
    with httpx.Client() as client:  # no cookies, no CSRF token: what a mail provider sends
        answer = client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert "You are unsubscribed" in answer.text
    assert _prefs(site, reader).frequency == "off"
    # Again: harmless.
    assert httpx.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    # And no more digests, even with news.
    host = user(site, "facilitator")
    grp = group(site, host)
    add(site, host, grp, reader)
    thread(site, host, grp, "More news")
    site.clock.advance(days=7)
    run_digests(site)
    deliver(site)
    assert len(digests_to(mail, reader)) == 1


def test_one_click_post_multipart_form_data_unsubscribes(site, mail):
    reader, link = _digest_link(site, mail)
    answer = httpx.post(link, files={"List-Unsubscribe": (None, "One-Click")})
    assert answer.request.headers["content-type"].startswith("multipart/form-data")
    assert answer.status_code == 200
    assert _prefs(site, reader).frequency == "off"


def test_a_bad_or_tampered_token_is_refused(site, mail):
    reader, link = _digest_link(site, mail)
    tampered = link.replace(f"unsubscribe-{reader.id}-", f"unsubscribe-{reader.id + 1}-")
    for bad in (tampered, link[:-3] + "abc", f"{site.url}/email/unsubscribe/nonsense"):
        assert httpx.get(bad).status_code == 400
        refused = httpx.post(bad, data={"List-Unsubscribe": "One-Click"})
        assert refused.status_code == 400
        assert "not valid" in refused.text
    assert _prefs(site, reader).frequency == "weekly"


def test_each_list_has_its_own_link(site, mail):
    from digest.context import Mailroom
    from digest.tokens import unsubscribe_url

    member = user(site)
    mailroom = Mailroom.of_app(site.app)
    from tests.digest.conftest import set_prefs

    set_prefs(site, member, newsletter=True)
    httpx.post(unsubscribe_url(mailroom, member.id, "newsletter"), data={"List-Unsubscribe": "One-Click"})
    prefs = _prefs(site, member)
    assert prefs.newsletter is False and prefs.frequency == "weekly" and prefs.instant_mentions is True
    httpx.post(unsubscribe_url(mailroom, member.id, "notifications"), data={"List-Unsubscribe": "One-Click"})
    prefs = _prefs(site, member)
    assert prefs.instant_mentions is False and prefs.instant_replies is False and prefs.frequency == "weekly"


def test_other_posts_still_need_the_csrf_token(site, mail):
    member = user(site)
    # The exemption is for the unsubscribe path only.
    answer = httpx.post(f"{site.url}/settings/email", data={"digest": "off"}, cookies={"convene_csrf": "x"})
    assert answer.status_code == 403
    assert _prefs(site, member).frequency == "weekly"
