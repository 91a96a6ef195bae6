"""Registration in each mode, the approval queue and invitations, through the pages and the API."""

from __future__ import annotations

from members.models import Invitation, User
from tests.conftest import make_user, signed_in, unique
from tests.members.conftest import (
    PASSWORD,
    client,
    html_of,
    link_in,
    login,
    path_of,
    read,
    register_form,
    registration_mode,
    text_of,
)


async def test_open_registration_signs_in_at_once_with_a_safe_cookie(private):
    site = private(registration_mode="open")
    email = f"{unique('open')}@example.org"
    async with client(site) as browser:
        page = await browser.get("/register")
        assert page.status_code == 200
        assert 'href="/terms"' in page.text and 'name="consent"' in page.text

        r = await browser.post_form("/register", register_form(email, organisation="Caritas Köln"))
        assert r.status_code == 303
        assert r.headers["location"] == "/settings?notice=welcome"
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("convene_session="))
        attrs = [a.strip().lower() for a in cookie.split(";")]
        assert "httponly" in attrs and "samesite=lax" in attrs and "path=/" in attrs
        assert "secure" not in attrs  # the site runs on http:// here

        me = await browser.api("GET", "/api/v1/me")
        assert me.status_code == 200
        assert me.json()["email"] == email and me.json()["organisation"] == "Caritas Köln"
        welcome = await browser.get("/settings?notice=welcome")
        assert "Welcome! Your account is ready." in welcome.text

    user = await read(site, lambda: User.get(email=email))
    assert user.status == "active" and user.terms_accepted_at is not None


async def test_registration_without_consent_or_with_bad_fields_shows_the_form_again(live):
    async with client(live) as browser:
        r = await browser.post_form(
            "/register",
            {"name": " ", "email": "not-an-address", "password": "short", "password_confirm": "short"},
        )
        assert r.status_code == 422
        assert "Please enter your name." in r.text
        assert "Enter a valid email address" in r.text
        assert "Use at least 10 characters." in r.text
        assert "Please accept the terms and privacy notice" in r.text
        assert 'aria-invalid="true"' in r.text and 'value="not-an-address"' in r.text
        assert "short" not in r.text.split('name="password"')[1][:80]  # passwords are never echoed back

        r = await browser.post_form(
            "/register", register_form(f"{unique()}@example.org", password_confirm="something else entirely")
        )
        assert r.status_code == 422 and "The two passwords do not match." in r.text


async def test_api_validation_errors_are_422_with_field_messages(live):
    async with client(live) as browser:
        r = await browser.api("POST", "/api/v1/register", json={"name": "", "email": "x", "password": "abc"})
    assert r.status_code == 422
    fields = r.json()["error"]["fields"]
    assert fields["name"] == "Please enter your name."
    assert fields["email"].startswith("Enter a valid email address")
    assert fields["password"] == "Use at least 10 characters."
    assert fields["consent"].startswith("Please accept the terms")


async def test_api_registration_in_open_mode_and_duplicate_email(live):
    email = f"{unique('api')}@example.org"
    async with registration_mode(live, "open"), client(live) as browser:
        body = {
            "name": "Jonas Berg",
            "email": email,
            "password": PASSWORD,
            "consent": True,
            "username": unique("jb"),
        }
        r = await browser.api("POST", "/api/v1/register", json=body)
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "active" and r.json()["member"]["email"] == email
        assert (await browser.api("GET", "/api/v1/me")).json()["username"] == body["username"]
        async with client(live) as other:
            again = await other.api("POST", "/api/v1/register", json={**body, "username": None})
            assert again.status_code == 409
            assert "already exists" in again.json()["error"]["fields"]["email"]


async def test_approval_mode_pending_until_an_admin_approves(live, smtp):
    email = f"{unique('pend')}@example.org"
    async with registration_mode(live, "approval") as admin, client(live) as browser:
        r = await browser.post_form("/register", register_form(email, name="Pending Person"))
        assert r.status_code == 200
        assert "An administrator will review it" in r.text
        assert "convene_session" not in r.headers.get("set-cookie", "")

        refused = await login(browser, email)
        assert refused.status_code == 403
        assert "waiting for approval" in refused.text

        queue = await admin.get("/admin/members?status=pending&q=" + email)
        assert queue.status_code == 200 and email in queue.text and "Approve" in queue.text
        user = await read(live, lambda: User.get(email=email))
        approved = await admin.post_form(
            f"/admin/members/{user.id}/approve", {"back": "/admin/members?status=pending"}
        )
        assert approved.status_code == 303
        assert approved.headers["location"] == "/admin/members?status=pending&notice=approved"

        mail = smtp.wait_for(email)[-1]
        assert "approved" in text_of(mail) and "/login" in text_of(mail)
        assert "Sign in" in html_of(mail)
        assert (await login(browser, email)).status_code == 303


async def test_api_registration_in_approval_mode_is_pending(live):
    email = f"{unique('apipend')}@example.org"
    async with registration_mode(live, "approval"), client(live) as browser:
        body = {"name": "Ana Pereira", "email": email, "password": PASSWORD, "consent": True}
        r = await browser.api("POST", "/api/v1/register", json=body)
        assert r.status_code == 201
        assert r.json()["status"] == "pending" and "administrator will review" in r.json()["message"]
        assert "convene_session" not in r.headers.get("set-cookie", "")
        session = await browser.api("POST", "/api/v1/session", json={"email": email, "password": PASSWORD})
        assert session.status_code == 403
        assert "waiting for approval" in session.json()["error"]["message"]


async def test_rejection_deletes_the_pending_account(live):
    email = f"{unique('rej')}@example.org"
    async with registration_mode(live, "approval") as admin, client(live) as browser:
        await browser.post_form("/register", register_form(email))
        user = await read(live, lambda: User.get(email=email))
        r = await admin.api("POST", f"/api/v1/admin/members/{user.id}/reject")
        assert r.status_code == 204
        assert await read(live, lambda: User.filter(email=email).exists()) is False
        again = await login(browser, email)
        assert again.status_code == 401
        assert "do not match an account" in again.text


async def test_invitation_mode_refuses_registration_without_an_invitation(live):
    async with registration_mode(live, "invitation"), client(live) as browser:
        page = await browser.get("/register")
        assert page.status_code == 403
        assert "Registration on this site is by invitation only" in page.text
        posted = await browser.post_form("/register", register_form(f"{unique()}@example.org"))
        assert posted.status_code == 403
        api = await browser.api(
            "POST",
            "/api/v1/register",
            json={
                "name": "No Invite",
                "email": f"{unique()}@example.org",
                "password": PASSWORD,
                "consent": True,
            },
        )
        assert api.status_code == 403 and "invitation only" in api.json()["error"]["message"]


async def test_invitation_flow_email_link_prefills_and_works_once(live, smtp):
    email = f"{unique('inv')}@example.org"
    async with registration_mode(live, "invitation") as admin:
        sent = await admin.post_form("/admin/invitations", {"email": email, "role": "facilitator"})
        assert sent.status_code == 303
        listing = await admin.get("/admin/invitations")
        assert email in listing.text and "Open until" in listing.text

        mail = smtp.wait_for(email)[-1]
        assert "invites you to join" in str(mail["Subject"])
        link = link_in(mail)
        assert "/register?invite=" in link and link in html_of(mail)
        token = link.split("invite=")[1]
        row = await read(live, lambda: Invitation.get(email=email))
        assert token not in row.token_hash  # only a hash of the token is stored

        async with client(live) as browser:
            page = await browser.get(path_of(link))
            assert page.status_code == 200
            assert f'value="{email}"' in page.text and "readonly" in page.text
            form = register_form(email, name="Invited Person", invite=token)
            r = await browser.post_form("/register", form)
            assert r.status_code == 303, r.text
            me = (await browser.api("GET", "/api/v1/me")).json()
            assert me["email"] == email and me["role"] == "facilitator" and me["status"] == "active"

        async with client(live) as second:
            reuse = await second.get(path_of(link))
            assert reuse.status_code == 403
            assert "expired or has already been used" in reuse.text
            again = await second.post_form(
                "/register", register_form(f"{unique()}@example.org", invite=token)
            )
            assert again.status_code == 403

        row = await read(live, lambda: Invitation.get(email=email))
        assert row.accepted_at is not None
        accepted = await admin.get("/admin/invitations")
        assert "Accepted" in accepted.text


async def test_invited_people_skip_approval(live, smtp):
    email = f"{unique('skip')}@example.org"
    async with registration_mode(live, "approval") as admin:
        r = await admin.api("POST", "/api/v1/admin/invitations", json={"email": email, "role": "member"})
        assert r.status_code == 201 and r.json()["state"] == "open"
        token = link_in(smtp.wait_for(email)[-1]).split("invite=")[1]
        async with client(live) as browser:
            body = {
                "name": "Skip Queue",
                "email": email,
                "password": PASSWORD,
                "consent": True,
                "invite": token,
            }
            done = await browser.api("POST", "/api/v1/register", json=body)
            assert done.status_code == 201 and done.json()["status"] == "active"


async def test_revoked_invitation_link_stops_working(live, smtp):
    email = f"{unique('revoke')}@example.org"
    async with registration_mode(live, "invitation") as admin:
        created = await admin.api("POST", "/api/v1/admin/invitations", json={"email": email})
        token = link_in(smtp.wait_for(email)[-1]).split("invite=")[1]
        gone = await admin.api("DELETE", f"/api/v1/admin/invitations/{created.json()['id']}")
        assert gone.status_code == 204
        async with client(live) as browser:
            r = await browser.get(f"/register?invite={token}")
            assert r.status_code == 403


async def test_inviting_an_existing_member_is_refused(live):
    member = await make_user(live)
    admin = await make_user(live, role="admin")
    async with await signed_in(live, admin) as browser:
        r = await browser.post_form("/admin/invitations", {"email": member.email, "role": "member"})
        assert r.status_code == 409
        assert "There is already an account with that email address." in r.text


async def test_session_cookie_is_secure_on_an_https_site(private):
    import dataclasses

    site = private(registration_mode="open")
    # As if the site were served at https:// behind its proxy (the test server itself speaks http).
    site.app.state.settings = dataclasses.replace(site.settings, base_url="https://convene.example")
    async with client(site) as browser:
        r = await browser.post_form("/register", register_form(f"{unique()}@example.org"))
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("convene_session="))
    assert "secure" in [a.strip().lower() for a in cookie.split(";")]
