"""Thread tools: pin, lock, close on a date, rename, move; who may use them; the audit log."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

from forum import service
from forum.models import Group, Notification, Thread
from members.models import AuditEntry
from tests.conftest import start_server
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


async def thread_actions(live: Any, thread_id: int) -> list[str]:
    return list(
        await aseed(
            live,
            lambda: (
                AuditEntry.filter(target_type="thread", target_id=thread_id)
                .order_by("id")
                .values_list("action", flat=True)
            ),
        )
    )


def reply_form(base: str) -> str:
    return f'action="{base}/reply"'


async def test_pinned_threads_come_first_on_the_group_page(live: Any) -> None:
    w = build_world(live, "public")
    live.clock.advance(minutes=1)
    newer = new_thread(live, w.member, w.group, title="Newer thread")
    async with await client_for(live, w.mod) as client:
        page = await client.get(f"/g/{w.slug}")
        assert page.text.index("Newer thread") < page.text.index(w.thread.title)
        r = await client.post_form(f"/g/{w.slug}/t/{w.thread.id}/tools/pin", {})
        assert r.status_code == 303 and r.headers["location"].endswith("?done=pinned")
        page = await client.get(f"/g/{w.slug}")
        assert page.text.index(w.thread.title) < page.text.index("Newer thread")
        assert 'class="badge pinned"' in page.text
        listing = (await client.api("GET", f"/api/v1/groups/{w.slug}/threads")).json()["threads"]
        assert [(t["id"], t["pinned"]) for t in listing] == [(w.thread.id, True), (newer.id, False)]
        r = await client.api("POST", f"/api/v1/threads/{w.thread.id}/pin", json={})
        assert r.status_code == 409 and r.json()["error"]["message"] == "This thread is already pinned."
        r = await client.api("POST", f"/api/v1/threads/{w.thread.id}/unpin", json={"reason": "Resolved"})
        assert r.status_code == 200 and r.json()["pinned"] is False
        page = await client.get(f"/g/{w.slug}")
        assert page.text.index("Newer thread") < page.text.index(w.thread.title)
    assert await thread_actions(live, w.thread.id) == ["thread.pin", "thread.unpin"]
    entry = await aseed(live, lambda: AuditEntry.get(target_id=w.thread.id, action="thread.unpin"))
    assert entry.actor_id == w.mod.id and entry.group_id == w.group.id and entry.reason == "Resolved"


async def test_a_locked_thread_refuses_replies_on_the_page_and_in_the_api(live: Any) -> None:
    w = build_world(live, "public")
    base = f"/g/{w.slug}/t/{w.thread.id}"
    async with await client_for(live, w.mod) as client:
        assert (await client.post_form(f"{base}/tools/lock", {"reason": "Heated"})).status_code == 303
        page = await client.get(base)
        # The moderator may still reply (say why), and sees the tools to unlock.
        assert "This thread is locked." in page.text and reply_form(base) in page.text
        assert f'action="{base}/tools/unlock"' in page.text
    async with await client_for(live, w.member) as client:
        page = await client.get(base)
        assert "This thread is locked." in page.text and "No new replies can be posted." in page.text
        assert reply_form(base) not in page.text and f"{base}/reply?to=" not in page.text
        r = await client.post_form(f"{base}/reply", {"body": "Let me add one thing"})
        assert r.status_code == 409 and "This thread is locked" in r.text
        assert (await client.get(f"{base}/reply")).status_code == 409
        r = await client.api("POST", f"/api/v1/threads/{w.thread.id}/posts", json={"body": "And via the API"})
        assert r.status_code == 409
        assert (
            r.json()["error"]["message"]
            == "This thread is locked, so it no longer takes new replies or edits."
        )
        info = (await client.api("GET", f"/api/v1/threads/{w.thread.id}")).json()["thread"]
        assert info["locked"] is True
        assert "badge locked" in (await client.get(f"/g/{w.slug}")).text
    async with await client_for(live, w.mod) as client:
        r = await client.api(
            "POST", f"/api/v1/threads/{w.thread.id}/posts", json={"body": "Locked: off topic."}
        )
        assert r.status_code == 201
        assert (await client.api("POST", f"/api/v1/threads/{w.thread.id}/unlock", json={})).status_code == 200
    async with await client_for(live, w.member) as client:
        r = await client.api(
            "POST", f"/api/v1/threads/{w.thread.id}/posts", json={"body": "Thanks for reopening"}
        )
        assert r.status_code == 201
    assert (await reload(live, Thread, w.thread.id)).post_count == 3
    assert await thread_actions(live, w.thread.id) == ["thread.lock", "thread.unlock"]


async def test_a_thread_closes_after_its_date(tmp_path: Path) -> None:
    private = start_server(tmp_path)  # its own FrozenClock, moved forward by this test only
    try:
        w = build_world(private, "public")
        base = f"/g/{w.slug}/t/{w.thread.id}"
        when = private.clock.now() + timedelta(days=2)
        async with await client_for(private, w.mod) as client:
            r = await client.api(
                "POST", f"/api/v1/threads/{w.thread.id}/close", json={"closes_at": "2001-01-01T10:00"}
            )
            assert r.status_code == 422 and "future" in r.json()["error"]["fields"]["closes_at"]
            r = await client.api(
                "POST", f"/api/v1/threads/{w.thread.id}/close", json={"closes_at": when.isoformat()}
            )
            assert r.status_code == 200 and r.json()["locked"] is False
            tools = await client.get(f"{base}/tools")
            assert "The thread closes to new replies on" in tools.text
        async with await client_for(private, w.member) as client:
            page = await client.get(base)
            assert "This thread closes to new replies on" in page.text and reply_form(base) in page.text
            r = await client.api(
                "POST", f"/api/v1/threads/{w.thread.id}/posts", json={"body": "Before the date"}
            )
            assert r.status_code == 201
            private.clock.advance(days=2, seconds=1)
            page = await client.get(base)
            assert "This thread is locked." in page.text and "It closed to new replies on" in page.text
            assert reply_form(base) not in page.text
            r = await client.api("POST", f"/api/v1/threads/{w.thread.id}/posts", json={"body": "Too late"})
            assert r.status_code == 409 and "closed on" in r.json()["error"]["message"]
            assert (await client.api("GET", f"/api/v1/threads/{w.thread.id}")).json()["thread"][
                "locked"
            ] is True
        async with await client_for(private, w.mod) as client:
            # Unlocking a thread closed by its date reopens it (the date is cleared).
            assert (
                await client.api("POST", f"/api/v1/threads/{w.thread.id}/unlock", json={})
            ).status_code == 200
        async with await client_for(private, w.member) as client:
            r = await client.api("POST", f"/api/v1/threads/{w.thread.id}/posts", json={"body": "Open again"})
            assert r.status_code == 201
        assert await thread_actions(private, w.thread.id) == ["thread.close_date", "thread.unlock"]
    finally:
        private.stop()


async def test_a_closing_date_without_offset_is_in_the_moderators_time_zone(live: Any) -> None:
    w = build_world(live, "public")
    await aseed(live, lambda: type(w.mod).filter(id=w.mod.id).update(timezone="Europe/Athens"))
    local = (live.clock.now() + timedelta(days=30)).replace(tzinfo=None, second=0, microsecond=0)
    async with await client_for(live, w.mod) as client:
        r = await client.post_form(
            f"/g/{w.slug}/t/{w.thread.id}/tools/close", {"closes_at": local.isoformat()[:16]}
        )
        assert r.status_code == 303 and r.headers["location"].endswith("done=closing_set")
    stored = (await reload(live, Thread, w.thread.id)).closes_at
    from zoneinfo import ZoneInfo

    assert stored == local.replace(tzinfo=ZoneInfo("Europe/Athens")).astimezone(UTC)
    async with await client_for(live, w.mod) as client:
        r = await client.post_form(f"/g/{w.slug}/t/{w.thread.id}/tools/close", {"closes_at": ""})
        assert r.status_code == 303 and r.headers["location"].endswith("done=closing_cleared")
        r = await client.post_form(f"/g/{w.slug}/t/{w.thread.id}/tools/close", {"closes_at": "not a date"})
        assert r.status_code == 422 and "Give a date and time" in r.text
    assert (await reload(live, Thread, w.thread.id)).closes_at is None


async def test_renaming_keeps_the_old_title_in_the_history(live: Any) -> None:
    w = build_world(live, "public")
    old = w.thread.title
    async with await client_for(live, w.mod) as client:
        r = await client.post_form(f"/g/{w.slug}/t/{w.thread.id}/tools/rename", {"title": "x"})
        assert r.status_code == 422 and "at least 3 characters" in r.text
        r = await client.api(
            "POST",
            f"/api/v1/threads/{w.thread.id}/rename",
            json={"title": "Housing in Lyon", "reason": "clearer"},
        )
        assert r.status_code == 200 and r.json()["title"] == "Housing in Lyon"
        assert "<h1>Housing in Lyon" in (await client.get(f"/g/{w.slug}/t/{w.thread.id}")).text
        history = (await client.api("GET", f"/api/v1/posts/{w.opening.id}/revisions")).json()
        assert [v["title"] for v in history] == ["Housing in Lyon", old]
        assert history[0]["reason"] == "clearer" and history[0]["editor"]["id"] == w.mod.id
    entry = await aseed(live, lambda: AuditEntry.get(target_id=w.thread.id, action="thread.rename"))
    assert entry.data["old_title"] == old and entry.data["title"] == "Housing in Lyon"


async def test_moving_a_thread_fixes_counters_urls_and_notifications(live: Any) -> None:
    w = build_world(live, "public")
    target = new_group(live, w.mod, "members")  # the moderator moderates both groups
    seed(live, service.do_add_member(w.mod, target, w.member, clock=live.clock))
    reply = new_reply(live, w.mod, w.thread, f"Hello @{w.member.username}")
    before = {g.id: (await reload(live, Group, g.id)).thread_count for g in (w.group, target)}
    async with await client_for(live, w.mod) as client:
        tools = await client.get(f"/g/{w.slug}/t/{w.thread.id}/tools")
        assert (
            f'<option value="{target.slug}">' in tools.text and f'<option value="{w.slug}">' not in tools.text
        )
        r = await client.post_form(f"/g/{w.slug}/t/{w.thread.id}/tools/move", {"group": "no-such-group"})
        assert r.status_code == 422 and "There is no group with that address." in r.text
        r = await client.post_form(f"/g/{w.slug}/t/{w.thread.id}/tools/move", {"group": target.slug})
        assert (
            r.status_code == 303 and r.headers["location"] == f"/g/{target.slug}/t/{w.thread.id}?done=moved"
        )
    after = {g.id: (await reload(live, Group, g.id)).thread_count for g in (w.group, target)}
    assert after == {w.group.id: before[w.group.id] - 1, target.id: before[target.id] + 1}
    assert (await reload(live, Thread, w.thread.id)).group_id == target.id
    assert await aseed(
        live, lambda: Notification.filter(post_id=reply.id).values_list("group_id", flat=True)
    ) == [target.id]
    async with await client_for(live, w.member) as client:
        # The old addresses lead to the new ones.
        r = await client.get(f"/g/{w.slug}/t/{w.thread.id}?view=threaded")
        assert (
            r.status_code == 301
            and r.headers["location"] == f"/g/{target.slug}/t/{w.thread.id}?view=threaded"
        )
        r = await client.get(f"/g/{w.slug}/t/{w.thread.id}/p/2")
        assert r.status_code == 301 and r.headers["location"] == f"/g/{target.slug}/t/{w.thread.id}/p/2"
        page = await client.get(f"/g/{target.slug}/t/{w.thread.id}")
        assert page.status_code == 200 and target.name in page.text
        api = (await client.api("GET", f"/api/v1/threads/{w.thread.id}")).json()
        assert api["thread"]["group"] == target.slug
        assert w.thread.title not in (await client.get(f"/g/{w.slug}")).text
        assert w.thread.title in (await client.get(f"/g/{target.slug}")).text
        # A thread never moved out of a group is still unknown under that group's address.
        assert (await client.get(f"/g/{w.slug}/t/{new_thread(live, w.mod, target).id}")).status_code == 404
    async with await client_for(live, None) as anon:
        # The new group is for members only: no redirect tells an anonymous visitor where it went.
        assert (await anon.get(f"/g/{w.slug}/t/{w.thread.id}")).status_code == 404
    entry = await aseed(live, lambda: AuditEntry.get(target_id=w.thread.id, action="thread.move"))
    assert entry.data["from_group"] == w.slug and entry.data["to_group"] == target.slug


async def test_only_the_groups_moderators_use_the_tools(live: Any) -> None:
    w = build_world(live, "public")
    elsewhere = new_user(live, "facilitator")
    their_group = new_group(live, elsewhere, "public")  # moderator of another group only
    base = f"/g/{w.slug}/t/{w.thread.id}"
    for person in (w.member, w.outsider, elsewhere):
        async with await client_for(live, person) as client:
            assert (await client.get(f"{base}/tools")).status_code == 403
            for action in ("pin", "lock", "rename", "move", "close"):
                r = await client.post_form(
                    f"{base}/tools/{action}", {"title": "Taken over", "group": their_group.slug}
                )
                assert r.status_code == 403, action
            for action in ("pin", "unpin", "lock", "unlock", "rename", "move", "close", "restore"):
                r = await client.api("POST", f"/api/v1/threads/{w.thread.id}/{action}", json={"title": "abc"})
                assert r.status_code == 403, action
                assert r.json()["error"]["message"] == "Only the group's moderators can do that."
            assert "Thread tools" not in (await client.get(base)).text
            assert f"{base}/tools" not in (await client.get(base)).text
    async with await client_for(live, None) as anon:
        assert (await anon.api("POST", f"/api/v1/threads/{w.thread.id}/pin", json={})).status_code == 401
    # A moderator of this group cannot move a thread into a group they do not moderate.
    async with await client_for(live, w.mod) as client:
        r = await client.api("POST", f"/api/v1/threads/{w.thread.id}/move", json={"group": their_group.slug})
        assert (
            r.status_code == 403
            and r.json()["error"]["message"] == "You can only move a thread to a group you moderate."
        )
    thread = await reload(live, Thread, w.thread.id)
    assert thread.group_id == w.group.id and thread.pinned_at is None and thread.locked_at is None
    assert await thread_actions(live, w.thread.id) == []


async def test_an_admin_uses_the_tools_in_any_group(live: Any) -> None:
    w = build_world(live, "private")
    admin = new_user(live, "admin")
    async with await client_for(live, admin) as client:
        r = await client.api("POST", f"/api/v1/threads/{w.thread.id}/lock", json={"reason": "Legal request"})
        assert r.status_code == 200 and r.json()["locked"] is True
        assert "Thread tools" in (await client.get(f"/g/{w.slug}/t/{w.thread.id}")).text
    spec = await client_for(live, None)
    async with spec as anon:
        doc = (await anon.get("/api/v1/openapi.json")).json()
    for path in (
        "/api/v1/threads/{thread_id}/pin",
        "/api/v1/threads/{thread_id}/move",
        "/api/v1/posts/{post_id}",
        "/api/v1/posts/{post_id}/revisions",
        "/api/v1/notifications",
        "/api/v1/read",
    ):
        assert path in doc["paths"], path
