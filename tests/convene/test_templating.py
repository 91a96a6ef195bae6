"""Times on pages come from the app's clock: "just now", then "2 hours ago" when the clock moves."""

from __future__ import annotations

import asyncio
import html
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx

from convene.clock import FrozenClock
from tests.conftest import make_user, signed_in, start_server, unique


async def test_relative_times_follow_the_app_clock(tmp_path):
    from forum.models import Visibility
    from forum.service import do_create_group, do_create_thread

    server = start_server(tmp_path, clock=FrozenClock())
    try:
        admin = await make_user(server, role="admin")

        async def seed() -> None:
            group = await do_create_group(
                admin, name="Clock group", description="", visibility=Visibility.PUBLIC, clock=server.clock
            )
            await do_create_thread(admin, group, title="Clock thread", body="Tick.", clock=server.clock)

        await asyncio.to_thread(server.run, seed())
        async with httpx.AsyncClient(base_url=server.url) as client:
            fresh = await client.get("/", headers={"accept-language": "en"})
            french = await client.get("/", headers={"accept-language": "fr"})
            server.clock.advance(hours=2)
            later = await client.get("/", headers={"accept-language": "en"})
    finally:
        server.stop()
    assert "Clock thread" in fresh.text
    assert "just now" in fresh.text and "in 0 seconds" not in fresh.text
    assert "à l'instant" in html.unescape(french.text)
    assert "2 hours ago" in later.text


async def test_each_viewer_sees_dates_in_their_own_language_and_time_zone(live):
    """Formatted dates are kept (convene/templating.py format_when): the same post, viewed in turn
    by members with different languages and time zones, reads in each one's own."""
    from babel.dates import format_datetime

    from forum.models import Post, Visibility
    from forum.service import do_create_group, do_create_thread
    from members.models import User

    owner = await make_user(live, role="facilitator")
    paris, tokyo = await make_user(live), await make_user(live)

    async def seed():
        await User.filter(id=paris.id).update(locale="fr", timezone="Europe/Paris")
        await User.filter(id=tokyo.id).update(locale="en", timezone="Asia/Tokyo")
        group = await do_create_group(
            owner, name=f"Dates {unique('')}", description="", visibility=Visibility.PUBLIC, clock=live.clock
        )
        thread = await do_create_thread(owner, group, title="When is it?", body="Now.", clock=live.clock)
        return group, thread, await Post.get(thread_id=thread.id, number=1)

    group, thread, post = await asyncio.to_thread(live.run, seed())
    url = f"/g/{group.slug}/t/{thread.id}"
    pages = {}
    for who, user in (("paris", paris), ("tokyo", tokyo), ("visitor", None), ("paris again", paris)):
        if user is None:
            async with httpx.AsyncClient(base_url=live.url) as client:
                pages[who] = (await client.get(url, headers={"accept-language": "en"})).text
        else:
            async with await signed_in(live, user) as client:
                pages[who] = (await client.get(url)).text

    def shown(zone, locale):
        return html.escape(
            format_datetime(post.created_at.astimezone(ZoneInfo(zone)), "medium", locale=locale)
        )

    assert shown("Europe/Paris", "fr") in pages["paris"]
    assert shown("Asia/Tokyo", "en") in pages["tokyo"]
    assert shown("UTC", "en") in pages["visitor"]
    assert pages["paris again"].count(shown("Europe/Paris", "fr")) == pages["paris"].count(
        shown("Europe/Paris", "fr")
    )
    assert (
        shown("Asia/Tokyo", "en") not in pages["paris"] and shown("Europe/Paris", "fr") not in pages["tokyo"]
    )


def test_kept_relative_times_read_as_babel_writes_them():
    """format_ago keeps babel's answers per (unit, number, direction, language): around every
    unit's edges it must read exactly as format_timedelta does."""
    from babel import Locale
    from babel.dates import TIMEDELTA_UNITS, format_timedelta

    from convene.templating import format_ago

    for code in ("en", "fr", "ar"):
        locale = Locale.parse(code)
        for _, per_unit in TIMEDELTA_UNITS:
            for factor in (0.5, 0.849, 0.85, 0.851, 1, 1.49, 1.5, 1.51, 2.5, 3.2, 11.7):
                for sign in (1, -1):
                    delta = timedelta(seconds=sign * per_unit * factor)
                    assert format_ago(delta, locale) == format_timedelta(
                        delta, add_direction=True, locale=locale
                    )


def test_translations_escape_their_values_as_markup_does():
    from markupsafe import Markup

    from convene.templating import _fill

    cases = [
        ("Post %(num)s", {"num": 5}),
        ("%(num)d things", {"num": 3}),
        ("%(num)d", {"num": "4"}),
        ("by %(name)s", {"name": "<b>Tom & Jerry</b>"}),
        ("%(html)s", {"html": Markup("<i>ok</i>")}),
        ("%(mean).1f", {"mean": 2.25}),
        ("%(flag)s %(flag)d", {"flag": True}),
        ("%(x)r", {"x": "<a>"}),
        ("100%% %(x)s", {"x": None}),
        # The same text as plain text, then as markup, then as a number: each its own answer.
        ("<%(x)s>", {"x": "<i>1</i>"}),
        ("<%(x)s>", {"x": Markup("<i>1</i>")}),
        ("<%(x)s>", {"x": 1}),
        ("<%(x)s>", {"x": True}),
    ]
    for text, values in cases * 2:  # the second time from what was kept
        assert _fill(text, values) == Markup(text) % values
        assert type(_fill(text, values)) is Markup


def test_dict_rows_read_like_jinja_reads_them():
    """`row.field` on a plain dict is read at once (templating._Environment), with Jinja's results:
    a key's value, a dict method before a key of the same name, and undefined for neither."""
    from convene.clock import FrozenClock
    from convene.templating import Templates

    env = Templates("Test", "en", FrozenClock()).env
    template = env.from_string(
        "{{ row.title }}|{{ row.missing }}|{{ row.items is callable }}|{{ row.keys()|join(',') }}"
    )
    assert template.render(row={"title": "<Hi>", "items": 3}) == "&lt;Hi&gt;||True|title,items"
