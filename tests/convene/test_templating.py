"""Times on pages come from the app's clock: "just now", then "2 hours ago" when the clock moves."""

from __future__ import annotations

import asyncio
import html

import httpx

from convene.clock import FrozenClock
from tests.conftest import make_user, start_server


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
