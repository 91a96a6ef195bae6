"""Profiles: who sees what (anonymous, member, the member, admin), and editing one's own profile."""

from __future__ import annotations

from members.models import User
from tests.conftest import Browserish, make_user, signed_in
from tests.members.conftest import read

PROFILE = {
    "name": "Leyla Demir",
    "organisation": "Stadt Leipzig",
    "organisation_type": "local_government",
    "country": "DE",
    "bio": "I coordinate **arrivals** in Leipzig. <script>alert(1)</script>",
    "locale": "",
    "timezone": "Europe/Berlin",
}


async def _member_with_profile(live):
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        r = await browser.post_form("/settings", PROFILE)
        assert r.status_code == 303 and r.headers["location"] == "/settings?notice=saved"
        # Details are hidden until the member shows them (members/directory.py): show them to members.
        shown = {
            f"{f}_visibility": "members" for f in ("organisation", "organisation_type", "country", "bio")
        }
        assert (await browser.post_form("/settings/directory", shown)).status_code == 303
    return member


async def test_profile_details_are_for_members_and_email_for_self_and_admins(live):
    member = await _member_with_profile(live)
    url = f"/u/{member.username}"

    async with Browserish(live.url) as anonymous:
        page = await anonymous.get(url)
        assert page.status_code == 200 and "Leyla Demir" in page.text
        for private_detail in ("Stadt Leipzig", "Germany", "Local government", "arrivals", member.email):
            assert private_detail not in page.text
        api = (await anonymous.get(f"/api/v1/members/{member.username}")).json()
        assert api["name"] == "Leyla Demir"
        assert api["organisation"] is None and api["bio_html"] is None and api["email"] is None

    other = await make_user(live)
    async with await signed_in(live, other) as peer:
        page = await peer.get(url)
        assert "Stadt Leipzig" in page.text and "Germany" in page.text and "Local government" in page.text
        assert "<strong>arrivals</strong>" in page.text and "<script>" not in page.text
        assert ">Member<" in page.text and "Member since" not in page.text  # the joined date is account data
        assert member.email not in page.text
        api = (await peer.get(f"/api/v1/members/{member.username}")).json()
        assert api["organisation"] == "Stadt Leipzig" and api["country"] == "DE" and api["role"] == "member"
        assert api["email"] is None and api["status"] is None

    async with await signed_in(live, member) as self_view:
        page = await self_view.get(url)
        assert member.email in page.text and "Edit your profile" in page.text
        assert (await self_view.get(f"/api/v1/members/{member.username}")).json()["email"] == member.email

    admin = await make_user(live, role="admin")
    async with await signed_in(live, admin) as admin_view:
        page = await admin_view.get(url)
        assert member.email in page.text
        api = (await admin_view.get(f"/api/v1/members/{member.username}")).json()
        assert api["email"] == member.email and api["status"] == "active"


def test_country_names_are_localised_and_the_list_is_iso_3166():
    from members.choices import country_codes, country_name, country_options

    # Pages ask for the reader's language; these are the names each language's reader gets.
    assert ("DE", "Deutschland") in country_options("de")
    assert country_name("SY", "fr") == "Syrie" and country_name("UA", "en") == "Ukraine"
    assert country_name("AF", "ar") == "أفغانستان"
    codes = country_codes()
    assert {"DE", "SY", "AF", "ER", "XK"} <= codes and not {"EU", "UN", "ZZ", "150"} & codes
    assert len(codes) == 250  # the 249 assigned ISO 3166-1 codes, and Kosovo


async def test_hidden_accounts_are_not_found_except_by_admins(live):
    admin = await make_user(live, role="admin")
    viewer = await make_user(live)
    for status in ("pending", "suspended", "deleted"):
        hidden = await make_user(live)
        await read(live, lambda h=hidden, s=status: User.filter(id=h.id).update(status=s))
        async with await signed_in(live, viewer) as browser:
            assert (await browser.get(f"/u/{hidden.username}")).status_code == 404
            assert (await browser.get(f"/api/v1/members/{hidden.username}")).status_code == 404
        async with Browserish(live.url) as anonymous:
            assert (await anonymous.get(f"/u/{hidden.username}")).status_code == 404
        async with await signed_in(live, admin) as browser:
            page = await browser.get(f"/u/{hidden.username}")
            assert page.status_code == 200 and hidden.email in page.text
    async with Browserish(live.url) as anonymous:
        assert (await anonymous.get("/u/nobody-by-this-name")).status_code == 404


async def test_settings_form_validates_and_keeps_what_was_typed(live):
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        page = await browser.get("/settings")
        assert page.status_code == 200
        assert 'value="refugee_led"' in page.text and 'value="Europe/Berlin"' in page.text
        assert 'value="DE"' in page.text and ">Germany<" in page.text

        bad = {
            **PROFILE,
            "name": "",
            "country": "XX",
            "organisation_type": "company",
            "timezone": "Mars/Olympus",
        }
        r = await browser.post_form("/settings", bad)
        assert r.status_code == 422
        assert "Please enter your name." in r.text
        assert "Choose a country from the list" in r.text
        assert "Choose one of the listed kinds of organisation." in r.text
        assert "Choose a time zone from the list" in r.text
        assert "Stadt Leipzig" in r.text  # what was typed is still there

        ok = await browser.post_form("/settings", PROFILE)
        assert ok.status_code == 303
        saved = await read(live, lambda: User.get(id=member.id))
        assert saved.country == "DE" and saved.timezone == "Europe/Berlin"
        assert saved.bio_html.startswith("<p>I coordinate <strong>arrivals</strong>")
        assert "<script>" not in saved.bio_html


async def test_api_me_patch_changes_only_what_is_sent(live):
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        r = await browser.api("PATCH", "/api/v1/me", json={"country": "gr", "bio": "Athens, _Greece_"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["country"] == "GR" and body["bio_html"] == "<p>Athens, <em>Greece</em></p>"
        assert body["name"] == member.name

        bad = await browser.api("PATCH", "/api/v1/me", json={"locale": "xx", "timezone": "Nowhere"})
        assert bad.status_code == 422
        assert set(bad.json()["error"]["fields"]) == {"locale", "timezone"}
    async with Browserish(live.url) as anonymous:
        assert (await anonymous.api("PATCH", "/api/v1/me", json={"name": "X"})).status_code == 401
        assert (await anonymous.api("GET", "/api/v1/me")).status_code == 401
