"""A reply posted through the form reaches readers of the thread page live, over the WebSocket."""

from __future__ import annotations

from typing import Any

from forum import service
from tests.forum.conftest import client_for, new_group, new_thread, new_user, seed
from tests.realtime.conftest import connect, session_token


async def test_a_reply_reaches_a_reader_of_the_thread_live(live: Any) -> None:
    owner, reader, writer = new_user(live, "facilitator"), new_user(live), new_user(live)
    group = new_group(live, owner, "private")
    for person in (reader, writer):
        seed(live, service.do_add_member(owner, group, person, clock=live.clock))
    thread = new_thread(live, owner, group)
    base = f"/g/{group.slug}/t/{thread.id}"
    async with await client_for(live, reader) as browser:
        page = await browser.get(base)
        assert f'data-room="thread:{thread.id}" data-since="1"' in page.text
        assert '<script src="/static/js/realtime.js" defer></script>' in page.text
        assert "data-room" not in (await browser.get(base + "?view=threaded")).text
    ws = await connect(live, await session_token(live, reader))
    try:
        await ws.send(type="subscribe", room=f"thread:{thread.id}", since=1)
        await ws.expect(type="subscribed", room=f"thread:{thread.id}")
        async with await client_for(live, writer) as client:
            r = await client.post_form(base + "/reply", {"body": "Live **news**"})
            assert r.status_code == 303
        event = await ws.expect(type="event", room=f"thread:{thread.id}")
        assert event["seq"] == 2 and event["kind"] == "post"
        assert event["data"]["html"] == "<p>Live <strong>news</strong></p>"
        assert event["data"]["author"]["name"] == writer.name
    finally:
        await ws.close()
    async with await client_for(live, None) as anon:
        assert (await anon.get(base)).status_code == 404
