"""Live chat in two real Chromium pages: a message typed in one appears in the other without a
reload, presence shows who is here, and a message written while offline is sent on reconnect."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import async_playwright, expect

from tests.browser.test_journey import ARGS, CHROMIUM, watch_for_errors
from tests.conftest import start_server
from tests.realtime.conftest import make_chat_group, session_token

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("chat-browser"))
    try:
        yield server
    finally:
        server.stop()


async def test_two_members_chat_live_in_the_browser(site):
    chat = await make_chat_group(site, visibility="members")
    a, b = chat.members
    tokens = [await session_token(site, a), await session_token(site, b)]
    url = f"{site.url}/g/{chat.group.slug}"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pages, problems = [], []
        for token in tokens:
            context = await browser.new_context()
            await context.add_cookies([{"name": "convene_session", "value": token, "url": site.url}])
            page = await context.new_page()
            problems.append(watch_for_errors(page))
            await page.goto(url)
            await expect(page.locator("[data-conn]")).to_have_text("Live")
            pages.append(page)
        page_a, page_b = pages
        # Presence: each sees the other.
        await expect(page_a.locator("[data-presence]")).to_contain_text(b.name)

        await page_a.fill("textarea[name=body]", "Bonjour from **Lyon**")
        await page_a.keyboard.press("Enter")
        await expect(page_b.locator(".chat-message .body strong")).to_have_text("Lyon")
        await expect(page_a.locator(".chat-message.sending")).to_have_count(0)

        # The connection drops (the server closes B's socket, as a flaky network would): the page
        # says so, keeps what B writes, and sends it once it has reconnected, stored once.
        async def drop_b() -> None:
            for conn in list(site.app.state.hub.connections):
                if conn.user_id == b.id:
                    await conn.close(1012, "network trouble")

        await asyncio.to_thread(site.run, drop_b())
        await expect(page_b.locator("[data-conn]")).to_have_text("Offline: reconnecting…")
        await page_b.fill("textarea[name=body]", "sent after reconnecting")
        await page_b.keyboard.press("Enter")
        await expect(page_b.locator("[data-conn]")).to_have_text("Live")
        await expect(page_a.locator(".chat-message .body")).to_contain_text(["sent after reconnecting"])

        from realtime.models import ChatMessage

        count = await asyncio.to_thread(
            site.run, lambda: ChatMessage.filter(room=chat.room, body="sent after reconnecting").count()
        )
        assert count == 1
        await browser.close()
    assert problems == [[], []]
