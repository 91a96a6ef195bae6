"""The demo network: seeded through the services into an empty database, believable, private where it
should be, and the same content every time for the same seed."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from convene.clock import FrozenClock
from convene.demo import DemoAlreadySeeded, seed_demo
from tests.conftest import Browserish, start_server

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


async def snapshot() -> dict:
    from forum.models import Group, Post, Thread
    from members.models import User

    return {
        "users": await User.all().order_by("id").values_list("email", "role", "status", "created_at"),
        "groups": await Group.all().order_by("id").values_list("slug", "visibility", "member_count"),
        "threads": await Thread.all().order_by("id").values_list("title", "post_count", "created_at"),
        "posts": await Post.all()
        .order_by("thread_id", "number")
        .values_list("thread_id", "number", "parent_id", "body", "created_at", "author__email", "id"),
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("demo"), clock=FrozenClock(NOW))
    logins = server.run(seed_demo(server.settings, clock=server.clock))
    server.extra["logins"] = logins
    server.extra["data"] = server.run(snapshot())
    try:
        yield server
    finally:
        server.stop()


def test_the_network_has_the_promised_shape(demo):
    data = demo.extra["data"]
    roles = [role for _, role, status, _ in data["users"] if status == "active"]
    assert len(roles) >= 25
    assert roles.count("admin") == 1 and roles.count("moderator") == 2 and roles.count("facilitator") == 2
    assert [s for _, _, s, _ in data["users"]].count("pending") == 1
    assert {(slug, vis) for slug, vis, _ in data["groups"]} == {
        ("pre-departure-orientation", "public"),
        ("reception-and-integration", "public"),
        ("community-sponsorship", "members"),
        ("complementary-pathways", "members"),
        ("refugee-led-organisations", "private"),
        ("network-coordinators", "private"),
    }
    assert len(data["threads"]) >= 30
    for title, post_count, _ in data["threads"]:
        assert 3 <= post_count <= 13, title  # an opening post and 2 to 12 replies


def test_history_spans_six_weeks_and_nothing_is_in_the_future(demo):
    times = [row[4] for row in demo.extra["data"]["posts"]]
    assert max(times) < NOW
    assert NOW - min(times) <= timedelta(days=43)
    assert NOW - min(times) >= timedelta(days=35)
    assert NOW - max(times) <= timedelta(days=4)
    users = [row[3] for row in demo.extra["data"]["users"]]
    assert max(users) < NOW and min(users) > NOW - timedelta(days=50)


def test_replies_come_after_what_they_answer_and_quote_it(demo):
    posts = demo.extra["data"]["posts"]
    by_id = {row[6]: row for row in posts}
    quotes = [row for row in posts if row[2] is not None]
    assert len(quotes) >= 20
    for thread_id, number, parent_id, body, created_at, _, _ in quotes:
        parent = by_id[parent_id]
        assert parent[0] == thread_id and parent[1] < number
        assert parent[4] < created_at
        assert " wrote:\n> " in body


def test_logins_are_random_and_saved_for_the_owner_only(demo):
    logins = demo.extra["logins"]
    assert len(logins.password) >= 16
    assert logins.password not in Path(__file__).read_text()
    text = logins.path.read_text()
    assert "admin@demo.convene.local" in text and logins.password in text
    assert stat.S_IMODE(logins.path.stat().st_mode) == 0o600
    assert logins.path.parent == demo.settings.data_dir


def test_seeding_twice_is_refused(demo):
    with pytest.raises(DemoAlreadySeeded):
        demo.run(seed_demo(demo.settings, clock=demo.clock))


async def test_private_groups_stay_private(demo):
    password = demo.extra["logins"].password
    async with httpx.AsyncClient(base_url=demo.url) as anonymous:
        listed = {g["slug"] for g in (await anonymous.get("/api/v1/groups")).json()}
        hidden = await anonymous.get("/g/refugee-led-organisations")
    assert listed == {"pre-departure-orientation", "reception-and-integration"}
    assert hidden.status_code == 404

    async with Browserish(demo.url) as member:
        await member.post_form("/login", {"email": "member@demo.convene.local", "password": password})
        threads = await member.get("/api/v1/groups/refugee-led-organisations/threads")
        open_to_members = await member.get("/g/community-sponsorship")
    assert threads.status_code == 403
    assert open_to_members.status_code == 200
    assert "The first 72 hours: checklist" in open_to_members.text

    async with Browserish(demo.url) as admin:
        await admin.post_form("/login", {"email": "admin@demo.convene.local", "password": password})
        private = await admin.get("/g/network-coordinators")
    assert private.status_code == 200
    assert "Agenda for the quarterly call" in private.text


def test_the_same_seed_gives_the_same_network(demo, tmp_path):
    other = start_server(tmp_path, clock=FrozenClock(NOW))
    try:
        logins = other.run(seed_demo(other.settings, clock=other.clock))
        again = other.run(snapshot())
    finally:
        other.stop()
    first = demo.extra["data"]
    assert again["threads"] == first["threads"]
    assert again["posts"] == first["posts"]
    assert logins.password != demo.extra["logins"].password  # only the password is new
