"""The audit log: admin actions and moderator actions are recorded; the admin page and API filter
by action, actor, group and dates and page through; only administrators see the whole log, and a
group's moderators see only their group's entries."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from members.audit import PAGE_SIZE, do_record_audit
from members.models import AuditEntry
from tests.conftest import Browserish, make_user, signed_in, unique
from tests.forum.conftest import build_world, new_reply


async def entries(live: Any, **filters: Any) -> list[AuditEntry]:
    return await asyncio.to_thread(
        live.run, lambda: AuditEntry.filter(**filters).order_by("id").prefetch_related("actor")
    )


async def test_admin_actions_on_members_are_recorded(live: Any) -> None:
    admin = await make_user(live, role="admin")
    member = await make_user(live)
    async with await signed_in(live, admin) as browser:
        r = await browser.api("POST", f"/api/v1/admin/members/{member.id}/role", json={"role": "facilitator"})
        assert r.status_code == 200
        assert (await browser.post_form(f"/admin/members/{member.id}/suspend")).status_code == 303
        assert (await browser.post_form(f"/admin/members/{member.id}/unsuspend")).status_code == 303
    [role], [suspend], [unsuspend] = [
        await entries(live, action=a, target_id=member.id)
        for a in ("user.role", "user.suspend", "user.unsuspend")
    ]
    assert role.actor.id == admin.id and role.data == {
        "username": member.username,
        "from": "member",
        "to": "facilitator",
    }
    assert suspend.target_type == "user" and suspend.data["until"] is None
    assert unsuspend.actor.id == admin.id


async def test_the_audit_page_filters_and_pages(live: Any) -> None:
    admin = await make_user(live, role="admin")
    other_admin = await make_user(live, role="admin")
    action = unique("test.")
    now = live.clock.now()

    async def seed_entries() -> None:
        for n in range(PAGE_SIZE + 5):
            await do_record_audit(
                admin, action, target_type="post", target_id=n, reason=f"r{n}", clock=live.clock
            )
        await do_record_audit(
            other_admin, action, target_type="post", target_id=999, reason="by the other", clock=live.clock
        )

    await asyncio.to_thread(live.run, seed_entries)
    async with await signed_in(live, admin) as browser:
        first = await browser.get("/admin/audit", params={"action": action})
        assert first.status_code == 200
        assert (
            f"{PAGE_SIZE + 6} entries" in first.text
            and "Page 1 of 2" in first.text
            and 'rel="next"' in first.text
        )
        second = await browser.get("/admin/audit", params={"action": action, "page": 2})
        assert "Page 2 of 2" in second.text and "r0" in second.text  # oldest last
        by_actor = await browser.get("/admin/audit", params={"action": action, "actor": other_admin.username})
        assert "1 entry" in by_actor.text and "by the other" in by_actor.text

        api = await browser.api(
            "GET", "/api/v1/admin/audit", params={"action": action, "actor": other_admin.username}
        )
        assert api.status_code == 200
        body = api.json()
        assert body["total"] == 1 and body["items"][0]["actor"] == other_admin.username
        assert body["items"][0]["target_id"] == 999

        today = now.date().isoformat()
        tomorrow = (now + timedelta(days=1)).date().isoformat()
        assert (
            await browser.api("GET", "/api/v1/admin/audit", params={"action": action, "since": today})
        ).json()["total"] == PAGE_SIZE + 6
        assert (
            await browser.api("GET", "/api/v1/admin/audit", params={"action": action, "since": tomorrow})
        ).json()["total"] == 0
        bad = await browser.get("/admin/audit", params={"since": "yesterday"})
        assert bad.status_code == 422 and "Use a date like" in bad.text
        nobody = await browser.api("GET", "/api/v1/admin/audit", params={"actor": f"nobody-{unique()}"})
        assert nobody.json()["total"] == 0


@pytest.mark.parametrize("role", ["member", "facilitator", "moderator"])
async def test_only_administrators_see_the_audit_log(live: Any, role: str) -> None:
    user = await make_user(live, role=role)
    async with await signed_in(live, user) as browser:
        assert (await browser.get("/admin/audit")).status_code == 403
        assert (await browser.api("GET", "/api/v1/admin/audit")).status_code == 403


async def test_anonymous_visitors_are_sent_to_sign_in(live: Any) -> None:
    async with Browserish(live.url) as browser:
        r = await browser.get("/admin/audit")
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/admin/audit"
        assert (await browser.api("GET", "/api/v1/admin/audit")).status_code == 401


async def test_group_moderators_see_their_own_groups_log_only(live: Any) -> None:
    x = build_world(live, "public")
    y = build_world(live, "private")
    post_x = new_reply(live, x.member, x.thread, body="x")
    post_y = new_reply(live, y.member, y.thread, body="y")
    async with await signed_in(live, x.mod) as mod_x:
        assert (
            await mod_x.api("POST", f"/api/v1/posts/{post_x.id}/hide", json={"reason": "In X"})
        ).status_code == 200
    async with await signed_in(live, y.mod) as mod_y:
        assert (
            await mod_y.api("POST", f"/api/v1/posts/{post_y.id}/hide", json={"reason": "In Y"})
        ).status_code == 200

    async with await signed_in(live, x.mod) as mod_x:
        log = await mod_x.get(f"/g/{x.slug}/moderation/log")
        assert log.status_code == 200 and "In X" in log.text and "In Y" not in log.text
        api = (await mod_x.api("GET", f"/api/v1/groups/{x.slug}/moderation/log")).json()
        assert [e["reason"] for e in api["items"]] == ["In X"] and api["items"][0]["action"] == "post.hide"
        filtered = await mod_x.api(
            "GET", f"/api/v1/groups/{x.slug}/moderation/log", params={"action": "flags.dismiss"}
        )
        assert filtered.json()["total"] == 0
        assert (await mod_x.get(f"/g/{y.slug}/moderation/log")).status_code == 403
        assert (await mod_x.get("/admin/audit")).status_code == 403
    async with await signed_in(live, x.member) as member:
        assert (await member.get(f"/g/{x.slug}/moderation/log")).status_code == 403
        assert (await member.api("GET", f"/api/v1/groups/{x.slug}/moderation/log")).status_code == 403

    admin = await make_user(live, role="admin")
    async with await signed_in(live, admin) as browser:
        page = await browser.get("/admin/audit", params={"group": y.slug, "action": "post.hide"})
        assert "In Y" in page.text and "In X" not in page.text and y.group.name in page.text
