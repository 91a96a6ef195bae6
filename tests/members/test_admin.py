"""The admin area: who may enter, member management, last-admin protection, site settings."""

from __future__ import annotations

import pytest

from tests.conftest import Browserish, make_user, signed_in, unique
from tests.members.conftest import client, login, register_form

ADMIN_PAGES = ["/admin", "/admin/members", "/admin/members?status=pending", "/admin/invitations"]
ADMIN_API = [
    ("GET", "/api/v1/admin/overview", None),
    ("PATCH", "/api/v1/admin/settings", {"registration_mode": "open"}),
    ("GET", "/api/v1/admin/members", None),
    ("POST", "/api/v1/admin/members/1/role", {"role": "admin"}),
    ("POST", "/api/v1/admin/members/1/suspend", None),
    ("POST", "/api/v1/admin/members/1/approve", None),
    ("GET", "/api/v1/admin/invitations", None),
    ("POST", "/api/v1/admin/invitations", {"email": "someone@example.org"}),
    ("DELETE", "/api/v1/admin/invitations/1", None),
]


async def test_anonymous_visitors_are_sent_to_sign_in_or_get_401(live):
    async with Browserish(live.url) as anonymous:
        for path in ADMIN_PAGES:
            r = await anonymous.get(path)
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/admin"), path
        for method, path, body in ADMIN_API:
            r = await anonymous.api(method, path, json=body)
            assert r.status_code == 401, (method, path)
        form = await anonymous.post_form("/admin/settings", {"registration_mode": "open"})
        assert form.status_code == 401


@pytest.mark.parametrize("role", ["member", "facilitator", "moderator"])
async def test_everyone_but_admins_gets_403(live, role):
    user = await make_user(live, role=role)
    async with await signed_in(live, user) as browser:
        for path in ADMIN_PAGES:
            r = await browser.get(path)
            assert r.status_code == 403 and "Only administrators can do that." in r.text, path
        for method, path, body in ADMIN_API:
            r = await browser.api(method, path, json=body)
            assert r.status_code == 403, (method, path)
        assert (
            await browser.post_form(f"/admin/members/{user.id}/role", {"role": "admin"})
        ).status_code == 403
        assert (await browser.api("GET", "/api/v1/me")).json()["role"] == role
        page = await browser.get("/")
        assert 'href="/admin"' not in page.text


async def test_member_list_filters_searches_and_pages(private):
    site = private()
    admin = await make_user(site, role="admin")
    tag = unique("zz")
    for n in range(27):
        await make_user(site, name=f"Filter {tag} {n:02d}", email=f"{tag}.{n}@example.org")
    await make_user(site, role="moderator", name=f"Moderator {tag}")
    async with await signed_in(site, admin) as browser:
        first = await browser.get(f"/admin/members?q={tag}")
        assert first.status_code == 200 and "28 members found" in first.text
        assert "Page 1 of 2" in first.text and f"q={tag}&amp;page=2" in first.text
        second = await browser.get(f"/admin/members?q={tag}&page=2")
        assert "Page 2 of 2" in second.text

        api = (await browser.api("GET", f"/api/v1/admin/members?q={tag}&page=2")).json()
        assert api["total"] == 28 and api["pages"] == 2 and len(api["items"]) == 3
        by_email = (await browser.api("GET", f"/api/v1/admin/members?q={tag}.5@")).json()
        assert [m["email"] for m in by_email["items"]] == [f"{tag}.5@example.org"]
        mods = (await browser.api("GET", f"/api/v1/admin/members?role=moderator&q={tag}")).json()
        assert mods["total"] == 1 and mods["items"][0]["role"] == "moderator"
        bad = await browser.api("GET", "/api/v1/admin/members?status=sleeping")
        assert bad.status_code == 422 and "status" in bad.json()["error"]["fields"]


async def test_role_changes_and_suspension_end_sessions(live):
    admin = await make_user(live, role="admin")
    member = await make_user(live)
    members_browser = await signed_in(live, member)
    async with await signed_in(live, admin) as browser, members_browser:
        token = (await members_browser.api("POST", "/api/v1/tokens", json={"name": "t"})).json()["token"]

        r = await browser.post_form(
            f"/admin/members/{member.id}/role", {"role": "moderator", "back": "/admin/members"}
        )
        assert r.status_code == 303 and r.headers["location"] == "/admin/members?notice=role_changed"
        assert (await members_browser.api("GET", "/api/v1/me")).json()["role"] == "moderator"

        outside = await browser.post_form(
            f"/admin/members/{member.id}/role", {"role": "member", "back": "//evil"}
        )
        assert outside.headers["location"] == "/admin/members?notice=role_changed"

        suspended = await browser.post_form(f"/admin/members/{member.id}/suspend")
        assert suspended.status_code == 303
        assert (await members_browser.api("GET", "/api/v1/me")).status_code == 401
        async with Browserish(live.url) as program:
            program.http.headers["authorization"] = f"Bearer {token}"
            assert (await program.get("/api/v1/me")).status_code == 401
        listing = await browser.get(f"/admin/members?status=suspended&q={member.email}")
        assert member.email in listing.text and "Unsuspend" in listing.text

        again = await browser.api("POST", f"/api/v1/admin/members/{member.id}/suspend")
        assert again.status_code == 409

        back = await browser.api("POST", f"/api/v1/admin/members/{member.id}/unsuspend")
        assert back.status_code == 200 and back.json()["status"] == "active"
    async with client(live) as fresh:
        assert (await login(fresh, member.email)).status_code == 303


async def test_the_last_admin_cannot_demote_or_suspend_themselves(private):
    site = private()
    admin = await make_user(site, role="admin")
    async with await signed_in(site, admin) as browser:
        demote = await browser.api("POST", f"/api/v1/admin/members/{admin.id}/role", json={"role": "member"})
        assert demote.status_code == 409
        assert "last active administrator" in demote.json()["error"]["message"]
        page = await browser.post_form(f"/admin/members/{admin.id}/suspend")
        assert page.status_code == 409 and "last active administrator" in page.text
        assert (await browser.api("GET", "/api/v1/me")).json()["role"] == "admin"

        second = await make_user(site, role="member")
        promoted = await browser.api(
            "POST", f"/api/v1/admin/members/{second.id}/role", json={"role": "admin"}
        )
        assert promoted.json()["role"] == "admin"
        stepped_down = await browser.api(
            "POST", f"/api/v1/admin/members/{admin.id}/role", json={"role": "member"}
        )
        assert stepped_down.status_code == 200
        assert (await browser.get("/admin")).status_code == 403


async def test_overview_and_registration_mode_form(private):
    site = private(registration_mode="approval")
    admin = await make_user(site, role="admin")
    async with client(site) as applicant:
        await applicant.post_form("/register", register_form(f"{unique()}@example.org"))
    async with await signed_in(site, admin) as browser:
        page = await browser.get("/admin")
        assert page.status_code == 200
        assert 'value="approval" checked' in page.text
        assert '<a href="/admin/members?status=pending"><strong>1</strong>' in page.text

        bad = await browser.post_form("/admin/settings", {"registration_mode": "everyone"})
        assert (
            bad.status_code == 422 and "Choose a registration mode: open, approval or invitation." in bad.text
        )

        r = await browser.post_form("/admin/settings", {"registration_mode": "invitation"})
        assert r.status_code == 303 and r.headers["location"] == "/admin?notice=settings_saved"
        overview = (await browser.api("GET", "/api/v1/admin/overview")).json()
        assert overview["registration_mode"] == "invitation" and overview["members_by_status"]["pending"] == 1
    async with client(site) as visitor:
        assert (await visitor.get("/register")).status_code == 403


async def test_admins_write_the_terms_page(private):
    site = private()
    admin = await make_user(site, role="admin")
    async with Browserish(site.url) as visitor:
        default = await visitor.get("/terms")
        assert "Your email address is seen only by you and the site" in default.text
    async with await signed_in(site, admin) as browser:
        r = await browser.post_form(
            "/admin/settings", {"terms": "## Our rules\n\nBe **kind**. <img src=x onerror=1>"}
        )
        assert r.status_code == 303
    async with Browserish(site.url) as visitor:
        page = await visitor.get("/terms")
        assert "<h2>Our rules</h2>" in page.text and "<strong>kind</strong>" in page.text
        assert "<img" not in page.text  # raw HTML in Markdown is shown as text, never run


async def test_reject_and_revoke_from_the_pages(live, smtp):
    admin = await make_user(live, role="admin")
    pending = await make_user(live, status="pending")
    invited = f"{unique('pageinv')}@example.org"
    async with await signed_in(live, admin) as browser:
        queue = await browser.get(f"/admin/members?status=pending&q={pending.email}")
        assert f'action="/admin/members/{pending.id}/reject"' in queue.text
        r = await browser.post_form(
            f"/admin/members/{pending.id}/reject", {"back": "/admin/members?status=pending"}
        )
        assert r.headers["location"] == "/admin/members?status=pending&notice=rejected"
        after = await browser.get(r.headers["location"] + f"&q={pending.email}")
        assert (
            "The request has been rejected" in after.text and "No members match these filters." in after.text
        )

        await browser.post_form("/admin/invitations", {"email": invited, "role": "member"})
        smtp.wait_for(invited)
        listed = (await browser.api("GET", "/api/v1/admin/invitations")).json()
        invitation_id = next(i["id"] for i in listed if i["email"] == invited)
        gone = await browser.post_form(f"/admin/invitations/{invitation_id}/revoke")
        assert gone.headers["location"] == "/admin/invitations?notice=invitation_revoked"
        assert invited not in (await browser.get("/admin/invitations")).text
        assert (await browser.post_form(f"/admin/members/{admin.id}/promote")).status_code == 404
