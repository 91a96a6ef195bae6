"""The live Q&A in a real Chromium with static/js/consultation.js: a member asks through the form,
the facilitator sees the waiting question appear and approves it, the member's page shows it
without a reload; the countdown follows the server's clock; no script or CSP errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import async_playwright, expect

from convene.clock import FrozenClock
from tests.browser.test_journey import ARGS, CHROMIUM, watch_for_errors
from tests.conftest import start_server
from tests.consultations.conftest import START, make_consultation, make_group, run
from tests.realtime.conftest import session_token

pytestmark = pytest.mark.browser
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def site(tmp_path_factory, smtp):
    server = start_server(tmp_path_factory.mktemp("cbrowser"), smtp_port=smtp.port, clock=FrozenClock(START))
    try:
        yield server
    finally:
        server.stop()


async def test_live_questions_flow_between_two_browsers(site, tmp_path):
    from consultations.authoring import do_add_session
    from consultations.schemas import SessionIn

    setup = await make_consultation(site, await make_group(site, members=1), qa_moderated=True)
    c = setup.consultation
    start = site.clock.now() + timedelta(minutes=5)
    session = await run(
        site,
        do_add_session(
            setup.facilitator,
            c.id,
            SessionIn(title="Evening Q&A", starts_at=start, duration_minutes=60),
            clock=site.clock,
        ),
    )
    site.clock.set(session.starts_at + timedelta(minutes=10))
    member_token = await session_token(site, setup.members[0])
    facilitator_token = await session_token(site, setup.facilitator)

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            pages = []
            for token in (facilitator_token, member_token):
                context = await browser.new_context(viewport={"width": 1200, "height": 900})
                await context.add_cookies([{"name": "convene_session", "value": token, "url": site.url}])
                page = await context.new_page()
                pages.append((page, watch_for_errors(page)))
            (fac, fac_errors), (member, member_errors) = pages
            for page, _ in pages:
                await page.goto(f"{site.url}/consultations/{c.id}")
                await expect(page.locator(".live-qa [data-conn]")).to_have_text(
                    "Live: questions and votes appear as they happen."
                )
            countdown = member.locator("[data-session-countdown] [data-countdown]")
            await expect(countdown).to_have_text("ends in 50 minutes")

            await member.fill("#f-qa-body", "Will the **housing** budget grow?")
            await member.click(".qa-ask button[type=submit]")
            mine = member.locator(".qa-item")
            await expect(mine).to_have_count(1)
            await expect(mine).to_contain_text("Waiting for approval")

            waiting = fac.locator(".qa-item.pending")
            await expect(waiting).to_contain_text("housing")
            await waiting.get_by_role("button", name="Approve").click()
            await expect(member.locator(".qa-item.visible")).to_contain_text("housing")
            await expect(member.locator(".qa-item.visible strong")).to_have_text("housing")

            await fac.locator(".qa-item.visible").get_by_role("button", name="Highlight").click()
            await expect(member.locator(".qa-item.highlighted")).to_contain_text("On screen now")
            await fac.screenshot(path=str(tmp_path / "facilitator.png"), full_page=True)
            await member.screenshot(path=str(tmp_path / "member.png"), full_page=True)
            assert fac_errors == [] and member_errors == []
        finally:
            await browser.close()
