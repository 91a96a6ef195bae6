"""Editing and deleting posts: revisions and their history page, who may edit or delete what,
locked threads, soft deletion (placeholder for members, text and reason for moderators), thread
deletion through the opening post, restoring, and the live room's replay of a deleted post."""

from __future__ import annotations

import re
from typing import Any

from forum import service
from forum.models import Group, Post, PostRevision, Thread
from members.models import AuditEntry
from tests.forum.conftest import (
    aseed,
    build_world,
    client_for,
    new_group,
    new_reply,
    new_thread,
    new_user,
    reload,
    seed,
)
from tests.realtime.conftest import connect, session_token


def post_body(html: str, number: int) -> str:
    """The text of one post's article on a thread page."""
    match = re.search(rf'<article class="post[^"]*" id="p{number}".*?</article>', html, re.S)
    assert match, f"post {number} not on the page"
    return match.group(0)


async def audit_actions(live: Any, target_type: str, target_id: int) -> list[str]:
    return list(
        await aseed(
            live,
            lambda: (
                AuditEntry.filter(target_type=target_type, target_id=target_id)
                .order_by("id")
                .values_list("action", flat=True)
            ),
        )
    )


async def test_author_edits_a_post_and_every_version_is_kept(live: Any) -> None:
    w = build_world(live, "public")
    reply = new_reply(live, w.member, w.thread, "First *draft* of my answer.")
    base = f"/g/{w.slug}/t/{w.thread.id}"
    async with await client_for(live, w.member) as client:
        form = await client.get(f"{base}/p/{reply.number}/edit")
        assert form.status_code == 200 and "First *draft* of my answer." in form.text
        assert 'name="title"' not in form.text  # only the opening post carries the title
        live.clock.advance(minutes=3)
        r = await client.post_form(
            f"{base}/p/{reply.number}/edit", {"body": "Second **version**.", "reason": "typo"}
        )
        assert r.status_code == 303 and r.headers["location"].endswith(f"done=edited#p{reply.number}")
        page = await client.get(base)
        article = post_body(page.text, reply.number)
        assert "<strong>version</strong>" in article and "draft" not in article
        assert ">edited</a>" in article  # the author gets the link to the history
        assert "The earlier version is kept" in (await client.get(r.headers["location"])).text

        live.clock.advance(minutes=3)
        r = await client.api("PATCH", f"/api/v1/posts/{reply.id}", json={"body": "Third version."})
        assert r.status_code == 200
        assert r.json()["edit_count"] == 2 and r.json()["body"] == "Third version."
        assert r.json()["edited_at"] is not None and r.json()["body_html"] == "<p>Third version.</p>"

        history = (await client.api("GET", f"/api/v1/posts/{reply.id}/revisions")).json()
        assert [v["number"] for v in history] == [3, 2, 1]
        assert [v["body"] for v in history] == [
            "Third version.",
            "Second **version**.",
            "First *draft* of my answer.",
        ]
        assert history[1]["reason"] == "typo" and history[2]["editor"]["id"] == w.member.id
        assert {"kind": "add", "text": "Third version."} in history[0]["diff"]
        assert {"kind": "del", "text": "Second **version**."} in history[0]["diff"]

        page = await client.get(f"{base}/p/{reply.number}/revisions")
        assert page.status_code == 200
        assert "Version 3 (current)" in page.text and "Version 1 (original)" in page.text
        assert "<em>draft</em>" in page.text and "Reason: typo" in page.text
    assert await aseed(live, lambda: PostRevision.filter(post_id=reply.id).count()) == 3
    # The author editing their own post is not a moderator action: nothing in the audit log.
    assert await audit_actions(live, "post", reply.id) == []


async def test_editing_the_opening_post_renames_the_thread(live: Any) -> None:
    w = build_world(live, "members")
    base = f"/g/{w.slug}/t/{w.thread.id}"
    async with await client_for(live, w.member) as client:
        form = await client.get(f"{base}/p/1/edit")
        assert 'name="title"' in form.text and w.thread.title in form.text
        r = await client.post_form(
            f"{base}/p/1/edit", {"title": "  A better   title ", "body": "Hello again"}
        )
        assert r.status_code == 303
        page = await client.get(base)
        assert "<h1>A better title" in page.text
        history = (await client.api("GET", f"/api/v1/posts/{w.opening.id}/revisions")).json()
        assert [v["title"] for v in history] == ["A better title", w.thread.title]
        assert history[0]["title_changed"] is True
        r = await client.api("PATCH", f"/api/v1/posts/{w.opening.id}", json={"body": "x", "title": "ab"})
        assert r.status_code == 422 and "title" in r.json()["error"]["fields"]
    assert (await reload(live, Thread, w.thread.id)).title == "A better title"


async def test_validation_errors_re_render_the_form(live: Any) -> None:
    w = build_world(live, "public")
    reply = new_reply(live, w.member, w.thread, "Keep me")
    base = f"/g/{w.slug}/t/{w.thread.id}/p/{reply.number}"
    async with await client_for(live, w.member) as client:
        r = await client.post_form(base + "/edit", {"body": "   "})
        assert r.status_code == 422 and "Please write something before posting." in r.text
        assert 'aria-invalid="true"' in r.text
        r = await client.api("PATCH", f"/api/v1/posts/{reply.id}", json={"body": "Ok", "title": "Not here"})
        assert r.status_code == 422
        assert r.json()["error"]["fields"]["title"] == "Only the opening post carries the thread's title."
    assert (await reload(live, Post, reply.id)).body == "Keep me"


async def test_who_may_edit_and_read_the_history(live: Any) -> None:
    w = build_world(live, "public")
    other_member = new_user(live)
    seed(live, service.do_add_member(w.mod, w.group, other_member, clock=live.clock))
    other_group_mod = new_user(live, "facilitator")
    new_group(live, other_group_mod, "public")  # a moderator, but of another group
    reply = new_reply(live, w.member, w.thread, "Mine")
    edit, history = (
        f"/g/{w.slug}/t/{w.thread.id}/p/{reply.number}/edit",
        f"/api/v1/posts/{reply.id}/revisions",
    )
    for intruder in (other_member, other_group_mod, w.outsider):
        async with await client_for(live, intruder) as client:
            assert (await client.get(edit)).status_code == 403
            assert (await client.post_form(edit, {"body": "Hijacked"})).status_code == 403
            r = await client.api("PATCH", f"/api/v1/posts/{reply.id}", json={"body": "Hijacked"})
            assert (
                r.status_code == 403 and r.json()["error"]["message"] == "You can only edit your own posts."
            )
            assert (await client.api("GET", history)).status_code == 403
            assert (await client.get(edit.replace("/edit", "/revisions"))).status_code == 403
            page = await client.get(f"/g/{w.slug}/t/{w.thread.id}")
            assert f'href="/g/{w.slug}/t/{w.thread.id}/p/{reply.number}/edit"' not in page.text
    async with await client_for(live, None) as anon:
        r = await anon.api("PATCH", f"/api/v1/posts/{reply.id}", json={"body": "x"})
        assert r.status_code == 401
    assert (await reload(live, Post, reply.id)).body == "Mine"

    # The group's moderator may edit anyone's post; that is recorded in the audit log.
    async with await client_for(live, w.mod) as client:
        r = await client.api(
            "PATCH", f"/api/v1/posts/{reply.id}", json={"body": "Moderated", "reason": "rude"}
        )
        assert r.status_code == 200
        assert (await client.api("GET", history)).status_code == 200
        assert "You are editing someone else's post" in (await client.get(edit)).text
    assert await audit_actions(live, "post", reply.id) == ["post.edit"]
    entry = await aseed(live, lambda: AuditEntry.get(target_id=reply.id, action="post.edit"))
    assert entry.actor_id == w.mod.id and entry.group_id == w.group.id and entry.reason == "rude"


async def test_a_private_groups_posts_do_not_exist_for_outsiders(live: Any) -> None:
    w = build_world(live, "private")
    async with await client_for(live, w.outsider) as client:
        assert (
            await client.api("PATCH", f"/api/v1/posts/{w.opening.id}", json={"body": "x"})
        ).status_code == 404
        assert (await client.api("GET", f"/api/v1/posts/{w.opening.id}/revisions")).status_code == 404
        assert (await client.get(f"/g/{w.slug}/t/{w.thread.id}/p/1/edit")).status_code == 404


async def test_a_locked_thread_refuses_members_edits_but_not_moderators(live: Any) -> None:
    w = build_world(live, "public")
    access, thread = seed(live, service.get_thread(w.mod, w.thread.id))
    seed(live, service.do_lock_thread(access, thread, clock=live.clock))
    async with await client_for(live, w.member) as client:
        r = await client.api("PATCH", f"/api/v1/posts/{w.opening.id}", json={"body": "Sneaky"})
        assert r.status_code == 409 and "locked" in r.json()["error"]["message"]
        assert (await client.get(f"/g/{w.slug}/t/{w.thread.id}/p/1/edit")).status_code == 409
        assert (await client.api("DELETE", f"/api/v1/posts/{w.opening.id}", json={})).status_code == 409
    async with await client_for(live, w.mod) as client:
        r = await client.api(
            "PATCH", f"/api/v1/posts/{w.opening.id}", json={"body": "Clarified by a moderator"}
        )
        assert r.status_code == 200


async def test_deleting_a_post_shows_a_placeholder_and_hides_its_text(live: Any) -> None:
    w = build_world(live, "public")
    other = new_user(live)
    seed(live, service.do_add_member(w.mod, w.group, other, clock=live.clock))
    own = new_reply(live, w.member, w.thread, "I regret writing SECRET-ONE")
    theirs = new_reply(live, other, w.thread, "Something rude SECRET-TWO")
    base = f"/g/{w.slug}/t/{w.thread.id}"
    async with await client_for(live, w.member) as client:
        confirm = await client.get(f"{base}/p/{own.number}/delete")
        assert confirm.status_code == 200 and "Reason (optional)" in confirm.text
        r = await client.post_form(f"{base}/p/{own.number}/delete", {})
        assert r.status_code == 303
        # Deleting someone else's post is not for members.
        assert (
            await client.post_form(f"{base}/p/{theirs.number}/delete", {"reason": "x"})
        ).status_code == 403
        assert (await client.api("DELETE", f"/api/v1/posts/{own.id}", json={})).status_code == 409  # already
    async with await client_for(live, w.mod) as client:
        r = await client.post_form(f"{base}/p/{theirs.number}/delete", {"reason": ""})
        assert r.status_code == 422 and "Say why you are deleting this post" in r.text
        r = await client.api(
            "DELETE", f"/api/v1/posts/{theirs.id}", json={"reason": "Insulting another member"}
        )
        assert r.status_code == 204
        page = await client.get(base)
        assert "This post was deleted by its author." in post_body(page.text, own.number)
        mod_view = post_body(page.text, theirs.number)
        assert "This post was removed by a moderator." in mod_view
        assert "Reason: Insulting another member" in mod_view and "SECRET-TWO" in mod_view
        assert f'action="{base}/p/{theirs.number}/restore"' in mod_view
        posts = (await client.api("GET", f"/api/v1/threads/{w.thread.id}")).json()["posts"]
        by_number = {p["number"]: p for p in posts}
        assert by_number[theirs.number]["deleted_by"] == "moderator"
        assert by_number[theirs.number]["body"] == "Something rude SECRET-TWO"

    for viewer in (w.member, other, w.outsider, None):
        async with await client_for(live, viewer) as client:
            page = await client.get(base)
            assert "SECRET-ONE" not in page.text and "SECRET-TWO" not in page.text
            assert "This post was removed by a moderator." in page.text
            assert "Insulting another member" not in page.text
            thread = (await client.api("GET", f"/api/v1/threads/{w.thread.id}")).json()
            deleted = {p["number"]: p for p in thread["posts"]}[theirs.number]
            assert deleted["deleted"] is True and deleted["body"] == deleted["body_html"] == ""
            assert deleted["delete_reason"] == ""
            assert "SECRET" not in str(thread)

    async with await client_for(live, w.member) as client:
        # A deleted post cannot be quoted or answered, and its history is for moderators only.
        assert (await client.get(f"{base}/reply?to={theirs.id}")).status_code == 409
        r = await client.api(
            "POST", f"/api/v1/threads/{w.thread.id}/posts", json={"body": "hi", "parent_id": own.id}
        )
        assert r.status_code == 422
        assert (await client.api("GET", f"/api/v1/posts/{own.id}/revisions")).status_code == 403
        r = await client.api("PATCH", f"/api/v1/posts/{own.id}", json={"body": "Bring it back"})
        assert r.status_code == 409 and "deleted" in r.json()["error"]["message"]
        # Only a moderator restores.
        assert (await client.api("POST", f"/api/v1/posts/{own.id}/restore")).status_code == 403
    async with await client_for(live, w.mod) as client:
        r = await client.post_form(f"{base}/p/{theirs.number}/restore", {})
        assert r.status_code == 303
        r = await client.api("POST", f"/api/v1/posts/{theirs.id}/restore")
        assert r.status_code == 409  # not deleted any more
    async with await client_for(live, other) as client:
        assert "SECRET-TWO" in (await client.get(base)).text
    assert await audit_actions(live, "post", theirs.id) == ["post.delete", "post.restore"]
    assert (
        await audit_actions(live, "post", own.id) == []
    )  # an author's own deletion is not a moderator action
    row = await reload(live, Post, own.id)
    assert row.deleted_at is not None and row.deleted_by_id == w.member.id


async def test_deleting_the_opening_post_deletes_the_thread(live: Any) -> None:
    w = build_world(live, "public")
    alone = new_thread(live, w.member, w.group, title="Posted in the wrong place")
    busy = new_thread(live, w.member, w.group, title="People answered this")
    new_reply(live, w.mod, busy, "An answer")
    count = (await reload(live, Group, w.group.id)).thread_count
    async with await client_for(live, w.member) as client:
        r = await client.post_form(f"/g/{w.slug}/t/{alone.id}/p/1/delete", {})
        assert r.status_code == 303 and r.headers["location"] == f"/g/{w.slug}?done=thread_deleted"
        group_page = await client.get(f"/g/{w.slug}")
        assert "Posted in the wrong place" not in group_page.text
        assert (await client.get(f"/g/{w.slug}/t/{alone.id}")).status_code == 404
        assert (await client.api("GET", f"/api/v1/threads/{alone.id}")).status_code == 404
        listing = (await client.api("GET", f"/api/v1/groups/{w.slug}/threads")).json()
        assert alone.id not in [t["id"] for t in listing["threads"]]
        # Others answered: deleting the opening post would take their replies along.
        r = await client.api("DELETE", f"/api/v1/threads/{busy.id}", json={})
        assert r.status_code == 409 and "Others have replied" in r.json()["error"]["message"]
    assert (await reload(live, Group, w.group.id)).thread_count == count - 1
    async with await client_for(live, w.mod) as client:
        page = await client.get(f"/g/{w.slug}/t/{alone.id}")
        assert page.status_code == 200 and "This thread has been deleted." in page.text
        deleted = await client.get(f"/g/{w.slug}/deleted")
        assert "Posted in the wrong place" in deleted.text
        r = await client.api("POST", f"/api/v1/threads/{alone.id}/restore")
        assert r.status_code == 200 and r.json()["deleted"] is False
        assert "Posted in the wrong place" not in (await client.get(f"/g/{w.slug}/deleted")).text
    async with await client_for(live, w.member) as client:
        assert (await client.get(f"/g/{w.slug}/t/{alone.id}")).status_code == 200
    assert (await reload(live, Group, w.group.id)).thread_count == count
    assert await audit_actions(live, "thread", alone.id) == ["thread.delete", "thread.restore"]


async def test_the_live_room_never_replays_a_deleted_posts_text(live: Any) -> None:
    w = build_world(live, "public")
    gone = new_reply(live, w.member, w.thread, "Text that must vanish SECRET-LIVE")
    new_reply(live, w.member, w.thread, "Still here")
    ctx = seed(live, service.get_post_context(w.member, post_id=gone.id))
    seed(live, service.do_delete_post(ctx, clock=live.clock))
    ws = await connect(live, await session_token(live, w.outsider))
    try:
        room = f"thread:{w.thread.id}"
        await ws.send(type="subscribe", room=room, since=0)
        frames = await ws.events(room, 3)
        by_seq = {f["seq"]: f for f in frames}
        assert by_seq[gone.number]["data"]["deleted"] is True and by_seq[gone.number]["data"]["html"] == ""
        assert by_seq[3]["data"]["html"] == "<p>Still here</p>"
        assert "SECRET-LIVE" not in str(frames)
    finally:
        await ws.close()
