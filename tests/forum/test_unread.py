"""Unread: per-thread counts and "jump to the first new post" on the group page, the marker on the
thread page, per-group counts on /groups and home, marking one group or everything read (pages
and API), and the group page's queries staying constant whatever the number of threads."""

from __future__ import annotations

import re
from typing import Any

from forum import service
from forum.models import ThreadRead
from tests.conftest import unique
from tests.forum.conftest import aseed, client_for, new_group, new_reply, new_thread, new_user, seed
from tests.forum.test_pages import sql_log  # noqa: F401  (the fixture)


def unread_link(html: str, thread_id: int) -> tuple[str, str] | None:
    """(link target, text) of a thread's "N new" link on a list of threads."""
    match = re.search(rf'<a class="unread-link" href="([^"]*/t/{thread_id}/p/\d+)"[^>]*>([^<]*)</a>', html)
    return (match.group(1), match.group(2)) if match else None


def world(live: Any, visibility: str = "public") -> tuple[Any, Any, Any]:
    """A group with a writer (its moderator) and a reader who joined before anything was said."""
    writer, reader = new_user(live, "facilitator"), new_user(live)
    # "Aaa": first in the alphabetical /groups directory, whatever other tests created.
    group = new_group(live, writer, visibility, name=f"Aaa unread {unique('')}")
    seed(live, service.do_add_member(writer, group, reader, clock=live.clock))
    live.clock.advance(seconds=1)  # everything below happens after the reader's account exists
    return writer, reader, group


async def test_unread_posts_per_thread_and_the_first_new_post(live: Any) -> None:
    writer, reader, group = world(live)
    thread = new_thread(live, writer, group, title="Where to register?")
    async with await client_for(live, reader) as client:
        page = await client.get(f"/g/{group.slug}")
        assert unread_link(page.text, thread.id) == (f"/g/{group.slug}/t/{thread.id}/p/1", "1 new")
        assert 'class="badge new"' in page.text  # never opened
        view = await client.get(f"/g/{group.slug}/t/{thread.id}")
        assert 'id="new"' in view.text and "New since your last visit" in view.text
        page = await client.get(f"/g/{group.slug}")
        assert unread_link(page.text, thread.id) is None and 'class="badge new"' not in page.text

        live.clock.advance(minutes=1)
        for n in range(3):
            new_reply(live, writer, thread, f"Update {n}")
        page = await client.get(f"/g/{group.slug}")
        assert unread_link(page.text, thread.id) == (f"/g/{group.slug}/t/{thread.id}/p/2", "3 new")
        listing = (await client.api("GET", f"/api/v1/groups/{group.slug}/threads")).json()["threads"]
        assert listing[0]["unread"] == 3 and listing[0]["first_unread_url"].endswith(f"/t/{thread.id}/p/2")
        r = await client.get(f"/g/{group.slug}/t/{thread.id}/p/2")  # the permalink finds the page
        assert r.status_code == 303 and r.headers["location"] == f"/g/{group.slug}/t/{thread.id}#p2"
        view = await client.get(f"/g/{group.slug}/t/{thread.id}")
        assert view.text.index('id="new"') < view.text.index('id="p2"')
        assert view.text.index('id="p1"') < view.text.index('id="new"')
        assert unread_link((await client.get(f"/g/{group.slug}")).text, thread.id) is None
    mark = await aseed(live, lambda: ThreadRead.get(user_id=reader.id, thread_id=thread.id))
    assert mark.last_read_number == 4
    async with await client_for(live, None) as anon:
        page = await anon.get(f"/g/{group.slug}")
        assert unread_link(page.text, thread.id) is None and "Mark all as read" not in page.text


async def test_reading_one_page_leaves_the_rest_unread(live: Any) -> None:
    writer, reader, group = world(live)
    thread = new_thread(live, writer, group, title="A long one")
    for n in range(service.POSTS_PER_PAGE + 4):
        new_reply(live, writer, thread, f"Post {n}")
    async with await client_for(live, reader) as client:
        await client.get(f"/g/{group.slug}/t/{thread.id}")  # page 1 of 2
        page = await client.get(f"/g/{group.slug}")
        first = service.POSTS_PER_PAGE + 1
        assert unread_link(page.text, thread.id) == (f"/g/{group.slug}/t/{thread.id}/p/{first}", "5 new")
        view = await client.get(f"/g/{group.slug}/t/{thread.id}?page=2")
        assert view.text.index('id="new"') < view.text.index(f'id="p{first}"')
        assert unread_link((await client.get(f"/g/{group.slug}")).text, thread.id) is None


async def test_group_counts_and_marking_read(live: Any) -> None:
    writer, reader, group = world(live)
    one, two = new_thread(live, writer, group), new_thread(live, writer, group)
    async with await client_for(live, reader) as client:
        groups = await client.get("/groups")
        assert "2 threads with new posts" in groups.text
        home = await client.get("/")
        assert "2 threads with new posts" in home.text
        api = (await client.api("GET", f"/api/v1/groups/{group.slug}/unread")).json()
        assert api["threads_with_unread"] == 2 and {t["id"] for t in api["threads"]} == {one.id, two.id}
        assert all(t["new_thread"] and t["unread"] == 1 for t in api["threads"])

        r = await client.post_form(f"/g/{group.slug}/read", {})
        assert r.status_code == 303 and r.headers["location"] == f"/g/{group.slug}?done=read"
        assert "Everything in this group is marked as read." in (await client.get(r.headers["location"])).text
        assert "threads with new posts" not in (await client.get("/groups")).text
        assert (await client.api("GET", f"/api/v1/groups/{group.slug}/unread")).json()["threads"] == []

        live.clock.advance(minutes=1)
        new_reply(live, writer, one, "Something new")
        assert "1 thread with new posts" in (await client.get("/groups")).text
        page = await client.get(f"/g/{group.slug}")
        assert unread_link(page.text, one.id) == (f"/g/{group.slug}/t/{one.id}/p/2", "1 new")

        # Everything, everywhere: the floor moves; what comes after is counted exactly.
        r = await client.post_form("/read", {"next": "/groups"})
        assert r.status_code == 303 and r.headers["location"] == "/groups?done=all_read"
        assert "threads with new posts" not in (await client.get("/groups")).text
        live.clock.advance(minutes=1)
        new_reply(live, writer, two, "Late news")  # a thread this member never opened
        page = await client.get(f"/g/{group.slug}")
        assert unread_link(page.text, two.id) == (f"/g/{group.slug}/t/{two.id}/p/2", "1 new")
        assert unread_link(page.text, one.id) is None

        r = await client.api("POST", f"/api/v1/groups/{group.slug}/read")
        assert r.status_code == 200 and r.json()["threads_marked"] == 1
        r = await client.api("POST", "/api/v1/read")
        assert r.status_code == 200 and r.json()["marked_at"]
    async with await client_for(live, None) as anon:
        assert (await anon.api("GET", f"/api/v1/groups/{group.slug}/unread")).status_code == 401
        assert (await anon.api("POST", f"/api/v1/groups/{group.slug}/read")).status_code == 401
        assert (await anon.api("POST", "/api/v1/read")).status_code == 401
        assert (await anon.post_form("/read", {})).status_code == 401


async def test_unread_of_a_private_group_is_for_its_members(live: Any) -> None:
    writer, reader, group = world(live, "private")
    outsider = new_user(live)
    new_thread(live, writer, group)
    async with await client_for(live, outsider) as client:
        assert (await client.api("GET", f"/api/v1/groups/{group.slug}/unread")).status_code == 403
        assert (await client.api("POST", f"/api/v1/groups/{group.slug}/read")).status_code == 403
        assert "thread with new posts" not in (await client.get("/groups")).text
    async with await client_for(live, reader) as client:
        assert "1 thread with new posts" in (await client.get("/groups")).text


async def test_deleted_threads_are_not_unread(live: Any) -> None:
    writer, reader, group = world(live)
    thread = new_thread(live, writer, group)
    ctx = seed(live, service.get_post_context(writer, thread_id=thread.id, number=1))
    seed(live, service.do_delete_post(ctx, clock=live.clock))
    async with await client_for(live, reader) as client:
        assert (await client.api("GET", f"/api/v1/groups/{group.slug}/unread")).json()["threads"] == []
        assert "thread with new posts" not in (await client.get("/groups")).text


async def test_the_group_page_asks_a_constant_number_of_queries(live: Any, sql_log: list[str]) -> None:  # noqa: F811
    counts = {}
    for size in (2, 12):
        writer, reader, group = world(live)
        threads = [new_thread(live, writer, group) for _ in range(size)]
        for t in threads[: size // 2]:
            new_reply(live, writer, t, "more")
        async with await client_for(live, reader) as client:
            await client.get(f"/g/{group.slug}/t/{threads[0].id}")  # one thread read, others not
            await client.get("/healthz")
            sql_log.clear()
            page = await client.get(f"/g/{group.slug}")
            assert page.status_code == 200 and page.text.count('class="unread-link"') == size - 1
            counts[size] = len([q for q in sql_log if q.lstrip().upper().startswith("SELECT")])
    assert counts[2] == counts[12], counts
