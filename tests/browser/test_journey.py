"""A member's first visit, in a real Chromium (Debian's), on a site seeded with the demo network:
the home page, keyboard access to the skip link, signing in through the form, opening a group and
a thread, and replying through the form with JavaScript on. Screenshots go to docs/screenshots/
for the README, at desktop width and at a 390px phone width."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from convene.clock import FrozenClock
from convene.demo import seed_demo
from tests.conftest import make_user, start_server, unique

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Generous waits: a busy two-core CI machine can take seconds to start a page; a pass is still fast.
expect.set_options(timeout=20_000)
GROUP = "reception-and-integration"
THREAD_TITLE = "Finding housing in a tight rental market: what has worked?"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A private server holding the demo network, so the screenshots show a believable site."""
    server = start_server(tmp_path_factory.mktemp("browser"), clock=FrozenClock())
    server.run(seed_demo(server.settings, clock=server.clock))
    try:
        yield server
    finally:
        server.stop()


def watch_for_errors(page: Page) -> list[str]:
    """Collect script errors and console errors (a CSP violation shows up as one)."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text} {msg.location.get('url')}") if msg.type == "error" else None
        ),
    )
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    return problems


async def test_member_signs_in_and_replies_in_a_public_group(site):
    from forum.models import Group
    from forum.service import do_add_member
    from members.models import User

    member = await make_user(site, name="Marta Kowalska", email=f"{unique('marta')}@example.org")

    async def add_to_group() -> None:
        group = await Group.get(slug=GROUP)
        moderator = await User.get(email="yusuf@demo.convene.local")
        await do_add_member(moderator, group, member, clock=site.clock)

    await asyncio.to_thread(site.run, add_to_group())
    # This server is the test's own, so the reply needs no unique marker to be found.
    reply = (
        "We tried a landlord hotline in Kraków last year: one number, answered the same day. "
        "Happy to share the script we use."
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": 1280, "height": 860}, java_script_enabled=True
            )
            context.set_default_timeout(20_000)
            page = await context.new_page()
            problems = watch_for_errors(page)

            # The home page, and the first Tab stop: the skip link, which then moves focus to <main>.
            await page.goto(site.url + "/")
            await expect(page.locator("main")).to_contain_text(THREAD_TITLE)
            await page.screenshot(path=str(SCREENSHOTS / "home.png"))
            await page.keyboard.press("Tab")
            skip = page.locator("a.skip-link")
            await expect(skip).to_be_focused()
            await expect(skip).to_have_text("Skip to content")
            await expect(skip).to_be_in_viewport()
            await page.keyboard.press("Enter")
            await expect(page.locator("main#main")).to_be_focused()

            # Sign in through the form.
            await page.get_by_role("link", name="Sign in").first.click()
            await page.get_by_label("Email address").fill(member.email)
            await page.get_by_label("Password").fill(member.plain_password)
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_role("navigation", name="Main")).to_contain_text("Marta Kowalska")

            # Open the group from the directory, then the thread.
            await page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
            await page.get_by_role("link", name="Reception and integration").first.click()
            await expect(page.locator("h1")).to_contain_text("Reception and integration")
            await page.get_by_role("link", name=THREAD_TITLE).click()
            await expect(page.locator("h1")).to_have_text(THREAD_TITLE)

            # Reply through the form, with JavaScript on; the reply is then on the page.
            await page.get_by_label("Your reply").fill(reply)
            await page.get_by_role("button", name="Post reply").click()
            posted = page.locator("article.post", has_text=reply)
            await expect(posted).to_be_visible()
            await expect(posted).to_contain_text("Marta Kowalska")

            # After a reload the reply is still there: it was saved, not only drawn.
            thread_url = page.url.split("#")[0]
            await page.goto(thread_url)
            await expect(page.locator("article.post", has_text=reply)).to_have_count(1)
            await page.screenshot(path=str(SCREENSHOTS / "thread.png"))
            assert not problems, problems

            # The same pages on a phone.
            phone = await browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
            )
            await phone.add_cookies(await context.cookies())
            phone.set_default_timeout(20_000)
            phone_page = await phone.new_page()
            phone_problems = watch_for_errors(phone_page)
            await phone_page.goto(site.url + "/")
            await expect(phone_page.locator("main")).to_contain_text(THREAD_TITLE)
            width = await phone_page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the home page scrolls sideways on a phone ({width}px wide)"
            await phone_page.screenshot(path=str(SCREENSHOTS / "phone-home.png"))
            await phone_page.goto(thread_url)
            await expect(phone_page.locator("h1")).to_have_text(THREAD_TITLE)
            width = await phone_page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the thread page scrolls sideways on a phone ({width}px wide)"
            await phone_page.screenshot(path=str(SCREENSHOTS / "phone-thread.png"))
            assert not phone_problems, phone_problems
        finally:
            await browser.close()

    for name in ("home", "thread", "phone-home", "phone-thread"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000
