"""The home page, the group directory, the OpenAPI document, the service functions other parts
of Convene call (demo seeding, WebSocket rooms), and the number of queries a thread page costs."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from forum import service
from forum.models import Group, GroupRole, Membership, MembershipStatus, Post, Thread, Visibility
from tests.forum.conftest import aseed, client_for, new_group, new_reply, new_thread, new_user, reload, seed


async def test_home_welcomes_visitors_and_shows_only_what_they_may_read(live: Any) -> None:
    owner = new_user(live, "facilitator")
    public = new_group(live, owner, "public", name="Open kitchen table")
    members = new_group(live, owner, "members", name="Network lounge")
    private = new_group(live, owner, "private", name="Caseworkers only")
    new_thread(live, owner, public, title="Public welcome thread")
    new_thread(live, owner, members, title="Members-only chat thread")
    new_thread(live, owner, private, title="Confidential case thread")
    async with await client_for(live, None) as anon:
        home = await anon.get("/")
        assert home.status_code == 200
        assert "Welcome to" in home.text and "Join the network" in home.text
        assert "Open kitchen table" in home.text and "Public welcome thread" in home.text
        for hidden in (
            "Network lounge",
            "Caseworkers only",
            "Members-only chat thread",
            "Confidential case thread",
        ):
            assert hidden not in home.text
    reader = new_user(live)
    async with await client_for(live, reader) as client:
        home = await client.get("/")
        assert f"Hello, {reader.name}" in home.text and "Join the network" not in home.text
        assert "Members-only chat thread" in home.text and "Public welcome thread" in home.text
        assert "Caseworkers only" in home.text  # a private group's name is listed for members
        assert "Confidential case thread" not in home.text
        await client.post_form(f"/g/{members.slug}/join")
        home = await client.get("/")
        assert "Your groups" in home.text
    async with await client_for(live, owner) as mod:
        assert "Confidential case thread" in (await mod.get("/")).text


async def test_directory_shows_badges_and_joined_markers(live: Any) -> None:
    owner, person = new_user(live, "facilitator"), new_user(live)
    joined = new_group(live, owner, "members", name="Directory joined group")
    private = new_group(live, owner, "private", name="Directory private group")
    seed(live, service.do_add_member(owner, joined, person, clock=live.clock))
    async with await client_for(live, person) as client:
        page = await client.get("/groups")
        text = page.text
        block = text[text.index("Directory joined group") :][:600]
        assert 'class="badge members"' in block and 'class="badge joined"' in block
        block = text[text.index("Directory private group") :][:600]
        assert 'class="badge private"' in block and "badge joined" not in block
        api = {g["slug"]: g for g in (await client.api("GET", "/api/v1/groups")).json()}
        assert api[joined.slug]["membership"]["status"] == "active"
        assert api[private.slug]["membership"] is None and api[private.slug]["can_read"] is False


async def test_openapi_lists_the_forum_api(live: Any) -> None:
    async with await client_for(live, None) as client:
        doc = (await client.get("/api/v1/openapi.json")).json()
    paths = doc["paths"]
    expected = {
        "/api/v1/groups": {"get", "post"},
        "/api/v1/groups/{slug}": {"get", "patch"},
        "/api/v1/groups/{slug}/join": {"post"},
        "/api/v1/groups/{slug}/leave": {"post"},
        "/api/v1/groups/{slug}/members": {"get", "post"},
        "/api/v1/groups/{slug}/members/{user_id}": {"patch", "delete"},
        "/api/v1/groups/{slug}/members/{user_id}/approve": {"post"},
        "/api/v1/groups/{slug}/threads": {"get", "post"},
        "/api/v1/threads/{thread_id}": {"get"},
        "/api/v1/threads/{thread_id}/posts": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    reply = paths["/api/v1/threads/{thread_id}/posts"]["post"]

    def schema(ref: dict[str, str]) -> dict[str, Any]:
        return doc["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]

    body = schema(reply["requestBody"]["content"]["application/json"]["schema"])
    answer = schema(reply["responses"]["201"]["content"]["application/json"]["schema"])
    assert {"body", "parent_id"} <= set(body["properties"])
    assert {"number", "parent_number", "body_html", "author"} <= set(answer["properties"])


def test_service_functions_keep_the_signatures_others_rely_on() -> None:
    # The demo seeding (ops) and the WebSocket rooms (realtime) call these by keyword.
    def params(fn: Any) -> dict[str, Any]:
        return dict(inspect.signature(fn).parameters)

    create = params(service.do_create_group)
    assert list(create)[:1] == ["actor"] and {"name", "description", "visibility", "clock", "slug"} <= set(
        create
    )
    assert create["slug"].default is None
    add = params(service.do_add_member)
    assert list(add)[:3] == ["actor", "group", "user"] and add["role"].default == GroupRole.MEMBER
    assert list(params(service.do_join_group)) == ["actor", "group", "clock"]
    assert {"title", "body", "clock"} <= set(params(service.do_create_thread))
    reply = params(service.do_reply)
    assert list(reply)[:2] == ["actor", "thread"] and reply["parent"].default is None
    for check in (service.check_can_read_group, service.check_can_post, service.check_can_moderate_group):
        assert inspect.iscoroutinefunction(check) and list(params(check)) == ["viewer", "group"]


async def test_seeding_through_the_service_keeps_every_counter(live: Any) -> None:
    owner, alice, bob = new_user(live, "moderator"), new_user(live), new_user(live)
    group = await aseed(
        live,
        service.do_create_group(
            owner, name="Seeded group", description="Seeded", visibility=Visibility.PRIVATE, clock=live.clock
        ),
    )
    added = await aseed(
        live, service.do_add_member(owner, group, alice, clock=live.clock, role=GroupRole.MODERATOR)
    )
    requested = await aseed(live, service.do_join_group(bob, group, clock=live.clock))
    assert (added.status, added.role) == (MembershipStatus.ACTIVE, GroupRole.MODERATOR)
    assert requested.status == MembershipStatus.REQUESTED
    thread = await aseed(
        live, service.do_create_thread(alice, group, title="Seeded thread", body="Hi", clock=live.clock)
    )
    first = await aseed(live, service.do_reply(owner, thread, body="One", clock=live.clock))
    second = await aseed(live, service.do_reply(alice, thread, body="Two", clock=live.clock, parent=first))
    assert (first.number, second.number, second.parent_id) == (2, 3, first.id)
    fresh = await reload(live, Group, group.id)
    assert (fresh.member_count, fresh.thread_count) == (2, 1)
    assert (await reload(live, Thread, thread.id)).post_count == 3
    rows = await aseed(live, lambda: Membership.filter(group_id=group.id).count())
    assert rows == 3


@pytest.fixture
def sql_log() -> Iterator[list[str]]:
    """Every SQL statement the server runs while the test looks (it runs in this process)."""
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    logger = logging.getLogger("tortoise.db_client")
    handler, level = Collect(level=logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_thread_page_queries_do_not_grow_with_the_posts(live: Any, sql_log: list[str]) -> None:
    owner, member = new_user(live, "facilitator"), new_user(live)
    group = new_group(live, owner, "private")
    seed(live, service.do_add_member(owner, group, member, clock=live.clock))
    small, large = new_thread(live, owner, group), new_thread(live, owner, group)
    new_reply(live, member, small, "Only reply")
    parent = None
    for i in range(45):
        parent = new_reply(
            live, member if i % 2 else owner, large, f"Reply {i}", parent=parent if i % 3 else None
        )
    async with await client_for(live, member) as client:
        counts = {}
        for name, thread in (("small", small), ("large", large)):
            for view in ("", "?view=threaded"):
                await client.get("/healthz")  # the session lookup is warm and not counted below
                sql_log.clear()
                page = await client.get(f"/g/{group.slug}/t/{thread.id}{view}")
                assert page.status_code == 200
                counts[name + view] = len([q for q in sql_log if q.lstrip().upper().startswith("SELECT")])
    # Issue 4 added a constant few: the header's notification COUNT, the moderator-warning banner,
    # and the member's read mark for the thread (forum/unread.py: its row, and the floor once).
    assert counts["small"] == counts["large"] <= 8, counts
    assert counts["small?view=threaded"] == counts["large?view=threaded"] <= 9, counts
    assert await aseed(live, lambda: Post.filter(thread_id=large.id).count()) == 46
