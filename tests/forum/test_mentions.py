"""Mentions and notifications: @username links, who gets notified (never someone who cannot read
the group), replies notify the author answered, edits notify once, the notifications page and
API, the count in the header, and private content never reaching someone who cannot read it."""

from __future__ import annotations

import re
from typing import Any

from forum import service
from forum.mentions import link_mentions
from forum.models import Notification, Post
from tests.forum.conftest import (
    aseed,
    build_world,
    client_for,
    new_group,
    new_reply,
    new_thread,
    new_user,
    seed,
)


async def notified(live: Any, post_id: int) -> dict[int, str]:
    rows = await aseed(live, lambda: Notification.filter(post_id=post_id).values_list("user_id", "kind"))
    return {uid: str(kind) for uid, kind in rows}


def header_count(html: str) -> str:
    match = re.search(r'<a href="/notifications"[^>]*>([^<]*)</a>', html)
    assert match, "no notifications link in the header"
    return match.group(1)


async def test_a_mention_links_to_the_profile_and_notifies(live: Any) -> None:
    w = build_world(live, "public")
    reader = new_user(live, name="Amina Reader")
    async with await client_for(live, w.member) as client:
        r = await client.api(
            "POST",
            f"/api/v1/threads/{w.thread.id}/posts",
            json={"body": f"Could @{reader.username.upper()} help? Mail me at x@{reader.username}.org"},
        )
        assert r.status_code == 201
        html = r.json()["body_html"]
        assert f'<a class="mention" href="/u/{reader.username}">@{reader.username.upper()}</a>' in html
        assert f"x@{reader.username}.org" in html  # an email address is not a mention
        post_id = r.json()["id"]
    assert await notified(live, post_id) == {reader.id: "mention"}

    async with await client_for(live, reader) as client:
        home = await client.get("/")
        assert header_count(home.text) == "Notifications (1)"
        page = await client.get("/notifications")
        assert page.status_code == 200
        assert f"{w.member.name} mentioned you in “{w.thread.title}”" in page.text
        assert "Could @" in page.text  # the excerpt
        listing = (await client.api("GET", "/api/v1/notifications")).json()
        assert listing["unread_count"] == 1
        note = listing["notifications"][0]
        assert note["kind"] == "mention" and note["read"] is False and note["actor"]["id"] == w.member.id
        assert note["url"] == f"/g/{w.slug}/t/{w.thread.id}/p/2" and note["group"]["slug"] == w.slug
        # Following it marks it read and goes to the post.
        r = await client.get(f"/notifications/{note['id']}")
        assert r.status_code == 303 and r.headers["location"] == note["url"]
        assert header_count((await client.get("/")).text) == "Notifications"
        assert (await client.api("GET", "/api/v1/notifications?unread=1")).json()["notifications"] == []
        assert (await client.api("GET", "/api/v1/notifications")).json()["notifications"][0]["read"] is True
    async with await client_for(live, w.outsider) as client:
        # Someone else's notification does not exist for you.
        assert (await client.get(f"/notifications/{note['id']}")).status_code == 404


async def test_mentions_in_code_links_and_unknown_names_change_nothing(live: Any) -> None:
    w = build_world(live, "public")
    target = new_user(live)
    body = (
        f"`@{target.username}` and [@{target.username}](https://example.org)\n\n"
        f"    @{target.username} in a code block\n\n"
        f"@nobody{target.username} and <b>@{target.username}</b>"
    )
    post = new_reply(live, w.member, w.thread, body)
    html = (await aseed(live, lambda: Post.get(id=post.id))).body_html
    assert html.count('class="mention"') == 1  # only the one in plain text (raw HTML is shown as text)
    assert f"<code>@{target.username}</code>" in html
    assert f"@nobody{target.username}" in html and "/u/nobody" not in html
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert await notified(live, post.id) == {target.id: "mention"}


def test_linking_escapes_and_keeps_the_sanitised_markup() -> None:
    html = '<p>Hi @ann &amp; &lt;script&gt;@ann&lt;/script&gt; <img src="/x.png" alt="a&gt;@ann"></p>'
    out = link_mentions(html, {"ann": 7})
    assert out == (
        '<p>Hi <a class="mention" href="/u/ann">@ann</a> &amp; &lt;script&gt;'
        '<a class="mention" href="/u/ann">@ann</a>&lt;/script&gt; <img src="/x.png" alt="a&gt;@ann"></p>'
    )


async def test_mentioning_someone_who_cannot_read_the_group_notifies_no_one(live: Any) -> None:
    w = build_world(live, "private")
    outsider, stranger = w.outsider, new_user(live)
    async with await client_for(live, w.member) as client:
        r = await client.api(
            "POST",
            f"/api/v1/threads/{w.thread.id}/posts",
            json={"body": f"Ask @{outsider.username} about the secret plan"},
        )
        assert r.status_code == 201
    assert await notified(live, r.json()["id"]) == {}
    async with await client_for(live, outsider) as client:
        assert (await client.api("GET", "/api/v1/notifications")).json()["notifications"] == []
        assert "secret plan" not in (await client.get("/notifications")).text
    # In the same post, the group's moderator (a reader) is notified; a non-member is not.
    post = new_reply(live, w.member, w.thread, f"@{w.mod.username} and @{stranger.username}")
    assert await notified(live, post.id) == {w.mod.id: "mention"}


async def test_replies_notify_the_author_answered_but_never_yourself(live: Any) -> None:
    w = build_world(live, "public")
    answer = new_reply(live, w.mod, w.thread, "An answer", parent=w.opening)
    assert await notified(live, answer.id) == {w.member.id: "reply"}
    own = new_reply(live, w.member, w.thread, f"Replying to myself @{w.member.username}", parent=w.opening)
    assert await notified(live, own.id) == {}
    both = new_reply(live, w.member, w.thread, f"Thanks @{w.mod.username}!", parent=answer)
    assert await notified(live, both.id) == {w.mod.id: "mention"}  # one notification, not two
    # A reply to the thread itself (no post in particular) answers the thread's author.
    async with await client_for(live, w.mod) as client:
        r = await client.post_form(f"/g/{w.slug}/t/{w.thread.id}/reply", {"body": "To everyone"})
        assert r.status_code == 303
    last = await aseed(live, lambda: Post.filter(thread_id=w.thread.id).order_by("-number").first())
    assert await notified(live, last.id) == {w.member.id: "reply"}
    async with await client_for(live, w.member) as client:
        page = await client.get("/notifications")
        assert f"{w.mod.name} replied to you in “{w.thread.title}”" in page.text


async def test_an_edit_that_adds_a_mention_notifies_once(live: Any) -> None:
    w = build_world(live, "public")
    friend = new_user(live)
    post = new_reply(live, w.member, w.thread, "No mention yet")
    assert await notified(live, post.id) == {}
    async with await client_for(live, w.member) as client:
        for text in (
            f"Now with @{friend.username}",
            f"Still @{friend.username}, reworded",
            "Mention removed",
        ):
            r = await client.api("PATCH", f"/api/v1/posts/{post.id}", json={"body": text})
            assert r.status_code == 200
            assert await notified(live, post.id) == {friend.id: "mention"}
        r = await client.api(
            "PATCH", f"/api/v1/posts/{post.id}", json={"body": f"Back again @{friend.username}"}
        )
    assert await aseed(live, lambda: Notification.filter(post_id=post.id).count()) == 1


async def test_notifications_disappear_when_their_content_is_out_of_reach(live: Any) -> None:
    w = build_world(live, "private")
    reader = new_user(live)
    seed(live, service.do_add_member(w.mod, w.group, reader, clock=live.clock))
    kept = new_reply(live, w.member, w.thread, f"Private note for @{reader.username}: PRIVATE-A")
    gone = new_reply(live, w.member, w.thread, f"@{reader.username} PRIVATE-B")
    ctx = seed(live, service.get_post_context(w.member, post_id=gone.id))
    seed(live, service.do_delete_post(ctx, clock=live.clock))
    async with await client_for(live, reader) as client:
        page = await client.get("/notifications")
        assert "PRIVATE-A" in page.text and "PRIVATE-B" not in page.text  # a deleted post is not listed
        assert header_count(page.text) == "Notifications (1)"
    seed(live, service.do_remove_member(w.mod, w.group, reader.id, clock=live.clock))
    async with await client_for(live, reader) as client:
        page = await client.get("/notifications")
        assert "PRIVATE-A" not in page.text and w.thread.title not in page.text
        assert header_count(page.text) == "Notifications"
        listing = (await client.api("GET", "/api/v1/notifications")).json()
        assert listing == {"notifications": [], "unread_count": 0, "page": 1, "pages": 1, "total": 0}
        assert (await client.get(f"/notifications/{(await first_id(live, kept.id))}")).status_code == 404


async def first_id(live: Any, post_id: int) -> int:
    return (await aseed(live, lambda: Notification.get(post_id=post_id))).id


async def test_marking_notifications_read(live: Any) -> None:
    w = build_world(live, "public")
    person = new_user(live)
    group2 = new_group(live, w.mod, "public")
    other_thread = new_thread(live, w.mod, group2, body=f"hi @{person.username}")
    posts = [new_reply(live, w.member, w.thread, f"{n} @{person.username}") for n in range(3)]
    async with await client_for(live, person) as client:
        assert (await client.api("GET", "/api/v1/notifications")).json()["unread_count"] == 4
        one = await first_id(live, posts[0].id)
        r = await client.api("POST", "/api/v1/notifications/read", json={"ids": [one]})
        assert r.status_code == 200 and r.json() == {"marked": 1, "unread_count": 3}
        page = await client.get("/notifications")
        assert page.text.count('class="notification unread"') == 3
        # Unread ones come first.
        assert page.text.index("Unread") < page.text.index(f"/notifications/{one}")
        r = await client.post_form(
            "/notifications/read", {"ids": str(await first_id(live, posts[1].id)), "next": "/notifications"}
        )
        assert r.status_code == 303 and r.headers["location"] == "/notifications?done=notifications_read"
        r = await client.post_form("/notifications/read", {"next": "https://evil.example/"})
        assert r.status_code == 303 and r.headers["location"] == "/notifications?done=notifications_read"
        assert (await client.api("GET", "/api/v1/notifications")).json()["unread_count"] == 0
        r = await client.api("POST", "/api/v1/notifications/read", json={"ids": "x"})
        assert r.status_code == 422
    assert await notified(
        live, (await aseed(live, lambda: Post.get(thread_id=other_thread.id, number=1))).id
    ) == {person.id: "mention"}
    async with await client_for(live, None) as anon:
        assert (await anon.get("/notifications")).status_code == 303  # to the sign-in page
        assert (await anon.api("GET", "/api/v1/notifications")).status_code == 401
        assert (await anon.api("POST", "/api/v1/notifications/read", json={})).status_code == 401
        assert "Notifications" not in (await anon.get("/")).text
