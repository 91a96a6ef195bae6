"""Browsing the library: facets with counts, search, language versions, discussion, feeds, and
group visibility (a private group's resource exists for nobody outside it)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from forum.models import Thread, Visibility
from tests.conftest import Browserish, make_user, signed_in, unique
from tests.library.conftest import PDF, add_link, add_resource, in_thread

ATOM = "{http://www.w3.org/2005/Atom}"


async def make_group(live, owner, visibility: str, members: list = ()):
    from forum.service import do_add_member, do_create_group

    group = await in_thread(
        live,
        do_create_group(
            owner,
            name=f"Group {unique()}",
            description="",
            visibility=Visibility(visibility),
            clock=live.clock,
        ),
    )
    for member in members:
        await in_thread(live, do_add_member(owner, group, member, clock=live.clock))
    return group


async def test_facets_count_the_matches_and_filter(live):
    tag = unique("topic")
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        await add_link(
            browser, tags=[tag], stages=["health", "reception"], languages=["ar", "en"], country="DE"
        )
        await add_link(browser, tags=[tag], stages=["health"], languages=["ar"], country="SE")
        await add_link(browser, tags=[tag, "housing"], stages=["integration"], languages=["uk"], country="DE")

        r = await browser.get("/api/v1/resources", params={"tag": tag})
        page = r.json()
        assert page["total"] == 3
        counts = {f: {v["value"]: v["count"] for v in values} for f, values in page["facets"].items()}
        assert counts["stage"] == {"health": 2, "reception": 1, "integration": 1}
        assert counts["language"] == {"ar": 2, "en": 1, "uk": 1}
        assert counts["country"] == {"DE": 2, "SE": 1}
        assert counts["tag"][tag] == 3 and counts["tag"]["housing"] == 1
        labels = {v["value"]: v["label"] for v in page["facets"]["stage"]}
        assert labels["health"] == "Health"

        narrowed = (await browser.get("/api/v1/resources", params={"tag": tag, "stage": "health"})).json()
        assert narrowed["total"] == 2
        assert {v["value"]: v["count"] for v in narrowed["facets"]["country"]} == {"DE": 1, "SE": 1}
        both = (
            await browser.get("/api/v1/resources", params={"tag": tag, "language": "ar", "country": "DE"})
        ).json()
        assert both["total"] == 1

        html = await browser.get("/library", params={"tag": tag, "stage": "health"})
        assert html.status_code == 200
        assert "2 resources" in html.text and "Sweden" in html.text and "(1)" in html.text


async def test_search_finds_words_in_title_description_and_tags(live):
    word = unique("zq")
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        in_title = await add_link(browser, title=f"Guide to {word} arrivals")
        in_text = await add_link(browser, description=f"Covers **{word}** in detail.")
        await add_link(browser, title="Something else", description="Nothing to see")
        r = (await browser.get("/api/v1/resources", params={"q": word})).json()
        assert {i["id"] for i in r["items"]} == {in_title["id"], in_text["id"]}
        assert r["items"][0]["id"] == in_title["id"]  # a title match ranks first
        page = await browser.get("/library", params={"q": word})
        assert f"Guide to {word} arrivals" in page.text
        assert (await browser.get("/api/v1/resources", params={"q": unique("nothing")})).json()["total"] == 0
        # Search syntax is never passed through: odd input is just words.
        assert (await browser.get("/library", params={"q": 'NEAR( "a* OR -'})).status_code == 200


async def test_private_group_resources_are_invisible_outside_the_group(live):
    owner = await make_user(live, role="facilitator")
    insider = await make_user(live)
    outsider = await make_user(live)
    group = await make_group(live, owner, "private", [insider])
    secret = unique("secret")
    async with await signed_in(live, insider) as browser:
        resource_id = await add_resource(
            browser, "plan.pdf", PDF, title=f"Plan {secret}", group=group.slug, tags=secret
        )
        assert (await browser.get(f"/library/{resource_id}")).status_code == 200
        assert (await browser.get(f"/library/{resource_id}/file")).status_code == 200
        found = (await browser.get("/api/v1/resources", params={"q": secret})).json()
        assert [i["id"] for i in found["items"]] == [resource_id]
        assert found["items"][0]["group"] == group.slug

    async with await signed_in(live, outsider) as browser:
        for url in (
            f"/library/{resource_id}",
            f"/library/{resource_id}/file",
            f"/api/v1/resources/{resource_id}",
        ):
            assert (await browser.get(url)).status_code == 404, url
        assert (await browser.get("/api/v1/resources", params={"q": secret})).json()["total"] == 0
        assert (await browser.get("/api/v1/resources", params={"tag": secret})).json()["total"] == 0
        listing = await browser.get("/library", params={"group": group.slug})
        assert secret not in listing.text
        r = await browser.api("PATCH", f"/api/v1/resources/{resource_id}", json={"title": "mine now"})
        assert r.status_code == 404
        # Sharing into a group you are not in is refused without confirming the group exists.
        r = await browser.api(
            "POST", "/api/v1/resources", json={"title": "x", "url": "https://e.org", "group": group.slug}
        )
        assert r.status_code == 422 and "group" in r.json()["error"]["fields"]

    async with Browserish(live.url) as anonymous:
        assert (await anonymous.get(f"/library/{resource_id}")).status_code == 404
        assert (await anonymous.get(f"/library/{resource_id}/file")).status_code == 404
        assert (await anonymous.get("/api/v1/resources", params={"q": secret})).json()["total"] == 0
        feed = await anonymous.get(f"/library/tags/{secret}/feed.atom")
        assert feed.status_code == 200 and "<entry>" not in feed.text and "Plan" not in feed.text

    # The group's members discuss it in a thread of the group.
    thread = await in_thread(live, lambda: Thread.filter(group_id=group.id).first())
    assert thread is not None and secret in thread.title


async def test_feeds_carry_public_resources_only(live):
    tag = unique("feed")
    owner = await make_user(live, role="facilitator")
    member = await make_user(live, name="Uploader Person")
    public_group = await make_group(live, owner, "public", [member])
    members_group = await make_group(live, owner, "members", [member])
    async with await signed_in(live, member) as browser:
        open_one = await add_link(
            browser, title=f"Open {tag}", tags=[tag], audience="public", publisher="UNHCR"
        )
        await add_link(browser, title=f"Members only {tag}", tags=[tag], audience="members")
        in_public = await add_link(browser, title=f"Public group {tag}", tags=[tag], group=public_group.slug)
        await add_link(browser, title=f"Members group {tag}", tags=[tag], group=members_group.slug)

    async with Browserish(live.url) as reader:
        r = await reader.get(f"/library/tags/{tag}/feed.atom")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
        feed = ET.fromstring(r.content)
        titles = {e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")}
        assert titles == {open_one["title"], in_public["title"]}
        authors = {e.findtext(f"{ATOM}author/{ATOM}name") for e in feed.iter(f"{ATOM}entry")}
        assert "UNHCR" in authors and "Uploader Person" not in r.text
        everything = await reader.get("/library/feed.atom")
        assert open_one["title"] in everything.text and f"Members only {tag}" not in everything.text
        # Anonymous readers see the same in the library itself.
        listing = (await reader.get("/api/v1/resources", params={"tag": tag})).json()
        assert {i["title"] for i in listing["items"]} == titles


async def test_language_versions_are_linked_both_ways(live):
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        original = await add_link(browser, title="Welcome guide", languages=["en"])
        arabic = await add_link(
            browser, title="دليل الترحيب", languages=["ar"], translation_of=original["id"]
        )
        # A translation of the translation hangs from the original too.
        ukrainian = await add_link(browser, title="Путівник", languages=["uk"], translation_of=arabic["id"])
        shown = (await browser.get(f"/api/v1/resources/{original['id']}")).json()
        assert {t["id"] for t in shown["translations"]} == {arabic["id"], ukrainian["id"]}
        back = (await browser.get(f"/api/v1/resources/{ukrainian['id']}")).json()
        assert back["translation_of"]["id"] == original["id"]
        assert [t["id"] for t in back["translations"]] == [arabic["id"]]
        page = await browser.get(f"/library/{original['id']}")
        assert (
            "Other language versions" in page.text
            and "دليل الترحيب" in page.text
            and "Ukrainian" in page.text
        )
        bad = await browser.api(
            "PATCH", f"/api/v1/resources/{original['id']}", json={"translation_of": original["id"]}
        )
        assert bad.status_code == 422


async def test_comments_edit_and_delete_permissions(live):
    author = await make_user(live)
    other = await make_user(live)
    moderator = await make_user(live, role="moderator")
    async with await signed_in(live, author) as browser:
        resource = await add_link(browser, title=f"Commented {unique()}")
        r = await browser.post_form(
            f"/library/{resource['id']}/comments", {"body": "Very **useful**, thanks"}
        )
        assert r.status_code == 303
        page = await browser.get(f"/library/{resource['id']}")
        assert "Very <strong>useful</strong>, thanks" in page.text
        empty = await browser.post_form(f"/library/{resource['id']}/comments", {"body": "  "})
        assert empty.status_code == 422 and "Write a comment first." in empty.text

    async with await signed_in(live, other) as browser:
        r = await browser.api("PATCH", f"/api/v1/resources/{resource['id']}", json={"title": "Taken over"})
        assert r.status_code == 403
        assert (await browser.post_form(f"/library/{resource['id']}/delete")).status_code == 403
        comments = (await browser.get(f"/api/v1/resources/{resource['id']}/comments")).json()
        assert comments[0]["author"]["username"] == author.username

    async with await signed_in(live, moderator) as browser:
        r = await browser.api("PATCH", f"/api/v1/resources/{resource['id']}", json={"tags": ["Legal Aid"]})
        assert r.status_code == 200 and r.json()["tags"] == ["legal-aid"]
        assert (await browser.api("DELETE", f"/api/v1/resources/{resource['id']}")).status_code == 204
        assert (await browser.get(f"/library/{resource['id']}")).status_code == 404
