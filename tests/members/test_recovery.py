"""Forgotten passwords (emailed single-use links that expire) and password changes."""

from __future__ import annotations

from members.models import PasswordReset
from tests.conftest import Browserish, make_user, signed_in, unique
from tests.members.conftest import PASSWORD, client, html_of, link_in, login, path_of, read, text_of

NEW_PASSWORD = "a completely new passphrase"


async def test_forgot_password_answers_the_same_for_unknown_addresses(live, smtp):
    async with client(live) as browser:
        form = await browser.get("/password/forgot")
        assert form.status_code == 200
        nobody = f"{unique('ghost')}@example.org"
        r = await browser.post_form("/password/forgot", {"email": nobody})
        assert r.status_code == 200
        assert "If an account exists for that email address" in r.text
        member = await make_user(live)
        known = await browser.post_form("/password/forgot", {"email": member.email})
        assert known.status_code == 200 and known.text.count("If an account exists") == 1
        smtp.wait_for(member.email)
    assert smtp.to(nobody) == []


async def test_password_reset_link_works_once_and_signs_out_everywhere(live, smtp):
    member = await make_user(live)
    other_device = await signed_in(live, member)
    assert (await other_device.api("GET", "/api/v1/me")).status_code == 200

    async with client(live) as browser:
        await browser.post_form("/password/forgot", {"email": member.email})
        mail = smtp.wait_for(member.email)[-1]
        assert "Choose a new password" in str(mail["Subject"])
        link = link_in(mail)
        assert "/password/reset/" in link and link in html_of(mail)
        assert "60 minutes" in text_of(mail)
        token = link.rsplit("/", 1)[1]
        rows = await read(
            live, lambda: PasswordReset.filter(user_id=member.id).values_list("token_hash", flat=True)
        )
        assert rows and token not in rows

        page = await browser.get(path_of(link))
        assert page.status_code == 200 and 'name="password_confirm"' in page.text

        short = await browser.post_form(path_of(link), {"password": "short", "password_confirm": "short"})
        assert short.status_code == 422 and "Use at least 10 characters." in short.text

        done = await browser.post_form(
            path_of(link), {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
        )
        assert done.status_code == 303 and done.headers["location"] == "/settings?notice=password_reset"
        assert (await browser.api("GET", "/api/v1/me")).json()["email"] == member.email

        again = await browser.get(path_of(link))
        assert again.status_code == 400 and "expired or has already been used" in again.text
        reuse = await browser.post_form(
            path_of(link), {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
        )
        assert reuse.status_code == 400

    assert (await other_device.api("GET", "/api/v1/me")).status_code == 401
    await other_device.__aexit__()
    async with client(live) as fresh:
        assert (await login(fresh, member.email, PASSWORD)).status_code == 401
        assert (await login(fresh, member.email, NEW_PASSWORD)).status_code == 303


async def test_password_reset_link_expires(private, smtp):
    site = private(password_reset_minutes=30)
    member = await make_user(site)
    async with client(site) as browser:
        r = await browser.api("POST", "/api/v1/password/forgot", json={"email": member.email})
        assert r.status_code == 202
        link = link_in(smtp.wait_for(member.email)[-1])
        assert (await browser.get(path_of(link))).status_code == 200
        site.clock.advance(minutes=31)
        expired = await browser.get(path_of(link))
        assert expired.status_code == 400
        assert (
            "expired or has already been used" in expired.text and 'href="/password/forgot"' in expired.text
        )
        api = await browser.api(
            "POST", "/api/v1/password/reset", json={"token": link.rsplit("/", 1)[1], "password": NEW_PASSWORD}
        )
        assert api.status_code == 400


async def test_api_password_reset(private, smtp):
    site = private()
    member = await make_user(site)
    async with client(site) as browser:
        await browser.api("POST", "/api/v1/password/forgot", json={"email": member.email})
        token = link_in(smtp.wait_for(member.email)[-1]).rsplit("/", 1)[1]
        r = await browser.api(
            "POST", "/api/v1/password/reset", json={"token": token, "password": NEW_PASSWORD}
        )
        assert r.status_code == 200 and r.json()["email"] == member.email
        assert (await browser.api("GET", "/api/v1/me")).status_code == 200


async def test_password_change_keeps_this_session_and_ends_the_others(live):
    member = await make_user(live)
    here = await signed_in(live, member)
    elsewhere = await signed_in(live, member)
    async with here, elsewhere:
        wrong = await here.post_form(
            "/settings/password",
            {
                "current_password": "not my password",
                "new_password": NEW_PASSWORD,
                "new_password_confirm": NEW_PASSWORD,
            },
        )
        assert wrong.status_code == 422 and "That is not your current password." in wrong.text
        mismatch = await here.post_form(
            "/settings/password",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_confirm": "different"},
        )
        assert mismatch.status_code == 422 and "The two passwords do not match." in mismatch.text

        r = await here.post_form(
            "/settings/password",
            {
                "current_password": PASSWORD,
                "new_password": NEW_PASSWORD,
                "new_password_confirm": NEW_PASSWORD,
            },
        )
        assert r.status_code == 303 and r.headers["location"] == "/settings/password?notice=password_changed"
        assert (await here.api("GET", "/api/v1/me")).status_code == 200
        assert (await elsewhere.api("GET", "/api/v1/me")).status_code == 401


async def test_api_password_change(live):
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        bad = await browser.api(
            "POST",
            "/api/v1/me/password",
            json={"current_password": "nope nope nope", "new_password": NEW_PASSWORD},
        )
        assert bad.status_code == 422 and "current_password" in bad.json()["error"]["fields"]
        ok = await browser.api(
            "POST", "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        )
        assert ok.status_code == 200
    async with client(live) as again:
        assert (await login(again, member.email, NEW_PASSWORD)).status_code == 303


async def test_pages_need_a_session(live):
    async with Browserish(live.url) as anonymous:
        r = await anonymous.get("/settings/password")
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/settings/password"
