"""Who may see, answer, manage and export: a private group's consultation does not exist for outsiders,
exports are for facilitators and administrators, drafts only for those who manage them."""

from __future__ import annotations

import httpx

from tests.conftest import make_user, signed_in
from tests.consultations.conftest import answers_for, make_consultation, make_group, run


async def test_private_group_consultation_is_invisible_to_outsiders_and_exports_are_for_facilitators(live):
    setup = await make_consultation(live, await make_group(live, visibility="private"))
    c = setup.consultation
    pages = [
        f"/consultations/{c.id}",
        f"/consultations/{c.id}/report",
        f"/consultations/{c.id}/calendar.ics",
        f"/consultations/{c.id}/export/responses.csv",
        f"/api/v1/consultations/{c.id}",
        f"/api/v1/consultations/{c.id}/comments",
        f"/api/v1/consultations/{c.id}/export/responses",
    ]
    async with await signed_in(live, setup.outsider) as outsider:
        for url in pages:
            assert (await outsider.get(url)).status_code == 404, url
        listing = await outsider.get("/consultations")
        assert c.title not in listing.text
        r = await outsider.api("PUT", f"/api/v1/consultations/{c.id}/response", json={"answers": {}})
        assert r.status_code == 404
    async with httpx.AsyncClient(base_url=live.url) as anonymous:
        assert (await anonymous.get(f"/consultations/{c.id}")).status_code == 404
        assert (await anonymous.get(f"/api/v1/consultations/{c.id}")).status_code == 404

    async with await signed_in(live, setup.members[0]) as member:
        assert (await member.get(f"/consultations/{c.id}")).status_code == 200
        assert c.title in (await member.get("/consultations")).text
        for url in (
            f"/consultations/{c.id}/export/responses.csv",
            f"/consultations/{c.id}/export/comments.json",
            f"/api/v1/consultations/{c.id}/export/responses",
            f"/api/v1/consultations/{c.id}/activity",
            f"/consultations/{c.id}/manage",
        ):
            assert (await member.get(url)).status_code == 403, url
        report = await member.get(f"/consultations/{c.id}/report")
        assert report.status_code == 403 and "not published yet" in report.text
        r = await member.api("POST", f"/api/v1/consultations/{c.id}/close", json={})
        assert r.status_code == 403

    async with await signed_in(live, setup.facilitator) as facilitator:
        for url in pages:
            assert (await facilitator.get(url)).status_code == 200, url
    admin = await make_user(live, role="admin")
    async with await signed_in(live, admin) as boss:
        assert (await boss.get(f"/consultations/{c.id}/export/responses.json")).status_code == 200


async def test_drafts_are_seen_only_by_those_who_manage_them(live):
    setup = await make_consultation(live, await make_group(live, visibility="public"), publish=False)
    c = setup.consultation
    async with await signed_in(live, setup.members[0]) as member:
        assert (await member.get(f"/consultations/{c.id}")).status_code == 404
    async with await signed_in(live, setup.facilitator) as facilitator:
        page = await facilitator.get(f"/consultations/{c.id}")
        assert page.status_code == 200 and "This is a draft" in page.text
        assert c.title in (await facilitator.get("/consultations")).text


async def test_public_group_consultation_reads_for_everyone_but_only_members_answer(live):
    setup = await make_consultation(live, await make_group(live, visibility="public"))
    c = setup.consultation
    async with httpx.AsyncClient(base_url=live.url) as anonymous:
        page = await anonymous.get(f"/consultations/{c.id}")
        assert page.status_code == 200 and "Sign in to take part" in page.text
    async with await signed_in(live, setup.outsider) as outsider:
        page = await outsider.get(f"/consultations/{c.id}")
        assert "Only members of this group can answer." in page.text
        r = await outsider.api(
            "PUT", f"/api/v1/consultations/{c.id}/response", json={"answers": answers_for(setup)}
        )
        assert r.status_code == 403
        assert "Join the group first" in r.json()["error"]["message"]


async def test_network_wide_consultation_is_for_every_signed_in_member(live):
    moderator = await make_user(live, role="moderator")
    setup = await make_group(live)
    setup.facilitator = moderator
    setup = await make_consultation(live, setup, network=True)
    c = setup.consultation
    anyone = await make_user(live)
    async with await signed_in(live, anyone) as member:
        r = await member.api(
            "PUT", f"/api/v1/consultations/{c.id}/response", json={"answers": answers_for(setup)}
        )
        assert r.status_code == 200
    async with httpx.AsyncClient(base_url=live.url) as anonymous:
        assert (await anonymous.get(f"/api/v1/consultations/{c.id}")).status_code == 401
        login = await anonymous.get(f"/consultations/{c.id}")
        assert login.status_code == 303 and login.headers["location"].startswith("/login")


async def test_who_may_create_and_take_over(live):
    setup = await make_group(live)
    member = setup.members[0]
    body = {
        "title": "Mine",
        "group": setup.group.slug,
        "opens_at": "2030-01-01T09:00:00+01:00",
        "closes_at": "2030-01-08T09:00:00+01:00",
    }
    async with await signed_in(live, member) as plain:
        r = await plain.api("POST", "/api/v1/consultations", json=body)
        assert r.status_code == 403
    other_facilitator = await make_user(live, role="facilitator")
    async with await signed_in(live, other_facilitator) as stranger:
        r = await stranger.api("POST", "/api/v1/consultations", json=body)
        assert r.status_code == 403 and "group you moderate" in r.json()["error"]["message"]
        r = await stranger.api("POST", "/api/v1/consultations", json={**body, "group": ""})
        assert r.status_code == 403 and "whole network" in r.json()["error"]["message"]
    async with await signed_in(live, setup.facilitator) as owner:
        r = await owner.api("POST", "/api/v1/consultations", json=body)
        assert r.status_code == 201
        created = r.json()
        assert created["state"] == "draft" and created["opens_at"].startswith("2030-01-01T08:00:00")
        cid = created["id"]
        refused = await owner.api(
            "POST", f"/api/v1/consultations/{cid}/handover", json={"username": member.username}
        )
        assert refused.status_code == 403 and "is not a facilitator" in refused.json()["error"]["message"]
        refused = await owner.api(
            "POST", f"/api/v1/consultations/{cid}/handover", json={"username": other_facilitator.username}
        )
        assert (
            refused.status_code == 403
            and "does not moderate this group" in refused.json()["error"]["message"]
        )

        from forum.models import GroupRole
        from forum.service import do_add_member, do_set_member_role

        await run(live, do_add_member(setup.facilitator, setup.group, other_facilitator, clock=live.clock))
        await run(
            live,
            do_set_member_role(
                setup.facilitator,
                setup.group,
                other_facilitator.id,
                role=GroupRole.MODERATOR,
                clock=live.clock,
            ),
        )
        handed = await owner.api(
            "POST", f"/api/v1/consultations/{cid}/handover", json={"username": other_facilitator.username}
        )
        assert handed.status_code == 200 and handed.json()["facilitator"]["name"] == other_facilitator.name
        # A draft exists only for whoever manages it: the former facilitator no longer sees it.
        assert (await owner.get(f"/consultations/{cid}/manage")).status_code == 404
    async with await signed_in(live, other_facilitator) as new_owner:
        assert (await new_owner.get(f"/consultations/{cid}/manage")).status_code == 200
        log = (await new_owner.api("GET", f"/api/v1/consultations/{cid}/activity")).json()
        assert [e["action"] for e in log][:2] == ["handed_over", "created"]

    async def audited() -> list[str]:
        from members.models import AuditEntry

        return list(
            await AuditEntry.filter(target_type="consultation", target_id=cid).values_list(
                "action", flat=True
            )
        )

    assert "consultation.handed_over" in await run(live, audited)


async def test_comment_moderation_hides_for_participants_and_pins_to_the_top(live):
    setup = await make_consultation(live, await make_group(live))
    c = setup.consultation
    section = setup.sections["proposal"]
    async with await signed_in(live, setup.members[0]) as member:
        first = await member.api(
            "POST",
            f"/api/v1/consultations/{c.id}/comments",
            json={"section_id": section.id, "body": "Rude <script>alert(1)</script> remark"},
        )
        assert first.status_code == 201 and "<script>" not in first.json()["html"]
        second = await member.api(
            "POST",
            f"/api/v1/consultations/{c.id}/comments",
            json={"section_id": section.id, "body": "A **useful** point"},
        )
        reply = await member.api(
            "POST",
            f"/api/v1/consultations/{c.id}/comments",
            json={"section_id": section.id, "body": "Replying", "parent_id": second.json()["id"]},
        )
        assert reply.status_code == 201 and reply.json()["parent_id"] == second.json()["id"]
        wrong = await member.api(
            "POST",
            f"/api/v1/consultations/{c.id}/comments",
            json={"section_id": setup.sections["intro"].id, "body": "x", "parent_id": second.json()["id"]},
        )
        assert wrong.status_code == 422
    async with await signed_in(live, setup.facilitator) as fac:
        hide = await fac.post_form(
            f"/consultations/{c.id}/comments/{first.json()['id']}/hide", {"reason": "Off topic"}
        )
        assert hide.status_code == 303
        pin = await fac.post_form(f"/consultations/{c.id}/comments/{second.json()['id']}/pin")
        assert pin.status_code == 303
        own_view = await fac.get(f"/consultations/{c.id}")
        assert "Rude" in own_view.text and "Hidden from participants." in own_view.text
    async with await signed_in(live, setup.members[1]) as other:
        page = (await other.get(f"/consultations/{c.id}")).text
        assert "Rude" not in page and "The facilitator hid this comment." in page
        assert page.index("A <strong>useful</strong> point") < page.index("The facilitator hid this comment.")
        listed = (await other.api("GET", f"/api/v1/consultations/{c.id}/comments")).json()
        hidden = next(x for x in listed if x["id"] == first.json()["id"])
        assert hidden["hidden"] is True and hidden["html"] == ""
        assert (
            await other.post_form(f"/consultations/{c.id}/comments/{second.json()['id']}/unpin")
        ).status_code == 403
