"""The digest's other sections, through the other packages' own services: consultations (closing
soon, now open, live sessions), new resources in the library, new members; each filtered by who
may see it, and the read marks and mentions the forum keeps."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.conftest import signed_in
from tests.digest.conftest import (
    add,
    deliver,
    digests_to,
    group,
    html_of,
    monday_at,
    reply,
    text_of,
    thread,
    user,
)


def _consultation(site, owner, *, title, group_slug=None, opens_in=timedelta(0), closes_in=timedelta(days=2)):
    from consultations.authoring import do_add_section, do_create_consultation
    from consultations.lifecycle import do_publish
    from consultations.schemas import ConsultationIn, SectionIn

    now = site.clock.now()
    data = ConsultationIn(title=title, group=group_slug, opens_at=now + opens_in, closes_at=now + closes_in)
    c = site.run(do_create_consultation(owner, data, clock=site.clock))
    site.run(
        do_add_section(owner, c.id, SectionIn(title="The proposal", body="Read this."), clock=site.clock)
    )
    site.run(do_publish(owner, c.id, clock=site.clock))
    return c


def test_consultations_and_resources_reach_those_who_may_see_them(site, mail):
    from consultations.authoring import do_add_session
    from consultations.schemas import SessionIn
    from library.schemas import ResourceIn
    from library.service import do_create_resource

    admin = user(site, "admin")
    host = user(site, "facilitator")
    inside = user(site)
    outside = user(site)
    secret = group(site, host, visibility="private")
    add(site, host, secret, inside)
    site.clock.advance(minutes=5)
    closing = _consultation(site, host, title="Casework guidelines review", group_slug=secret.slug)
    network = _consultation(site, admin, title="Network strategy 2027", closes_in=timedelta(days=20))
    site.run(
        do_add_session(
            admin,
            network.id,
            SessionIn(title="Open Q&A", starts_at=site.clock.now() + timedelta(days=2), duration_minutes=60),
            clock=site.clock,
        )
    )
    site.run(
        do_create_resource(
            host,
            ResourceIn(title="Housing law handbook", url="https://example.org/h.pdf", group=secret.slug),
            upload=None,
            store=None,
            clock=site.clock,
        )
    )
    site.run(
        do_create_resource(
            admin,
            ResourceIn(title="Glossary of terms", url="https://example.org/g"),
            upload=None,
            store=None,
            clock=site.clock,
        )
    )
    monday_at(site, 8)
    from tests.digest.conftest import run_digests

    run_digests(site)
    deliver(site)
    [mine] = digests_to(mail, inside)
    text = text_of(mine)
    assert "== Consultations closing soon ==" in text and "Casework guidelines review" in text
    assert f"{site.url}/consultations/{closing.id}" in text
    assert "== Consultations now open ==" in text and "Network strategy 2027" in text
    assert "== Live sessions coming up ==" in text and "Open Q&A (Network strategy 2027)" in text
    assert (
        "== New in the library ==" in text and "Housing law handbook" in text and "Glossary of terms" in text
    )
    assert "Consultations closing soon" in html_of(mine)
    assert "consultation update" in mine["Subject"]
    [theirs] = digests_to(mail, outside)
    other = text_of(theirs) + html_of(theirs)
    assert "Network strategy 2027" in other and "Glossary of terms" in other
    assert "Casework guidelines review" not in other and "Housing law handbook" not in other


def test_mentions_are_listed_and_threads_read_on_the_site_are_not(site, mail):
    host = user(site, "facilitator", name="Hana Host")
    reader = user(site)
    grp = group(site, host)
    add(site, host, grp, reader)
    seen = thread(site, host, grp, "A thread I read on the site")
    reply(site, host, seen, "More in it")
    talk = thread(site, host, grp, "Planning the spring visit")
    reply(site, host, talk, f"What do you think, @{reader.username}?")

    async def read_it():
        async with await signed_in(site, reader) as client:
            assert (await client.get(f"/g/{grp.slug}/t/{seen.id}")).status_code == 200

    asyncio.run(read_it())
    monday_at(site, 8)
    from tests.digest.conftest import run_digests

    run_digests(site)
    deliver(site)
    [message] = digests_to(mail, reader)
    text = text_of(message)
    assert 'Hana Host mentioned you in "Planning the spring visit"' in text
    assert "What do you think" in text
    assert "A thread I read on the site" not in text
