"""The directory and profiles: every detail shown only to whom the member chose; filters and
searches never find a member by a detail the viewer may not see."""

from __future__ import annotations

from tests.conftest import Browserish, make_user, signed_in, unique

DETAILS = {
    "name": "Amira Haddad",
    "organisation": "Caritas Linz",
    "organisation_type": "ngo",
    "country": "AT",
    "bio": "I run **orientation** courses.",
    "locale": "",
    "timezone": "Europe/Vienna",
}


async def member_with_details(live, *, expertise: str, **visibility: str):
    """A member who filled in every detail, and set the given visibilities (others stay default)."""
    member = await make_user(live, name=f"Amira {unique()}")
    async with await signed_in(live, member) as browser:
        r = await browser.post_form("/settings", {**DETAILS, "name": member.name})
        assert r.status_code == 303
        form = {"city": "Linz", "stages": ["pre_departure", "integration"], "languages": ["ar", "de"],
                "expertise": expertise}  # fmt: skip
        form.update(visibility)
        r = await browser.post_form("/settings/directory", form)
        assert r.status_code == 303, r.text
    return member


PRIVATE_BITS = (
    "Caritas Linz",
    "NGO or civil society",
    "Austria",
    "Linz",
    "Pre-departure",
    "Arabic",
    "orientation",
)


async def test_a_new_member_shows_only_their_name_by_default(live):
    secret = unique("skill")
    member = await member_with_details(live, expertise=secret)
    url = f"/u/{member.username}"

    async with Browserish(live.url) as anonymous:
        page = await anonymous.get(url)
        assert page.status_code == 200 and member.name in page.text
        assert not [bit for bit in (*PRIVATE_BITS, secret, member.email) if bit in page.text]
        api = (await anonymous.get(f"/api/v1/members/{member.username}")).json()
        assert api["organisation"] is None and api["country"] is None and api["stages"] is None
        assert (await anonymous.get("/directory")).status_code == 303  # to sign in
        assert (await anonymous.get("/api/v1/directory")).status_code == 401

    peer = await make_user(live)
    async with await signed_in(live, peer) as browser:
        page = await browser.get(url)
        assert not [bit for bit in (*PRIVATE_BITS, secret, member.email) if bit in page.text]
        assert "Send a message" in page.text
        api = (await browser.get(f"/api/v1/members/{member.username}")).json()
        assert {k for k, v in api.items() if v is not None} == {"username", "name", "role"}
        listed = (await browser.get("/api/v1/directory", params={"q": member.name})).json()
        assert [i["username"] for i in listed["items"]] == [member.username]
        assert listed["items"][0]["organisation"] is None

    admin = await make_user(live, role="admin")
    async with await signed_in(live, admin) as browser:
        page = await browser.get(url)
        for bit in (*PRIVATE_BITS, secret, member.email):
            assert bit in page.text, bit
        api = (await browser.get(f"/api/v1/members/{member.username}")).json()
        assert api["stages"] == ["pre_departure", "integration"] and api["languages"] == ["ar", "de"]


async def test_each_detail_follows_its_own_visibility(live):
    secret = unique("skill")
    member = await member_with_details(
        live, expertise=secret, country_visibility="everyone", organisation_visibility="members",
        languages_visibility="members", bio_visibility="nobody",
    )  # fmt: skip
    url = f"/u/{member.username}"
    async with Browserish(live.url) as anonymous:
        page = await anonymous.get(url)
        assert "Austria" in page.text
        assert (
            "Caritas Linz" not in page.text and "Arabic" not in page.text and "orientation" not in page.text
        )
    peer = await make_user(live)
    async with await signed_in(live, peer) as browser:
        page = await browser.get(url)
        assert "Austria" in page.text and "Caritas Linz" in page.text and "Arabic, German" in page.text
        assert "orientation" not in page.text and secret not in page.text and "<dt>City</dt>" not in page.text
        api = (await browser.get(f"/api/v1/members/{member.username}")).json()
        assert api["country"] == "AT" and api["organisation"] == "Caritas Linz" and api["bio_html"] is None
    async with await signed_in(live, member) as browser:
        mine = (await browser.get("/api/v1/me/directory")).json()
        assert mine["visibility"]["country"] == "everyone" and mine["visibility"]["bio"] == "nobody"
        assert mine["city"] == "Linz" and mine["expertise"] == secret


async def test_filters_never_find_a_member_by_a_hidden_detail(live):
    secret = unique("skill")
    hidden = await member_with_details(live, expertise=secret)
    fields = ("country", "stages", "languages", "expertise", "organisation_type", "organisation")
    shown = await member_with_details(
        live, expertise=secret, **{f"{f}_visibility": "members" for f in fields}
    )
    peer = await make_user(live)
    async with await signed_in(live, peer) as browser:

        async def found(**params: str) -> set[str]:
            r = await browser.get("/api/v1/directory", params={"expertise": secret, **params})
            return {i["username"] for i in r.json()["items"]}

        assert await found() == {shown.username}
        assert await found(country="AT") == {shown.username}
        assert await found(stage="integration", language="ar") == {shown.username}
        assert await found(organisation_type="ngo") == {shown.username}
        words = await browser.get("/api/v1/directory", params={"q": "Caritas Linz"})
        usernames = {i["username"] for i in words.json()["items"]}
        assert shown.username in usernames and hidden.username not in usernames
        # By name the hidden member is found (the name is always shown), with nothing else.
        by_name = (await browser.get("/api/v1/directory", params={"q": hidden.name})).json()["items"]
        assert [(i["username"], i["country"]) for i in by_name] == [(hidden.username, None)]
        page = await browser.get("/directory", params={"expertise": secret})
        assert shown.name in page.text and hidden.name not in page.text

    admin = await make_user(live, role="admin")
    async with await signed_in(live, admin) as browser:
        r = await browser.get("/api/v1/directory", params={"expertise": secret, "country": "AT"})
        assert {i["username"] for i in r.json()["items"]} == {hidden.username, shown.username}


async def test_directory_settings_validate_and_api_patch(live):
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        page = await browser.get("/settings/directory")
        assert page.status_code == 200 and 'value="nobody" selected' in page.text
        bad = await browser.post_form(
            "/settings/directory",
            {"country_visibility": "world", "stages": ["space_travel"], "city": "x" * 200},
        )
        assert bad.status_code == 422
        assert "Choose who sees it" in bad.text and "Choose stages from the list." in bad.text
        r = await browser.api(
            "PATCH", "/api/v1/me/directory", json={"languages": ["uk"], "languages_visibility": "everyone"}
        )
        assert r.status_code == 200 and r.json()["languages"] == ["uk"]
        assert (
            r.json()["visibility"]["languages"] == "everyone" and r.json()["visibility"]["city"] == "nobody"
        )
    async with Browserish(live.url) as anonymous:
        assert "Ukrainian" in (await anonymous.get(f"/u/{member.username}")).text
