"""Personal data: the privacy page, downloading everything one made as a zip, and erasure (by the
member, or by an administrator on request) that leaves their name nowhere: not on pages, in
search, in feeds, in exports, in the directory."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from members.models import AuditEntry, Session, User
from tests.conftest import Browserish, make_user, signed_in, unique
from tests.library.conftest import PDF, add_resource
from tests.library.test_browse import make_group


async def read(live, query):
    return await asyncio.to_thread(live.run, query)


@dataclass
class Footprint:
    member: Any
    partner: Any
    group: Any
    word: str  # a unique word in everything the member wrote
    thread_id: int
    reply_thread_id: int
    conversation_id: int
    resource_id: int
    upload: bytes


async def leave_a_footprint(live) -> Footprint:
    """A member who took part everywhere: profile, a public group (thread, reply, chat), a direct
    conversation, an uploaded resource with a comment, an API token."""
    word = unique("trace")
    member = await make_user(live, name=f"Leyla {word}")
    partner = await make_user(live, name=f"Partner {unique()}")
    owner = await make_user(live, role="facilitator")
    group = await make_group(live, owner, "public", [member, partner])
    upload = PDF.replace(b"%%EOF", f"% {word}\n%%EOF".encode())
    async with await signed_in(live, member) as browser:
        r = await browser.post_form(
            "/settings",
            {"name": member.name, "organisation": f"Org {word}", "country": "DE", "timezone": "UTC"},
        )
        assert r.status_code == 303
        r = await browser.post_form(
            "/settings/directory",
            {
                "expertise": f"housing {word}",
                "organisation_visibility": "everyone",
                "expertise_visibility": "members",
            },
        )
        assert r.status_code == 303
        thread = await browser.api(
            "POST",
            f"/api/v1/groups/{group.slug}/threads",
            json={"title": f"Housing in {word}", "body": f"My {word} story"},
        )
        assert thread.status_code == 201, thread.text
        async with await signed_in(live, partner) as other:
            theirs = await other.api(
                "POST",
                f"/api/v1/groups/{group.slug}/threads",
                json={"title": "Partner's thread", "body": "Question"},
            )
        reply = await browser.api(
            "POST", f"/api/v1/threads/{theirs.json()['id']}/posts", json={"body": f"My answer about {word}"}
        )
        assert reply.status_code == 201, reply.text
        assert (await browser.post_form(f"/g/{group.slug}/chat", {"body": f"chat {word}"})).status_code == 303
        dm = await browser.api(
            "POST", "/api/v1/conversations", json={"to": [partner.username], "body": f"dm {word}"}
        )
        assert dm.status_code == 201
        resource_id = await add_resource(
            browser, f"{word}.pdf", upload, title=f"Guide {word}", audience="public", tags=word
        )
        assert (
            await browser.post_form(f"/library/{resource_id}/comments", {"body": f"comment {word}"})
        ).status_code == 303
        assert (await browser.post_form("/settings/tokens", {"name": "my script"})).status_code == 200
    return Footprint(
        member=member, partner=partner, group=group, word=word, thread_id=thread.json()["id"],
        reply_thread_id=theirs.json()["id"], conversation_id=dm.json()["conversation"],
        resource_id=resource_id, upload=upload,
    )  # fmt: skip


async def export_of(browser: Browserish) -> tuple[dict[str, Any], zipfile.ZipFile]:
    r = await browser.get("/settings/data/export.zip")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert r.headers["content-disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    return json.loads(archive.read("data.json")), archive


async def test_a_member_downloads_everything_they_made(live):
    f = await leave_a_footprint(live)
    async with await signed_in(live, f.member) as browser:
        assert "Download my data" in (await browser.get("/settings/data")).text
        data, archive = await export_of(browser)
    assert data["account"]["email"] == f.member.email and data["account"]["terms_accepted_at"] is None
    assert (
        data["profile"]["organisation"] == f"Org {f.word}"
        and data["profile"]["visibility"]["organisation"] == "everyone"
    )
    assert [t["title"] for t in data["threads"]] == [f"Housing in {f.word}"]
    assert {p["body"] for p in data["posts"]} == {f"My {f.word} story", f"My answer about {f.word}"}
    assert [g["slug"] for g in data["groups"]] == [f.group.slug]
    assert [m["body"] for m in data["chat_messages"]] == [f"chat {f.word}"]
    assert [m["body"] for m in data["direct_messages_written"]] == [f"dm {f.word}"]
    assert data["direct_message_conversations"][0]["with"] == [f.partner.name]
    assert [c["body"] for c in data["resource_comments"]] == [f"comment {f.word}"]
    resource = data["resources"][0]
    assert resource["title"] == f"Guide {f.word}" and archive.read(resource["file"]) == f.upload
    assert data["sessions"] and all("token" not in key for s in data["sessions"] for key in s)
    assert [t["name"] for t in data["api_tokens"]] == ["my script"]
    raw = archive.read("data.json").decode()
    token_hash = (await read(live, lambda: Session.filter(user_id=f.member.id).first())).token_hash
    assert token_hash not in raw and "password" not in raw
    async with Browserish(live.url) as anonymous:
        assert (await anonymous.get("/settings/data/export.zip")).status_code == 303
        assert (await anonymous.get("/api/v1/me/export")).status_code == 401


async def assert_gone_everywhere(live, f: Footprint, *, kept: bool) -> None:
    """Nothing anyone can read names the erased member any more."""
    name, email, org = f.member.name, f.member.email, f"Org {f.word}"
    names = (name, email, org, f.member.username)
    async with Browserish(live.url) as anonymous:
        assert (await anonymous.get(f"/u/{f.member.username}")).status_code == 404
        pages = [
            await anonymous.get(f"/g/{f.group.slug}/t/{f.reply_thread_id}"),
            await anonymous.get("/search", params={"q": f.word}),
            await anonymous.get(f"/g/{f.group.slug}/feed.atom"),
            await anonymous.get(f"/library/tags/{f.word}/feed.atom"),
            await anonymous.get("/library/feed.atom"),
            await anonymous.get("/api/v1/search", params={"q": f.word}),
        ]
        for page in pages:
            assert page.status_code == 200, page.url
            assert not [n for n in names if n in page.text], page.url
        thread_page = pages[0].text
        if kept:
            assert f"My answer about {f.word}" in thread_page and "Former member" in thread_page
        else:
            assert f"My answer about {f.word}" not in thread_page
    async with await signed_in(live, f.partner) as browser:
        for url in ("/directory", f"/directory?q={f.word}", f"/messages/{f.conversation_id}", "/messages"):
            page = await browser.get(url)
            assert page.status_code == 200 and not [n for n in names if n in page.text], url
        data, _ = await export_of(browser)
        assert not [n for n in names if n in json.dumps(data)]
        assert data["direct_message_conversations"][0]["with"] == ["Former member"]
        api = (await browser.get(f"/api/v1/conversations/{f.conversation_id}")).json()
        assert not [n for n in names if n in json.dumps(api)]
        assert (f"dm {f.word}" in json.dumps(api)) is kept
        assert api["can_send"] is False  # nobody is left to write to


async def test_a_member_deletes_their_account_and_keeps_what_they_wrote(live):
    f = await leave_a_footprint(live)
    async with await signed_in(live, f.member) as browser:
        form = await browser.get("/settings/delete")
        assert form.status_code == 200 and 'value="keep" checked' in form.text
        wrong = await browser.post_form(
            "/settings/delete", {"password": "not it", "content": "keep", "confirm": "true"}
        )
        assert wrong.status_code == 422 and "That is not your current password." in wrong.text
        unconfirmed = await browser.post_form(
            "/settings/delete", {"password": f.member.plain_password, "content": "keep"}
        )
        assert unconfirmed.status_code == 422 and "Tick the box" in unconfirmed.text
        done = await browser.post_form(
            "/settings/delete", {"password": f.member.plain_password, "content": "keep", "confirm": "true"}
        )
        assert done.status_code == 200 and "Your account has been deleted" in done.text
        assert (await browser.get("/settings")).status_code == 303  # signed out
    row = await read(live, lambda: User.get(id=f.member.id))
    assert row.name == "Former member" and row.status == "deleted" and row.email.endswith(".invalid")
    assert row.organisation == "" and row.expertise == "" and row.password_hash.startswith("!")
    assert not await read(live, lambda: Session.filter(user_id=f.member.id).exists())
    async with Browserish(live.url) as visitor:
        r = await visitor.post_form("/login", {"email": f.member.email, "password": f.member.plain_password})
        assert r.status_code != 303
        resource = await visitor.get(f"/library/{f.resource_id}")
        assert (
            resource.status_code == 200
            and "Former member" in resource.text
            and f.member.name not in resource.text
        )
    await assert_gone_everywhere(live, f, kept=True)


async def test_deleting_an_account_with_its_content_removes_posts_messages_and_files(live):
    f = await leave_a_footprint(live)
    async with await signed_in(live, f.member) as browser:
        r = await browser.api(
            "DELETE", "/api/v1/me", json={"password": f.member.plain_password, "content": "delete"}
        )
        assert r.status_code == 204
    async with Browserish(live.url) as anonymous:
        assert (await anonymous.get(f"/g/{f.group.slug}/t/{f.thread_id}")).status_code == 404  # only theirs
        assert (await anonymous.get(f"/library/{f.resource_id}")).status_code == 404
        assert (await anonymous.get("/api/v1/search", params={"q": f.word})).json()["total"] == 0
        assert (await anonymous.get("/api/v1/resources", params={"q": f.word})).json()["total"] == 0
    import hashlib

    sha = hashlib.sha256(f.upload).hexdigest()
    assert not (Path(live.settings.data_dir) / "uploads" / sha[:2] / sha).exists()
    await assert_gone_everywhere(live, f, kept=False)


async def test_an_administrator_erases_an_account_on_request_with_a_reason(live):
    f = await leave_a_footprint(live)
    admin = await make_user(live, role="admin")
    async with await signed_in(live, admin) as browser:
        listing = await browser.get("/admin/members", params={"q": f.member.username})
        assert f'href="/admin/members/{f.member.id}/erase"' in listing.text
        form = await browser.get(f"/admin/members/{f.member.id}/erase")
        assert form.status_code == 200 and f.member.name in form.text
        missing = await browser.post_form(
            f"/admin/members/{f.member.id}/erase", {"reason": " ", "content": "keep"}
        )
        assert missing.status_code == 422 and "Say why" in missing.text
        reason = f"Request by email {unique()}"
        r = await browser.post_form(
            f"/admin/members/{f.member.id}/erase", {"reason": reason, "content": "keep"}
        )
        assert r.status_code == 303 and r.headers["location"] == "/admin/members?notice=erased"
        again = await browser.api(
            "POST", f"/api/v1/admin/members/{f.member.id}/erase", json={"reason": "twice"}
        )
        assert again.status_code == 404
    entry = await read(live, lambda: AuditEntry.get(action="user.erase", target_id=f.member.id))
    assert entry.reason == reason and entry.actor_id == admin.id and entry.data["by_self"] is False
    assert f.member.name not in json.dumps(entry.data) and f.member.email not in json.dumps(entry.data)
    await assert_gone_everywhere(live, f, kept=True)

    peer = await make_user(live)
    async with await signed_in(live, peer) as browser:
        r = await browser.api("POST", f"/api/v1/admin/members/{admin.id}/erase", json={"reason": "x"})
        assert r.status_code == 403


async def test_the_privacy_page_is_written_by_an_administrator(live):
    async with Browserish(live.url) as anonymous:
        page = await anonymous.get("/privacy")
        assert page.status_code == 200 and "Download everything we keep about you" in page.text
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        assert (await browser.get("/admin/privacy")).status_code == 403
        r = await browser.api("PUT", "/api/v1/admin/privacy", json={"privacy": "Nope"})
        assert r.status_code == 403
    admin = await make_user(live, role="admin")
    text = f"We keep **little**. Contact dpo-{unique()}@example.org"
    async with await signed_in(live, admin) as browser:
        page = await browser.get("/admin/privacy")
        assert page.status_code == 200 and 'name="privacy"' in page.text
        assert (await browser.post_form("/admin/privacy", {"privacy": text})).status_code == 303
        assert "We keep <strong>little</strong>" in (await browser.get("/privacy")).text
        api = (await browser.get("/api/v1/privacy")).json()
        assert api["markdown"] == text
        assert (await browser.api("PUT", "/api/v1/admin/privacy", json={"privacy": ""})).status_code == 200
    assert await read(live, lambda: AuditEntry.filter(action="site.privacy", actor_id=admin.id).count()) == 2


async def test_consultation_answers_are_exported_and_leave_with_the_member(live):
    from tests.consultations.conftest import answers_for, make_consultation
    from tests.consultations.conftest import make_group as make_consultation_group

    setup = await make_consultation(
        live, await make_consultation_group(live, visibility="private", members=1)
    )
    member, c = setup.members[0], setup.consultation
    word = unique("answer")
    async with await signed_in(live, member) as browser:
        r = await browser.api(
            "PUT",
            f"/api/v1/consultations/{c.id}/response",
            json={"answers": answers_for(setup, word), "submit": True},
        )
        assert r.status_code == 200, r.text
        data, _ = await export_of(browser)
    [response] = data["consultation_responses"]
    assert response["consultation"] == c.title and response["status"] == "submitted"
    assert word in json.dumps(response["answers"])
    assert "What should change?" in json.dumps(response["answers"])

    async with await signed_in(live, member) as browser:
        r = await browser.api(
            "DELETE", "/api/v1/me", json={"password": member.plain_password, "content": "keep"}
        )
        assert r.status_code == 204
    async with await signed_in(live, setup.facilitator) as facilitator:
        exported = (await facilitator.get(f"/consultations/{c.id}/export/responses.json")).text
    assert word in exported  # the answer is kept, as they chose...
    assert member.name not in exported and member.username not in exported  # ...but not who gave it
