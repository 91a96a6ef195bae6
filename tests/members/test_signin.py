"""Signing in and out, safe redirects, throttling of password guessing, password rehashing."""

from __future__ import annotations

from argon2 import PasswordHasher

from members.models import LoginFailure, Session, User
from tests.conftest import Browserish, make_user, signed_in, unique
from tests.members.conftest import PASSWORD, client, fake_ip, login, read


async def test_sign_in_and_out_with_the_form_revokes_the_session(live):
    member = await make_user(live)
    async with client(live) as browser:
        page = await browser.get("/login?next=/settings/tokens")
        assert page.status_code == 200 and 'value="/settings/tokens"' in page.text

        r = await login(browser, member.email, next="/settings/tokens")
        assert r.status_code == 303 and r.headers["location"] == "/settings/tokens"
        cookie = browser.http.cookies.get("convene_session")
        assert cookie
        assert (await browser.get("/settings")).status_code == 200

        out = await browser.post_form("/logout")
        assert out.status_code == 303 and out.headers["location"] == "/login?notice=signed_out"
        assert "You have been signed out." in (await browser.get(out.headers["location"])).text

    # The old cookie, replayed by someone who copied it, opens nothing any more.
    async with Browserish(live.url) as thief:
        thief.http.cookies.set("convene_session", cookie)
        assert (await thief.api("GET", "/api/v1/me")).status_code == 401
        assert (await thief.get("/settings")).headers["location"] == "/login?next=/settings"
    rows = await read(live, lambda: Session.filter(user_id=member.id).values_list("revoked_at", flat=True))
    assert rows and all(r is not None for r in rows)


async def test_email_is_matched_without_regard_to_case(live):
    member = await make_user(live)
    async with client(live) as browser:
        r = await login(browser, member.email.upper())
        assert r.status_code == 303 and r.headers["location"] == "/"


async def test_next_parameter_never_leaves_the_site(live):
    member = await make_user(live)
    for target in ["https://evil.example/x", "//evil.example", "/\\evil.example", "javascript:alert(1)"]:
        async with client(live) as browser:
            r = await login(browser, member.email, next=target)
            assert r.status_code == 303
            assert r.headers["location"] == "/", target


async def test_wrong_password_and_unknown_email_get_the_same_answer(live):
    member = await make_user(live)
    async with client(live) as browser:
        wrong = await login(browser, member.email, "not the password at all")
        unknown = await login(browser, f"{unique('nobody')}@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    message = "That email address and password do not match an account here."
    assert message in wrong.text and message in unknown.text
    assert f'value="{member.email}"' in wrong.text  # the email is kept, the password is not
    assert "not the password at all" not in wrong.text


async def test_api_session_sign_in_and_sign_out(live):
    member = await make_user(live)
    async with client(live) as browser:
        bad = await browser.api(
            "POST", "/api/v1/session", json={"email": member.email, "password": "wrong one!"}
        )
        assert bad.status_code == 401
        assert bad.json()["error"]["message"].startswith("That email address and password do not match")

        r = await browser.api("POST", "/api/v1/session", json={"email": member.email, "password": PASSWORD})
        assert r.status_code == 200 and r.json()["username"] == member.username
        assert "httponly" in r.headers["set-cookie"].lower()
        assert (await browser.api("GET", "/api/v1/me")).status_code == 200
        cookie = browser.http.cookies.get("convene_session")

        out = await browser.api("DELETE", "/api/v1/session")
        assert out.status_code == 204
    async with Browserish(live.url) as replay:
        replay.http.cookies.set("convene_session", cookie)
        assert (await replay.api("GET", "/api/v1/me")).status_code == 401


async def test_suspended_members_are_told_clearly(live):
    member = await make_user(live)
    await read(live, lambda: User.filter(id=member.id).update(status="suspended"))
    async with client(live) as browser:
        r = await login(browser, member.email)
    assert r.status_code == 403 and "This account is suspended." in r.text


async def test_throttling_answers_429_even_for_the_right_password_then_lifts(private):
    site = private(login_max_failures=3, login_window_seconds=600)
    member = await make_user(site)
    async with client(site) as browser:
        for _ in range(3):
            assert (await login(browser, member.email, "wrong password!")).status_code == 401
        r = await login(browser, member.email)  # the right password
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) == 600
        assert "Too many unsuccessful sign-in attempts" in r.text and "10 minutes" in r.text

        api = await browser.api("POST", "/api/v1/session", json={"email": member.email, "password": PASSWORD})
        assert api.status_code == 429 and api.headers["retry-after"] == "600"
        assert api.json()["error"]["code"] == "rate_limited"

        site.clock.advance(seconds=400)
        assert int((await login(browser, member.email)).headers["retry-after"]) == 200
        site.clock.advance(seconds=201)
        ok = await login(browser, member.email)
        assert ok.status_code == 303
    # Success clears the email's failures (the address key keeps its own count).
    keys = await read(site, lambda: LoginFailure.filter(key=f"email:{member.email}").count())
    assert keys == 0


async def test_throttling_counts_per_client_address_across_accounts(private):
    site = private(login_max_failures=3)
    members = [await make_user(site) for _ in range(4)]
    address = fake_ip()
    async with client(site, ip=address) as guesser:
        for member in members[:3]:
            assert (await login(guesser, member.email, "wrong password!")).status_code == 401
        blocked = await login(guesser, members[3].email)
        assert blocked.status_code == 429 and "retry-after" in blocked.headers
    async with client(site) as elsewhere:  # the same member, from another address
        assert (await login(elsewhere, members[3].email)).status_code == 303


async def test_an_outdated_password_hash_is_upgraded_at_sign_in(private):
    site = private()
    member = await make_user(site)
    old = PasswordHasher(time_cost=2, memory_cost=8192).hash(PASSWORD)
    await read(site, lambda: User.filter(id=member.id).update(password_hash=old))
    async with client(site) as browser:
        assert (await login(browser, member.email)).status_code == 303
    fresh = await read(site, lambda: User.get(id=member.id))
    assert fresh.password_hash != old and "t=1" in fresh.password_hash
    async with client(site) as again:
        assert (await login(again, member.email)).status_code == 303


async def test_signed_in_visitor_to_login_page_is_sent_on(live):
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        r = await browser.get("/login?next=/settings")
        assert r.status_code == 303 and r.headers["location"] == "/settings"
