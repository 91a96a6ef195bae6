"""Flags, the moderation queues, hiding and dismissing, warnings and suspensions, over HTTP: who may
do what (a member never sees a queue; a moderator of one group cannot act on another), what each
viewer sees of a hidden post, auto-hiding at three flags, and the audit entries every action leaves."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from forum import service
from forum.models import Flag, Post
from forum.moderation import AUTO_HIDE_FLAGS
from members.models import AuditEntry, MemberWarning, User
from tests.conftest import Browserish, make_user, signed_in, start_server, unique
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


def reply_in(live: Any, world: Any, body: str, author: Any = None) -> Post:
    return new_reply(live, author or world.member, world.thread, body=body)


async def audit_rows(live: Any, **filters: Any) -> list[AuditEntry]:
    return await aseed(live, lambda: AuditEntry.filter(**filters).order_by("id").prefetch_related("actor"))


async def test_a_member_flags_a_post_and_the_group_moderator_sees_it_in_the_queue(live: Any) -> None:
    world = build_world(live, "public")
    note = f"Shares a phone number {unique()}"
    async with await client_for(live, world.outsider) as outsider:
        form = await outsider.get(f"/g/{world.slug}/posts/{world.opening.id}/flag")
        assert form.status_code == 200 and 'name="reason"' in form.text and 'for="f-note"' in form.text
        r = await outsider.post_form(
            f"/g/{world.slug}/posts/{world.opening.id}/flag", {"reason": "inappropriate", "note": note}
        )
        assert r.status_code == 303 and r.headers["location"].endswith("?done=flagged#p1")
        assert (
            "The group's moderators will look at the post."
            in (await outsider.get(r.headers["location"], follow_redirects=True)).text
        )
        again = await outsider.get(f"/g/{world.slug}/posts/{world.opening.id}/flag")
        assert "You flagged this post" in again.text
        twice = await outsider.api("POST", f"/api/v1/posts/{world.opening.id}/flags", json={"reason": "spam"})
        assert twice.status_code == 409
        assert twice.json()["error"]["message"].startswith("You have already flagged this post")

    async with await client_for(live, world.mod) as mod:
        queue = await mod.get(f"/g/{world.slug}/moderation")
        assert queue.status_code == 200
        assert world.thread.title in queue.text and note in queue.text and "Inappropriate" in queue.text
        api = (await mod.api("GET", f"/api/v1/groups/{world.slug}/moderation/queue")).json()
        assert api["total"] == 1
        [item] = api["items"]
        assert item["post_id"] == world.opening.id and item["flag_count"] == 1
        assert item["flags"][0]["reason"] == "inappropriate" and item["flags"][0]["note"] == note

    # A member who is not a moderator never sees the queue; an anonymous visitor is sent to sign in.
    async with await client_for(live, world.member) as member:
        assert (await member.get(f"/g/{world.slug}/moderation")).status_code == 403
        assert (await member.api("GET", f"/api/v1/groups/{world.slug}/moderation/queue")).status_code == 403
        assert (await member.get(f"/g/{world.slug}/moderation/posts/{world.opening.id}")).status_code == 403
    async with Browserish(live.url) as anonymous:
        r = await anonymous.get(f"/g/{world.slug}/moderation")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert (
            await anonymous.api("GET", f"/api/v1/groups/{world.slug}/moderation/queue")
        ).status_code == 401
        flag = await anonymous.api("POST", f"/api/v1/posts/{world.opening.id}/flags", json={"reason": "spam"})
        assert flag.status_code == 401


async def test_only_readable_posts_can_be_flagged_and_flags_need_a_reason(live: Any) -> None:
    private = build_world(live, "private")
    public = build_world(live, "public")
    async with await client_for(live, private.outsider) as outsider:
        # A post in a private group the member cannot read does not exist for them.
        r = await outsider.api("POST", f"/api/v1/posts/{private.opening.id}/flags", json={"reason": "spam"})
        assert r.status_code == 404
        assert (await outsider.get(f"/g/{private.slug}/posts/{private.opening.id}/flag")).status_code == 404
        # Asked for under another group's address: also not there.
        assert (await outsider.get(f"/g/{public.slug}/posts/{private.opening.id}/flag")).status_code == 404

        bad = await outsider.api("POST", f"/api/v1/posts/{public.opening.id}/flags", json={"reason": "other"})
        assert bad.status_code == 422 and "note" in bad.json()["error"]["fields"]
        wrong = await outsider.api(
            "POST", f"/api/v1/posts/{public.opening.id}/flags", json={"reason": "boring"}
        )
        assert wrong.status_code == 422 and "reason" in wrong.json()["error"]["fields"]
        form = await outsider.post_form(
            f"/g/{public.slug}/posts/{public.opening.id}/flag", {"reason": "other"}
        )
        assert form.status_code == 422 and "Tell the moderators what is wrong with this post." in form.text
    async with await client_for(live, public.member) as author:
        own = await author.api("POST", f"/api/v1/posts/{public.opening.id}/flags", json={"reason": "spam"})
        assert own.status_code == 409 and "your own post" in own.json()["error"]["message"]
    assert await aseed(live, lambda: Flag.filter(post_id=public.opening.id).count()) == 0


async def test_a_hidden_post_shows_a_placeholder_to_everyone_but_moderators(live: Any) -> None:
    world = build_world(live, "public")
    secret = f"Call me on 0612 {unique()}"
    post = reply_in(live, world, secret)
    async with await client_for(live, world.mod) as mod:
        r = await mod.post_form(
            f"/g/{world.slug}/moderation/posts/{post.id}/hide",
            {"reason": "Personal details", "back": "/evil"},
        )
        assert r.status_code == 303 and r.headers["location"].startswith(
            f"/g/{world.slug}/moderation/posts/{post.id}"
        )
        page = (await mod.get(f"/g/{world.slug}/t/{world.thread.id}")).text
        assert (
            secret in page
            and "This post has been hidden by a moderator." in page
            and "Personal details" in page
        )
        detail = (await mod.api("GET", f"/api/v1/threads/{world.thread.id}")).json()
        mine = next(p for p in detail["posts"] if p["id"] == post.id)
        assert mine["hidden"] is True and secret in mine["body"]
        again = await mod.api("POST", f"/api/v1/posts/{post.id}/hide", json={})
        assert again.status_code == 409

    for viewer in (world.member, world.outsider, None):
        async with await client_for(live, viewer) as client:
            page = (await client.get(f"/g/{world.slug}/t/{world.thread.id}")).text
            assert secret not in page and "This post has been hidden by a moderator." in page
            detail = (await client.api("GET", f"/api/v1/threads/{world.thread.id}")).json()
            hidden = next(p for p in detail["posts"] if p["id"] == post.id)
            assert hidden["hidden"] is True and hidden["body"] == "" and hidden["body_html"] == ""
            quote = await client.get(f"/g/{world.slug}/t/{world.thread.id}/reply?to={post.id}")
            assert secret not in quote.text

    [entry] = await audit_rows(live, action="post.hide", target_id=post.id)
    assert (
        entry.actor.id == world.mod.id
        and entry.group_id == world.group.id
        and entry.reason == "Personal details"
    )

    async with await client_for(live, world.mod) as mod:
        shown = await mod.api(
            "POST", f"/api/v1/posts/{post.id}/unhide", json={"reason": "Edited by the author"}
        )
        assert shown.status_code == 200 and shown.json()["hidden"] is False
    async with await client_for(live, world.outsider) as outsider:
        assert secret in (await outsider.get(f"/g/{world.slug}/t/{world.thread.id}")).text
    assert len(await audit_rows(live, action="post.unhide", target_id=post.id)) == 1


async def test_a_moderator_of_one_group_cannot_act_on_another(live: Any) -> None:
    x = build_world(live, "public")
    y = build_world(live, "public")
    post = reply_in(live, x, "Something flaggable")
    async with await client_for(live, x.outsider) as outsider:
        await outsider.api("POST", f"/api/v1/posts/{post.id}/flags", json={"reason": "spam"})
    async with await client_for(live, y.mod) as other:
        assert (await other.get(f"/g/{x.slug}/moderation")).status_code == 403
        assert (await other.api("GET", f"/api/v1/groups/{x.slug}/moderation/queue")).status_code == 403
        assert (await other.post_form(f"/g/{x.slug}/moderation/posts/{post.id}/hide")).status_code == 403
        # Through their own group's address, the post is not there at all.
        assert (await other.post_form(f"/g/{y.slug}/moderation/posts/{post.id}/hide")).status_code == 404
        for action in ("hide", "unhide", "flags/dismiss"):
            assert (await other.api("POST", f"/api/v1/posts/{post.id}/{action}", json={})).status_code == 403
        warn = await other.api(
            "POST", f"/api/v1/members/{x.member.id}/warnings", json={"reason": "Be nice", "group": x.slug}
        )
        assert warn.status_code == 403
        # Their own queue does not list the other group's flags.
        assert (await other.api("GET", f"/api/v1/groups/{y.slug}/moderation/queue")).json()["total"] == 0
        assert (await other.get("/admin/moderation")).status_code == 403
    fresh = await aseed(live, lambda: Post.get(id=post.id))
    assert fresh.hidden_at is None
    assert await aseed(live, lambda: Flag.filter(post_id=post.id, resolved_at=None).count()) == 1


async def test_three_flags_hide_a_post_until_a_moderator_dismisses_them(live: Any) -> None:
    world = build_world(live, "public")
    text = f"Buy cheap watches {unique()}"
    post = reply_in(live, world, text)
    flaggers = [new_user(live) for _ in range(AUTO_HIDE_FLAGS)]
    for n, flagger in enumerate(flaggers, start=1):
        async with await client_for(live, flagger) as client:
            r = await client.api("POST", f"/api/v1/posts/{post.id}/flags", json={"reason": "spam"})
            assert r.status_code == 201
        async with Browserish(live.url) as anonymous:
            visible = text in (await anonymous.get(f"/g/{world.slug}/t/{world.thread.id}")).text
        assert visible == (n < AUTO_HIDE_FLAGS)
    [auto] = await audit_rows(live, action="post.auto_hide", target_id=post.id)
    assert auto.actor is None and auto.group_id == world.group.id and auto.data["flags"] == AUTO_HIDE_FLAGS

    async with await client_for(live, world.mod) as mod:
        queue = (await mod.get(f"/g/{world.slug}/moderation")).text
        assert "Hidden automatically, waiting for you" in queue and text in queue
        r = await mod.post_form(
            f"/g/{world.slug}/moderation/posts/{post.id}/dismiss", {"back": f"/g/{world.slug}/moderation"}
        )
        assert r.status_code == 303 and r.headers["location"] == f"/g/{world.slug}/moderation?done=dismissed"
        assert (await mod.api("GET", f"/api/v1/groups/{world.slug}/moderation/queue")).json()["total"] == 0
    async with Browserish(live.url) as anonymous:
        assert text in (await anonymous.get(f"/g/{world.slug}/t/{world.thread.id}")).text
    flags = await aseed(live, lambda: Flag.filter(post_id=post.id).order_by("id"))
    assert [f.resolution for f in flags] == ["dismissed"] * AUTO_HIDE_FLAGS
    assert all(f.resolved_by_id == world.mod.id for f in flags)  # type: ignore[attr-defined]
    [dismissal] = await audit_rows(live, action="flags.dismiss", target_id=post.id)
    assert dismissal.data["restored"] is True and dismissal.data["flags_resolved"] == AUTO_HIDE_FLAGS

    # The same members may flag again after a decision: the earlier flags are history.
    async with await client_for(live, flaggers[0]) as client:
        assert (
            await client.api("POST", f"/api/v1/posts/{post.id}/flags", json={"reason": "spam"})
        ).status_code == 201


async def test_hiding_from_the_queue_resolves_the_flags_and_the_admin_queue_spans_groups(live: Any) -> None:
    a = build_world(live, "public")
    b = build_world(live, "private")
    post_a = reply_in(live, a, "Rude words here")
    post_b = reply_in(live, b, "Rude words there")
    async with await client_for(live, a.outsider) as client:
        assert (
            await client.api("POST", f"/api/v1/posts/{post_a.id}/flags", json={"reason": "inappropriate"})
        ).status_code == 201
    async with await client_for(live, b.mod) as client:
        assert (
            await client.api("POST", f"/api/v1/posts/{post_b.id}/flags", json={"reason": "off_topic"})
        ).status_code == 201

    admin = new_user(live, "admin")
    async with await client_for(live, admin) as client:
        page = (await client.get("/admin/moderation")).text
        assert a.thread.title in page and b.thread.title in page
        ids = {
            i["post_id"] for i in (await client.api("GET", "/api/v1/admin/moderation/queue")).json()["items"]
        }
        assert {post_a.id, post_b.id} <= ids
        r = await client.post_form(
            f"/g/{b.slug}/moderation/posts/{post_b.id}/hide", {"back": "/admin/moderation"}
        )
        assert r.status_code == 303 and r.headers["location"] == "/admin/moderation?done=hidden"
    for user in (a.mod, a.member):
        async with await client_for(live, user) as client:
            assert (await client.get("/admin/moderation")).status_code == 403
            assert (await client.api("GET", "/api/v1/admin/moderation/queue")).status_code == 403
    [flag] = await aseed(live, lambda: Flag.filter(post_id=post_b.id))
    assert flag.resolution == "hidden" and flag.resolved_by_id == admin.id  # type: ignore[attr-defined]


async def test_a_warning_shows_on_the_members_next_page_until_read(live: Any) -> None:
    world = build_world(live, "public")
    post = reply_in(live, world, "Heated words")
    reason = f"Please keep it **civil** {unique()}"
    async with await client_for(live, world.member) as member:
        assert "A moderator has sent you a warning." not in (await member.get("/groups")).text
    async with await client_for(live, world.outsider) as outsider:
        r = await outsider.post_form(f"/g/{world.slug}/moderation/posts/{post.id}/warn", {"reason": "no"})
        assert r.status_code == 403
    async with await client_for(live, world.mod) as mod:
        empty = await mod.post_form(f"/g/{world.slug}/moderation/posts/{post.id}/warn", {"reason": " "})
        assert empty.status_code == 422 and "Give a reason" in empty.text
        r = await mod.post_form(f"/g/{world.slug}/moderation/posts/{post.id}/warn", {"reason": reason})
        assert r.status_code == 303 and r.headers["location"].endswith("done=warned")

    async with await client_for(live, world.member) as member:
        page = (await member.get("/groups")).text
        assert "A moderator has sent you a warning." in page and 'href="/settings/warnings"' in page
        warnings = await member.get("/settings/warnings")
        assert "<strong>civil</strong>" in warnings.text and world.group.name in warnings.text
        api = (await member.api("GET", "/api/v1/me/warnings")).json()
        assert api[0]["post_id"] == post.id and api[0]["group_id"] == world.group.id
        assert api[0]["acknowledged_at"] is None
        r = await member.post_form("/settings/warnings")
        assert r.status_code == 303
        assert "A moderator has sent you a warning." not in (await member.get("/groups")).text
    [entry] = await audit_rows(live, action="user.warn", target_id=world.member.id)
    assert entry.group_id == world.group.id and entry.actor.id == world.mod.id and reason in entry.reason

    # Site moderators warn anyone, from the member's moderation page; group moderators cannot use it.
    site_mod = new_user(live, "moderator")
    async with await client_for(live, site_mod) as client:
        page = await client.get(f"/moderation/members/{world.member.id}")
        assert page.status_code == 200 and "<strong>civil</strong>" in page.text
        r = await client.post_form(f"/moderation/members/{world.member.id}/warn", {"reason": "Second notice"})
        assert r.status_code == 303
    async with await client_for(live, world.mod) as mod:
        assert (await mod.get(f"/moderation/members/{world.member.id}")).status_code == 403
        r = await mod.api("POST", f"/api/v1/members/{world.member.id}/warnings", json={"reason": "x"})
        assert r.status_code == 403
    count = await aseed(live, lambda: MemberWarning.filter(user_id=world.member.id).count())
    assert count == 2


async def test_site_moderators_suspend_members_for_a_period_and_lift_it(live: Any) -> None:
    member = new_user(live)
    site_mod = new_user(live, "moderator")
    admin = new_user(live, "admin")
    group_mod = new_user(live, "facilitator")
    group = new_group(live, group_mod, "public")
    seed(live, service.do_add_member(group_mod, group, member, clock=live.clock))
    new_thread(live, member, group)

    async with await client_for(live, member) as victim:
        assert (await victim.get("/settings")).status_code == 200
        async with await client_for(live, group_mod) as client:
            r = await client.api(
                "POST", f"/api/v1/members/{member.id}/suspension", json={"days": 3, "reason": "x"}
            )
            assert r.status_code == 403
            assert (
                await client.post_form(f"/moderation/members/{member.id}/suspend", {"days": "3"})
            ).status_code == 403
        async with await client_for(live, site_mod) as client:
            no_reason = await client.post_form(f"/moderation/members/{member.id}/suspend", {"days": "3"})
            assert no_reason.status_code == 422 and "Give a reason" in no_reason.text
            forever = await client.api(
                "POST", f"/api/v1/members/{member.id}/suspension", json={"reason": "spam"}
            )
            assert forever.status_code == 422 and "days" in forever.json()["error"]["fields"]
            on_admin = await client.api(
                "POST", f"/api/v1/members/{admin.id}/suspension", json={"days": 1, "reason": "x"}
            )
            assert on_admin.status_code == 403
            r = await client.post_form(
                f"/moderation/members/{member.id}/suspend",
                {"days": "3", "reason": "Repeated spam after a warning"},
            )
            assert r.status_code == 303 and r.headers["location"].endswith("done=suspended")
            page = (await client.get(f"/moderation/members/{member.id}")).text
            assert "Suspended" in page and "Repeated spam after a warning" in page
        # Signed out everywhere at once.
        r = await victim.get("/settings")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")

    row = await aseed(live, lambda: User.get(id=member.id))
    assert row.status == "suspended" and row.suspended_until is not None
    assert (row.suspended_until - live.clock.now()).days in (2, 3)
    [entry] = await audit_rows(live, action="user.suspend", target_id=member.id)
    assert entry.actor.id == site_mod.id and entry.reason == "Repeated spam after a warning"

    async with await client_for(live, site_mod) as client:
        r = await client.api("DELETE", f"/api/v1/members/{member.id}/suspension")
        assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["suspended_until"] is None
        assert (await client.api("DELETE", f"/api/v1/members/{member.id}/suspension")).status_code == 409
    assert len(await audit_rows(live, action="user.unsuspend", target_id=member.id)) == 1


async def test_a_suspension_ends_by_itself_when_the_clock_passes_its_end(tmp_path: Path) -> None:
    site = start_server(tmp_path)
    try:
        admin = await make_user(site, role="admin")
        member = await make_user(site)
        async with await signed_in(site, admin) as client:
            r = await client.api(
                "POST", f"/api/v1/members/{member.id}/suspension", json={"days": 2, "reason": "Cooling off"}
            )
            assert r.status_code == 200 and r.json()["status"] == "suspended"
        async with Browserish(site.url) as browser:
            refused = await browser.post_form(
                "/login", {"email": member.email, "password": member.plain_password}
            )
            assert refused.status_code == 403 and "This account is suspended until" in refused.text

            site.clock.advance(days=1, hours=23)
            still = await browser.post_form(
                "/login", {"email": member.email, "password": member.plain_password}
            )
            assert still.status_code == 403

            site.clock.advance(hours=2)
            back = await browser.post_form(
                "/login", {"email": member.email, "password": member.plain_password}
            )
            assert back.status_code == 303
            assert (await browser.get("/settings")).status_code == 200

        row = await asyncio.to_thread(site.run, lambda: User.get(id=member.id))
        assert row.status == "active" and row.suspended_until is None
        ended = await asyncio.to_thread(
            site.run, lambda: AuditEntry.filter(action="user.suspension_ended", target_id=member.id)
        )
        assert len(ended) == 1 and ended[0].actor_id is None  # type: ignore[attr-defined]
    finally:
        site.stop()
