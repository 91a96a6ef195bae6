"""Joining, asking to join, inviting, approving, declining, leaving, roles: through the pages
(plain forms, no JavaScript) and the API, checking what members see and the counts."""

from __future__ import annotations

from typing import Any

from forum import service
from forum.models import Group, Membership
from tests.forum.conftest import aseed, client_for, new_group, new_thread, new_user, reload, seed


async def member_count(live: Any, group: Group) -> int:
    return (await reload(live, Group, group.id)).member_count


async def test_join_and_leave_a_public_group_with_the_buttons(live: Any) -> None:
    owner, person = new_user(live, "facilitator"), new_user(live)
    group = new_group(live, owner, "public")
    async with await client_for(live, person) as client:
        page = await client.get(f"/g/{group.slug}")
        assert "Join this group" in page.text
        r = await client.post_form(f"/g/{group.slug}/join")
        assert r.status_code == 303 and r.headers["location"] == f"/g/{group.slug}?done=joined"
        page = await client.get(r.headers["location"])
        assert "You are now a member of this group" in page.text
        assert "Leave this group" in page.text and "Start a new thread" in page.text
        assert await member_count(live, group) == 2
        # Joining twice is refused with a sentence, not an error page.
        again = await client.post_form(f"/g/{group.slug}/join")
        assert again.status_code == 409 and "already a member" in again.text

        r = await client.post_form(f"/g/{group.slug}/leave")
        assert r.status_code == 303 and r.headers["location"].endswith("done=left")
        assert await member_count(live, group) == 1
        assert "Join this group" in (await client.get(f"/g/{group.slug}")).text


async def test_join_a_members_group_through_the_api(live: Any) -> None:
    owner, person = new_user(live, "moderator"), new_user(live)
    group = new_group(live, owner, "members")
    async with await client_for(live, person) as client:
        r = await client.api("POST", f"/api/v1/groups/{group.slug}/join")
        assert r.status_code == 200
        assert r.json()["status"] == "active" and r.json()["role"] == "member"
        info = (await client.api("GET", f"/api/v1/groups/{group.slug}")).json()
        assert info["member_count"] == 2 and info["can_post"] is True and info["can_moderate"] is False
        assert (await client.api("POST", f"/api/v1/groups/{group.slug}/join")).status_code == 409
        assert (await client.api("POST", f"/api/v1/groups/{group.slug}/leave")).status_code == 204
        assert (await client.api("GET", f"/api/v1/groups/{group.slug}")).json()["membership"] is None


async def test_request_to_join_a_private_group_then_a_moderator_approves(live: Any) -> None:
    owner, person = new_user(live, "facilitator"), new_user(live)
    group = new_group(live, owner, "private", description="For caseworkers in *Lyon*.")
    thread = new_thread(live, owner, group, title="Private matters here")
    async with await client_for(live, person) as asker, await client_for(live, owner) as mod:
        page = await asker.get(f"/g/{group.slug}")
        assert page.status_code == 200
        assert "<em>Lyon</em>" in page.text  # the description is shown, so people can decide to ask
        assert "Request to join" in page.text and "Private matters here" not in page.text

        r = await asker.post_form(f"/g/{group.slug}/join")
        assert r.headers["location"].endswith("done=requested")
        page = await asker.get(r.headers["location"])
        assert "A moderator of the group will decide" in page.text
        assert "Withdraw my request" in page.text
        assert (await asker.get(f"/g/{group.slug}/t/{thread.id}")).status_code == 404
        assert await member_count(live, group) == 1  # a request is not a membership yet

        members = await mod.get(f"/g/{group.slug}/members")
        assert "Requests to join" in members.text and person.name in members.text
        r = await mod.post_form(f"/g/{group.slug}/members/{person.id}/approve")
        assert r.status_code == 303 and r.headers["location"].endswith("/members?done=approved")
        assert "The member has been let in" in (await mod.get(r.headers["location"])).text

        assert (await asker.get(f"/g/{group.slug}/t/{thread.id}")).status_code == 200
        assert "Private matters here" in (await asker.get(f"/g/{group.slug}")).text
        assert await member_count(live, group) == 2


async def test_moderator_declines_a_request_and_the_person_may_ask_again(live: Any) -> None:
    owner, person = new_user(live, "facilitator"), new_user(live)
    group = new_group(live, owner, "private")
    seed(live, service.do_join_group(person, group, clock=live.clock))
    async with await client_for(live, owner) as mod, await client_for(live, person) as asker:
        r = await mod.post_form(f"/g/{group.slug}/members/{person.id}/decline")
        assert r.status_code == 303 and r.headers["location"].endswith("done=declined")
        assert person.name not in (await mod.get(f"/g/{group.slug}/members")).text
        assert "Request to join" in (await asker.get(f"/g/{group.slug}")).text
        # Asking again works; asking twice in a row is refused politely.
        assert (await asker.api("POST", f"/api/v1/groups/{group.slug}/join")).json()["status"] == "requested"
        again = await asker.api("POST", f"/api/v1/groups/{group.slug}/join")
        assert again.status_code == 409 and "already asked" in again.json()["error"]["message"]
        # The asker withdraws the request.
        r = await asker.post_form(f"/g/{group.slug}/leave")
        assert r.headers["location"].endswith("done=withdrawn")
        assert await aseed(live, lambda: Membership.get_or_none(group_id=group.id, user_id=person.id)) is None
        # A moderator cannot approve a request that no longer exists.
        gone = await mod.api("POST", f"/api/v1/groups/{group.slug}/members/{person.id}/approve")
        assert gone.status_code == 404


async def test_invite_by_username_then_accept_from_the_group_page(live: Any) -> None:
    owner, person = new_user(live, "facilitator"), new_user(live)
    group = new_group(live, owner, "private")
    async with await client_for(live, owner) as mod, await client_for(live, person) as invitee:
        r = await mod.post_form(
            f"/g/{group.slug}/members/invite", {"username": "@" + person.username.upper()}
        )
        assert r.status_code == 303 and r.headers["location"].endswith("done=invited")
        members = await mod.get(f"/g/{group.slug}/members")
        assert "Invitations waiting for an answer" in members.text and person.name in members.text

        page = await invitee.get(f"/g/{group.slug}")
        assert "You are invited to join this group" in page.text
        listing = await invitee.get("/groups")
        assert "Your invitations" in listing.text and group.name in listing.text
        assert "You are invited" in (await invitee.get("/")).text

        r = await invitee.post_form(f"/g/{group.slug}/join")
        assert r.headers["location"].endswith("done=accepted")
        assert "Leave this group" in (await invitee.get(f"/g/{group.slug}")).text
        assert await member_count(live, group) == 2


async def test_invitee_declines_and_moderator_can_withdraw_an_invitation(live: Any) -> None:
    owner, first, second = new_user(live, "facilitator"), new_user(live), new_user(live)
    group = new_group(live, owner, "public")
    async with await client_for(live, owner) as mod, await client_for(live, first) as invitee:
        r = await mod.api("POST", f"/api/v1/groups/{group.slug}/members", json={"username": first.username})
        assert r.status_code == 201 and r.json()["status"] == "invited"
        r = await invitee.post_form(f"/g/{group.slug}/leave")
        assert r.headers["location"].endswith("done=declined_invitation")
        assert "You are invited" not in (await invitee.get(f"/g/{group.slug}")).text

        await mod.api("POST", f"/api/v1/groups/{group.slug}/members", json={"username": second.username})
        r = await mod.api("DELETE", f"/api/v1/groups/{group.slug}/members/{second.id}")
        assert r.status_code == 204
        listing = (await mod.api("GET", f"/api/v1/groups/{group.slug}/members")).json()
        assert {m["user_id"] for m in listing} == {owner.id}
        assert await member_count(live, group) == 1


async def test_invite_form_errors_are_shown_on_the_form(live: Any) -> None:
    owner, member = new_user(live, "facilitator"), new_user(live)
    group = new_group(live, owner, "public")
    seed(live, service.do_add_member(owner, group, member, clock=live.clock))
    async with await client_for(live, owner) as mod:
        r = await mod.post_form(f"/g/{group.slug}/members/invite", {"username": "nobody-by-this-name"})
        assert r.status_code == 422
        assert "There is no active member with that username." in r.text
        assert 'value="nobody-by-this-name"' in r.text and 'aria-invalid="true"' in r.text
        r = await mod.post_form(f"/g/{group.slug}/members/invite", {"username": member.username})
        assert r.status_code == 409 and "is already a member of this group" in r.text
        r = await mod.api("POST", f"/api/v1/groups/{group.slug}/members", json={"username": ""})
        assert r.status_code == 422
        assert r.json()["error"]["fields"]["username"] == "Enter the username of the member to invite."


async def test_direct_add_through_the_api(live: Any) -> None:
    owner, person = new_user(live, "facilitator"), new_user(live)
    group = new_group(live, owner, "private")
    async with await client_for(live, owner) as mod:
        r = await mod.api(
            "POST", f"/api/v1/groups/{group.slug}/members", json={"username": person.username, "add": True}
        )
        assert r.status_code == 201 and r.json()["status"] == "active"
    assert await member_count(live, group) == 2


async def test_the_last_moderator_cannot_leave(live: Any) -> None:
    owner, member = new_user(live, "facilitator"), new_user(live)
    group = new_group(live, owner, "public")
    seed(live, service.do_add_member(owner, group, member, clock=live.clock))
    async with await client_for(live, owner) as mod:
        page = await mod.post_form(f"/g/{group.slug}/leave")
        assert page.status_code == 409
        assert "A group needs at least one moderator" in page.text
        api = await mod.api("POST", f"/api/v1/groups/{group.slug}/leave")
        assert api.status_code == 409 and api.json()["error"]["code"] == "conflict"
        # Nor step down, nor remove themselves.
        demote = await mod.api(
            "PATCH", f"/api/v1/groups/{group.slug}/members/{owner.id}", json={"role": "member"}
        )
        assert demote.status_code == 409
        assert (await mod.api("DELETE", f"/api/v1/groups/{group.slug}/members/{owner.id}")).status_code == 409

        # With a second moderator, the first may go.
        r = await mod.post_form(f"/g/{group.slug}/members/{member.id}/role", {"role": "moderator"})
        assert r.headers["location"].endswith("done=promoted")
        r = await mod.post_form(f"/g/{group.slug}/leave")
        assert r.status_code == 303
    assert await member_count(live, group) == 1
    async with await client_for(live, member) as new_mod:
        members = (await new_mod.api("GET", f"/api/v1/groups/{group.slug}/members")).json()
        assert [(m["user_id"], m["role"]) for m in members] == [(member.id, "moderator")]


async def test_moderator_removes_a_member_who_then_loses_access(live: Any) -> None:
    owner, member = new_user(live, "facilitator"), new_user(live)
    group = new_group(live, owner, "private")
    seed(live, service.do_add_member(owner, group, member, clock=live.clock))
    thread = new_thread(live, owner, group)
    async with await client_for(live, owner) as mod, await client_for(live, member) as ex:
        assert (await ex.get(f"/g/{group.slug}/t/{thread.id}")).status_code == 200
        r = await mod.post_form(f"/g/{group.slug}/members/{member.id}/remove")
        assert r.headers["location"].endswith("done=removed")
        assert (await ex.get(f"/g/{group.slug}/t/{thread.id}")).status_code == 404
        assert (await ex.get(f"/g/{group.slug}/members")).status_code == 403
    assert await member_count(live, group) == 1


async def test_promote_and_demote_and_only_moderators_see_pending_people(live: Any) -> None:
    owner, member, asker = new_user(live, "facilitator"), new_user(live), new_user(live)
    group = new_group(live, owner, "private")
    seed(live, service.do_add_member(owner, group, member, clock=live.clock))
    seed(live, service.do_join_group(asker, group, clock=live.clock))
    async with await client_for(live, owner) as mod, await client_for(live, member) as plain:
        seen_by_member = await plain.get(f"/g/{group.slug}/members")
        assert seen_by_member.status_code == 200
        assert asker.name not in seen_by_member.text and "Make moderator" not in seen_by_member.text
        assert {
            m["user_id"] for m in (await plain.api("GET", f"/api/v1/groups/{group.slug}/members")).json()
        } == {
            owner.id,
            member.id,
        }
        r = await mod.api(
            "PATCH", f"/api/v1/groups/{group.slug}/members/{member.id}", json={"role": "moderator"}
        )
        assert r.status_code == 200 and r.json()["role"] == "moderator"
        assert asker.name in (await plain.get(f"/g/{group.slug}/members")).text  # now a moderator
        r = await plain.post_form(f"/g/{group.slug}/members/{owner.id}/role", {"role": "member"})
        assert r.headers["location"].endswith("done=demoted")
        r = await mod.api("PATCH", f"/api/v1/groups/{group.slug}/members/{member.id}", json={"role": "boss"})
        assert r.status_code == 403  # the owner is no longer a moderator
        r = await plain.api("PATCH", f"/api/v1/groups/{group.slug}/members/{owner.id}", json={"role": "boss"})
        assert (
            r.status_code == 422
            and r.json()["error"]["fields"]["role"] == "Choose a role: member or moderator."
        )


async def test_who_may_create_groups(live: Any) -> None:
    member, facilitator = new_user(live), new_user(live, "facilitator")
    async with await client_for(live, None) as anon:
        assert (await anon.get("/groups/new")).status_code == 303
        r = await anon.api("POST", "/api/v1/groups", json={"name": "Nope"})
        assert r.status_code == 401
    async with await client_for(live, member) as plain:
        assert (await plain.get("/groups/new")).status_code == 403
        assert "Create a group" not in (await plain.get("/groups")).text
        r = await plain.api("POST", "/api/v1/groups", json={"name": "Nope", "visibility": "public"})
        assert r.status_code == 403
    async with await client_for(live, facilitator) as fac:
        form = await fac.get("/groups/new")
        assert form.status_code == 200 and 'name="visibility"' in form.text
        r = await fac.post_form(
            "/groups/new",
            {"name": "Legal aid in Łódź", "description": "Ask *anything*", "visibility": "members"},
        )
        assert r.status_code == 303 and r.headers["location"].startswith("/g/legal-aid-in-lodz")
        slug = r.headers["location"].split("/")[2].split("?")[0]
        page = await fac.get(r.headers["location"])
        assert "Legal aid in Łódź" in page.text and "<em>anything</em>" in page.text
        assert "Group settings" in page.text  # the creator moderates it
        # The same address cannot be taken twice; the form says so.
        r = await fac.post_form("/groups/new", {"name": "Another", "slug": slug, "visibility": "public"})
        assert r.status_code == 409 and "That address is taken" in r.text
        r = await fac.api(
            "POST", "/api/v1/groups", json={"name": "Legal aid in Łódź", "visibility": "private"}
        )
        assert r.status_code == 201 and r.json()["slug"] == f"{slug}-2"
        assert r.json()["membership"]["role"] == "moderator" and r.json()["member_count"] == 1


async def test_group_settings_form_edits_and_validates(live: Any) -> None:
    owner, member = new_user(live, "facilitator"), new_user(live)
    group = new_group(live, owner, "public")
    seed(live, service.do_add_member(owner, group, member, clock=live.clock))
    async with await client_for(live, owner) as mod, await client_for(live, member) as plain:
        assert (await plain.get(f"/g/{group.slug}/settings")).status_code == 403
        form = await mod.get(f"/g/{group.slug}/settings")
        assert form.status_code == 200 and group.name in form.text
        bad = await mod.post_form(
            f"/g/{group.slug}/settings", {"name": "x", "description": "kept", "visibility": "secret"}
        )
        assert bad.status_code == 422
        assert "Give the group a name of at least 3 characters." in bad.text
        assert "Choose who can read the group" in bad.text and ">kept</textarea>" in bad.text
        r = await mod.post_form(
            f"/g/{group.slug}/settings",
            {"name": "Renamed group", "description": "Now *private*", "visibility": "private"},
        )
        assert r.status_code == 303 and r.headers["location"].endswith("done=saved")
        info = (await mod.api("GET", f"/api/v1/groups/{group.slug}")).json()
        assert info["name"] == "Renamed group" and info["visibility"] == "private"
        assert info["description_html"] == "<p>Now <em>private</em></p>"
        bad = await mod.api("PATCH", f"/api/v1/groups/{group.slug}", json={"name": "  "})
        assert bad.status_code == 422 and "name" in bad.json()["error"]["fields"]
