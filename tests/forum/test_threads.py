"""Threads and replies: forms and API, quoting, flat and threaded views, pagination, counters,
Markdown rendering and sanitising, validation messages, and post numbers under concurrency."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from forum import service
from forum.models import Group, Post, Thread
from forum.threads import MAX_DEPTH
from tests.forum.conftest import aseed, client_for, new_group, new_reply, new_thread, new_user, reload, seed


def anchors(html: str) -> list[int]:
    """Post numbers in the order the page shows them."""
    return [int(n) for n in re.findall(r'<article class="post[^"]*" id="p(\d+)"', html)]


def member_world(live: Any, visibility: str = "public") -> tuple[Any, Any, Group]:
    owner, member = new_user(live, "facilitator"), new_user(live)
    group = new_group(live, owner, visibility)
    seed(live, service.do_add_member(owner, group, member, clock=live.clock))
    return owner, member, group


async def test_start_a_thread_with_the_form_then_reply(live: Any) -> None:
    owner, member, group = member_world(live)
    async with await client_for(live, member) as client:
        form = await client.get(f"/g/{group.slug}/new")
        assert form.status_code == 200 and 'name="title"' in form.text and 'for="f-body"' in form.text
        r = await client.post_form(
            f"/g/{group.slug}/new", {"title": "  Where  to find\nhousing?  ", "body": "We need **help**."}
        )
        assert r.status_code == 303
        thread_url = r.headers["location"]
        assert re.fullmatch(rf"/g/{group.slug}/t/\d+", thread_url)
        page = await client.get(thread_url)
        assert "<h1>Where to find housing?</h1>" in page.text
        assert "<strong>help</strong>" in page.text and 'id="p1"' in page.text
        assert member.name in page.text

        live.clock.advance(minutes=5)
        r = await client.post_form(thread_url + "/reply", {"body": "Try the *city office*."})
        assert r.status_code == 303 and r.headers["location"] == thread_url + "#p2"
        page = await client.get(thread_url)
        assert anchors(page.text) == [1, 2] and "<em>city office</em>" in page.text

    thread_id = int(thread_url.rsplit("/", 1)[1])
    thread = await reload(live, Thread, thread_id)
    fresh = await reload(live, Group, group.id)
    assert thread.post_count == 2 and fresh.thread_count == 1
    assert thread.last_post_at == fresh.last_activity_at == live.clock.now()


async def test_counters_and_group_page_order_by_last_activity(live: Any) -> None:
    owner, member, group = member_world(live)
    older = new_thread(live, owner, group, title="Older thread")
    live.clock.advance(minutes=1)
    newer = new_thread(live, owner, group, title="Newer thread")
    async with await client_for(live, member) as client:
        page = await client.get(f"/g/{group.slug}")
        assert page.text.index("Newer thread") < page.text.index("Older thread")
        assert "2 threads" in page.text
        live.clock.advance(minutes=1)
        r = await client.api("POST", f"/api/v1/threads/{older.id}/posts", json={"body": "Bump"})
        assert r.status_code == 201 and r.json()["number"] == 2
        page = await client.get(f"/g/{group.slug}")
        assert page.text.index("Older thread") < page.text.index("Newer thread")
        assert "1 reply" in page.text and "0 replies" in page.text
        listing = (await client.api("GET", f"/api/v1/groups/{group.slug}/threads")).json()
        assert [(t["id"], t["post_count"]) for t in listing["threads"]] == [(older.id, 2), (newer.id, 1)]
        info = (await client.api("GET", f"/api/v1/groups/{group.slug}")).json()
        assert info["thread_count"] == 2 and info["member_count"] == 2


async def test_quote_reply_prefills_the_quote_and_sets_the_parent(live: Any) -> None:
    owner, member, group = member_world(live)
    thread = new_thread(live, owner, group, title="Quoting", body="First line\n\nSecond <line>")
    opening = await aseed(live, lambda: Post.get(thread_id=thread.id, number=1))
    base = f"/g/{group.slug}/t/{thread.id}"
    async with await client_for(live, member) as client:
        page = await client.get(base)
        assert f'href="{base}/reply?to={opening.id}"' in page.text  # Quote
        assert f'href="{base}/reply?to={opening.id}&amp;quote=0"' in page.text  # Reply
        form = await client.get(f"{base}/reply?to={opening.id}")
        assert form.status_code == 200
        textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", form.text, re.S).group(1)
        assert textarea == f"@{owner.username} wrote:\n&gt; First line\n&gt;\n&gt; Second &lt;line&gt;\n\n"
        assert f'name="parent_id" value="{opening.id}"' in form.text
        plain = await client.get(f"{base}/reply?to={opening.id}&quote=0")
        assert re.search(r"<textarea[^>]*></textarea>", plain.text)
        assert f'name="parent_id" value="{opening.id}"' in plain.text

        quote = f"@{owner.username} wrote:\n> First line\n\nI agree."
        r = await client.post_form(f"{base}/reply", {"body": quote, "parent_id": str(opening.id)})
        assert r.status_code == 303
        live.clock.advance(seconds=1)
        second = await aseed(live, lambda: Post.get(thread_id=thread.id, number=2))
        r = await client.post_form(f"{base}/reply", {"body": "Answering #2", "parent_id": str(second.id)})
        data = (await client.api("GET", f"/api/v1/threads/{thread.id}")).json()
        posts = {p["number"]: p for p in data["posts"]}
        assert posts[2]["parent_id"] == opening.id and posts[2]["parent_number"] == 1
        assert "<blockquote>" in posts[2]["body_html"]
        assert posts[3]["parent_number"] == 2
        page = await client.get(base)
        assert 'in reply to <a href="#p2">#2' in page.text

        # A post from another thread cannot be a parent.
        other = new_thread(live, owner, group)
        other_post = await aseed(live, lambda: Post.get(thread_id=other.id, number=1))
        r = await client.api(
            "POST", f"/api/v1/threads/{thread.id}/posts", json={"body": "x", "parent_id": other_post.id}
        )
        assert r.status_code == 422
        assert (
            r.json()["error"]["fields"]["parent_id"] == "The post you are replying to is not in this thread."
        )
        assert (await client.get(f"{base}/reply?to={other_post.id}")).status_code == 404


async def test_threaded_and_flat_views_order_posts_differently(live: Any) -> None:
    owner, member, group = member_world(live)
    thread = new_thread(live, owner, group, title="Order")
    op = await aseed(live, lambda: Post.get(thread_id=thread.id, number=1))
    a = new_reply(live, member, thread, "A", parent=op)  # 2: answers the opening post
    b = new_reply(live, owner, thread, "B")  # 3: to the thread
    a1 = new_reply(live, owner, thread, "A1", parent=a)  # 4
    new_reply(live, member, thread, "B1", parent=b)  # 5
    new_reply(live, member, thread, "A1a", parent=a1)  # 6
    base = f"/g/{group.slug}/t/{thread.id}"
    async with await client_for(live, member) as client:
        flat = await client.get(base)
        assert anchors(flat.text) == [1, 2, 3, 4, 5, 6]
        assert f'<a href="{base}" aria-current="page">' in flat.text
        threaded = await client.get(base + "?view=threaded")
        assert anchors(threaded.text) == [1, 2, 4, 6, 3, 5]
        assert f'<a href="{base}?view=threaded" aria-current="page">' in threaded.text
        # Nesting: #4 sits inside #2's replies, #6 inside #4's; #3 is back at the top level.
        html = threaded.text
        assert html.index('id="p2"') < html.index('class="replies"') < html.index('id="p4"')
        assert html.count('<div class="replies">') == 3
        api = (await client.api("GET", f"/api/v1/threads/{thread.id}?view=threaded")).json()
        assert [(p["number"], p["depth"]) for p in api["posts"]] == [
            (1, 0),
            (2, 0),
            (4, 1),
            (6, 2),
            (3, 0),
            (5, 1),
        ]
        flat_api = (await client.api("GET", f"/api/v1/threads/{thread.id}")).json()
        assert [p["number"] for p in flat_api["posts"]] == [1, 2, 3, 4, 5, 6] and flat_api["view"] == "flat"


async def test_deep_threads_are_capped_in_depth(live: Any) -> None:
    owner, member, group = member_world(live)
    thread = new_thread(live, owner, group)
    parent = None
    for i in range(10):
        parent = new_reply(live, member if i % 2 else owner, thread, f"Level {i}", parent=parent)
    async with await client_for(live, member) as client:
        page = await client.get(f"/g/{group.slug}/t/{thread.id}?view=threaded")
        assert anchors(page.text) == list(range(1, 12))
        # Levels 0..5 each hold the next; from level 6 on, replies line up as siblings.
        assert page.text.count('<div class="replies">') == MAX_DEPTH


async def test_long_threads_are_paginated_and_permalinks_find_the_page(live: Any) -> None:
    owner, member, group = member_world(live)
    thread = new_thread(live, owner, group, title="Long")

    async def many() -> None:
        for i in range(2, 121):
            await service.do_reply(owner, thread, body=f"Reply {i}", clock=live.clock)

    await aseed(live, many())
    base = f"/g/{group.slug}/t/{thread.id}"
    async with await client_for(live, member) as client:
        first = await client.get(base)
        assert anchors(first.text) == list(range(1, 51))
        assert "Page 1 of 3" in first.text and f'href="{base}?page=2"' in first.text
        third = await client.get(base + "?page=3")
        assert anchors(third.text) == list(range(101, 121))
        assert f'href="{base}?page=2"' in third.text and "?page=4" not in third.text
        # Out-of-range pages show the nearest page rather than nothing.
        assert anchors((await client.get(base + "?page=99")).text) == list(range(101, 121))
        r = await client.get(base + "/p/75")
        assert r.status_code == 303 and r.headers["location"] == base + "?page=2#p75"
        r = await client.get(base + "/p/75?view=threaded")
        assert r.headers["location"] == base + "?view=threaded&page=2#p75"
        assert (await client.get(base + "/p/500")).status_code == 404
        threaded = await client.get(base + "?view=threaded&page=3")
        assert anchors(threaded.text) == list(range(101, 121))
        assert f'href="{base}?view=threaded&amp;page=2"' in threaded.text
        api = (await client.api("GET", f"/api/v1/threads/{thread.id}?page=2")).json()
        assert [p["number"] for p in api["posts"]] == list(range(51, 101))
        assert (api["page"], api["pages"], api["per_page"], api["total"]) == (2, 3, 50, 120)
        # Replying on a long thread takes you to the last page, at your post.
        r = await client.post_form(base + "/reply", {"body": "The 121st"})
        assert r.headers["location"] == base + "?page=3#p121"


async def test_group_thread_list_is_paginated(live: Any) -> None:
    owner, member, group = member_world(live)

    async def many() -> None:
        for i in range(32):
            live.clock.advance(seconds=1)
            await service.do_create_thread(
                owner, group, title=f"Topic number {i:02}", body="x", clock=live.clock
            )

    await aseed(live, many())
    async with await client_for(live, member) as client:
        first = await client.get(f"/g/{group.slug}")
        assert "Topic number 31" in first.text and "Topic number 01" not in first.text
        second = await client.get(f"/g/{group.slug}?page=2")
        assert "Topic number 01" in second.text and "Topic number 00" in second.text
        assert "Topic number 31" not in second.text
        api = (await client.api("GET", f"/api/v1/groups/{group.slug}/threads?page=2")).json()
        assert [t["title"] for t in api["threads"]] == ["Topic number 01", "Topic number 00"]
        assert (api["pages"], api["total"]) == (2, 32)


async def test_markdown_is_rendered_and_sanitised(live: Any) -> None:
    owner, member, group = member_world(live)
    body = (
        "# Heading\n\n<script>alert('x')</script>\n\n"
        "[click](javascript:alert(1)) and <img src=x onerror=alert(2)> and https://example.org"
    )
    async with await client_for(live, member) as client:
        r = await client.api(
            "POST",
            f"/api/v1/groups/{group.slug}/threads",
            json={"title": "<script>alert(3)</script>", "body": body},
        )
        assert r.status_code == 201
        thread_id = r.json()["id"]
        await client.api(
            "POST", f"/api/v1/threads/{thread_id}/posts", json={"body": "<script>evil()</script> **ok**"}
        )
        for url in (
            f"/g/{group.slug}/t/{thread_id}",
            f"/g/{group.slug}/t/{thread_id}?view=threaded",
            f"/g/{group.slug}",
            "/",
        ):
            page = await client.get(url)
            assert "<script>" not in page.text and "onerror" not in page.text.replace(
                "onerror=alert(2)&gt;", ""
            )
            assert "javascript:" not in page.text.replace("[click](javascript:alert(1))", "")
        page = await client.get(f"/g/{group.slug}/t/{thread_id}")
        assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page.text  # the title is plain text
        assert "<h1>Heading</h1>" in page.text and "<strong>ok</strong>" in page.text
        assert '<a href="https://example.org" rel="nofollow noopener noreferrer ugc">' in page.text
        data = (await client.api("GET", f"/api/v1/threads/{thread_id}")).json()
        assert "<script>" not in data["posts"][0]["body_html"] and data["posts"][0]["body"] == body
    # Stored once at write time: the row holds the sanitised HTML.
    stored = await aseed(live, lambda: Post.get(thread_id=thread_id, number=2))
    assert stored.body_html == "<p>&lt;script&gt;evil()&lt;/script&gt; <strong>ok</strong></p>"


async def test_validation_errors_in_json_and_on_the_forms(live: Any) -> None:
    owner, member, group = member_world(live)
    thread = new_thread(live, owner, group)
    async with await client_for(live, member) as client:
        r = await client.api(
            "POST", f"/api/v1/groups/{group.slug}/threads", json={"title": "ab", "body": "  "}
        )
        assert r.status_code == 422
        fields = r.json()["error"]["fields"]
        assert fields == {
            "title": "Give the thread a title of at least 3 characters.",
            "body": "Please write something before posting.",
        }
        r = await client.api(
            "POST", f"/api/v1/groups/{group.slug}/threads", json={"title": "x" * 201, "body": "ok"}
        )
        assert r.json()["error"]["fields"]["title"] == "Keep the title to 200 characters or fewer."
        r = await client.api("POST", f"/api/v1/threads/{thread.id}/posts", json={})
        assert r.status_code == 422 and r.json()["error"]["fields"] == {
            "body": "Please write something before posting."
        }

        form = await client.post_form(f"/g/{group.slug}/new", {"title": "ab", "body": "Keep this text"})
        assert form.status_code == 422
        assert "Please fix the following:" in form.text
        assert "Give the thread a title of at least 3 characters." in form.text
        assert 'value="ab"' in form.text and ">Keep this text</textarea>" in form.text

        form = await client.post_form(f"/g/{group.slug}/t/{thread.id}/reply", {"body": "   "})
        assert form.status_code == 422 and "Please write something before posting." in form.text
        assert 'id="f-body"' in form.text and 'aria-invalid="true"' in form.text
    assert (await reload(live, Thread, thread.id)).post_count == 1


async def test_concurrent_replies_get_consecutive_numbers(live: Any) -> None:
    owner, member, group = member_world(live)
    thread = new_thread(live, owner, group)
    clients = [await client_for(live, member) for _ in range(4)]
    try:
        responses = await asyncio.gather(
            *(
                clients[i % 4].api(
                    "POST", f"/api/v1/threads/{thread.id}/posts", json={"body": f"Parallel {i}"}
                )
                for i in range(24)
            )
        )
    finally:
        for c in clients:
            await c.http.aclose()
    assert all(r.status_code == 201 for r in responses)
    assert sorted(r.json()["number"] for r in responses) == list(range(2, 26))
    assert (await reload(live, Thread, thread.id)).post_count == 25


async def test_thread_under_another_groups_address_is_not_found(live: Any) -> None:
    owner, member, group = member_world(live)
    other = new_group(live, owner, "public")
    thread = new_thread(live, owner, group)
    async with await client_for(live, member) as client:
        assert (await client.get(f"/g/{other.slug}/t/{thread.id}")).status_code == 404
        assert (await client.get(f"/g/{group.slug}/t/999999")).status_code == 404
        assert (await client.api("GET", "/api/v1/threads/999999")).status_code == 404
        assert (await client.get("/g/no-such-group")).status_code == 404


async def test_non_member_sees_how_to_take_part(live: Any) -> None:
    owner, _, group = member_world(live)
    thread = new_thread(live, owner, group)
    outsider = new_user(live)
    async with await client_for(live, outsider) as client:
        page = await client.get(f"/g/{group.slug}/t/{thread.id}")
        assert (
            "Only members of this group can reply." in page.text
            and f'action="/g/{group.slug}/join"' in page.text
        )
        assert (await client.get(f"/g/{group.slug}/new")).status_code == 403
    async with await client_for(live, None) as anon:
        page = await anon.get(f"/g/{group.slug}/t/{thread.id}")
        assert "Sign in to reply" in page.text
        r = await anon.get(f"/g/{group.slug}/t/{thread.id}/reply")
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
