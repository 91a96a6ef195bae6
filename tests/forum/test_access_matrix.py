"""The authorisation matrix: every visibility x every kind of visitor x every action, checked
through the HTML pages AND the JSON API, with the status a person (or a client) would get.

401 (or, for a page you open, a redirect to sign in) when signing in could help; 403 when the
visitor knows the thing exists but may not do this; 404 when they may not know it exists.
"""

from __future__ import annotations

from typing import Any

import pytest

from forum import service
from forum.models import Membership, MembershipStatus, Visibility
from tests.conftest import unique
from tests.forum.conftest import World, aseed, build_world, client_for, new_user, seed

VISIBILITIES = ("public", "members", "private")
ACTORS = ("anonymous", "outsider", "member", "moderator")

# action -> visibility -> one (page, API) expectation per actor, in the order of ACTORS:
#                      anonymous       outsider        member          moderator
# "login" is a redirect to the sign-in page: what a browser gets for a page it may see after signing in.
EXPECT: dict[str, dict[str, list[tuple[Any, Any]]]] = {
    "view_group": {  # page /g/{slug}          | API GET /api/v1/groups/{slug}
        "public":   [(200, 200),     (200, 200),     (200, 200),     (200, 200)],
        "members":  [("login", 401), (200, 200),     (200, 200),     (200, 200)],
        "private":  [(404, 404),     (200, 200),     (200, 200),     (200, 200)],
    },
    "view_thread": {  # page /g/{slug}/t/{id}  | API GET /api/v1/threads/{id}
        "public":   [(200, 200),     (200, 200),     (200, 200),     (200, 200)],
        "members":  [("login", 401), (200, 200),     (200, 200),     (200, 200)],
        "private":  [(404, 404),     (404, 404),     (200, 200),     (200, 200)],
    },
    "list_threads": {  # page: thread titles on /g/{slug} (True/False) | API GET .../threads
        "public":   [(True, 200),    (True, 200),    (True, 200),    (True, 200)],
        "members":  [("login", 401), (True, 200),    (True, 200),    (True, 200)],
        "private":  [(404, 404),     (False, 403),   (True, 200),    (True, 200)],
    },
    "create_thread": {  # page POST /g/{slug}/new | API POST .../threads
        "public":   [(401, 401),     (403, 403),     (303, 201),     (303, 201)],
        "members":  [(401, 401),     (403, 403),     (303, 201),     (303, 201)],
        "private":  [(404, 404),     (403, 403),     (303, 201),     (303, 201)],
    },
    "reply": {  # page POST /g/{slug}/t/{id}/reply | API POST /api/v1/threads/{id}/posts
        "public":   [(401, 401),     (403, 403),     (303, 201),     (303, 201)],
        "members":  [(401, 401),     (403, 403),     (303, 201),     (303, 201)],
        "private":  [(404, 404),     (404, 404),     (303, 201),     (303, 201)],
    },
    "in_directory": {  # listed on /groups (page) and in GET /api/v1/groups
        "public":   [(True, True),   (True, True),   (True, True),   (True, True)],
        "members":  [(False, False), (True, True),   (True, True),   (True, True)],
        "private":  [(False, False), (True, True),   (True, True),   (True, True)],
    },
    "approve": {  # page POST /g/{slug}/members/{uid}/approve | API POST .../members/{uid}/approve
        "public":   [(401, 401),     (403, 403),     (403, 403),     (303, 200)],
        "members":  [(401, 401),     (403, 403),     (403, 403),     (303, 200)],
        "private":  [(404, 404),     (403, 403),     (403, 403),     (303, 200)],
    },
    "invite": {  # page POST /g/{slug}/members/invite | API POST .../members
        "public":   [(401, 401),     (403, 403),     (403, 403),     (303, 201)],
        "members":  [(401, 401),     (403, 403),     (403, 403),     (303, 201)],
        "private":  [(404, 404),     (403, 403),     (403, 403),     (303, 201)],
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def worlds(live: Any) -> dict[str, World]:
    return {v: build_world(live, v) for v in VISIBILITIES}


def actor_user(world: World, actor: str) -> Any:
    return {"anonymous": None, "outsider": world.outsider, "member": world.member, "moderator": world.mod}[
        actor
    ]


def check(response: Any, expected: Any) -> None:
    if expected == "login":
        assert response.status_code == 303, response.text[:300]
        assert response.headers["location"].startswith("/login?next=")
    else:
        assert response.status_code == expected, response.text[:300]


def pending_request(live: Any, world: World) -> Any:
    """Someone asks to join. Public and members groups let people in at once, so the group is
    made private for the moment of asking (a request left from a group's private days)."""
    requester = new_user(live)
    group = world.group
    if world.visibility != "private":
        seed(live, service.do_update_group(world.mod, group, visibility=Visibility.PRIVATE, clock=live.clock))
    seed(live, service.do_join_group(requester, group, clock=live.clock))
    if world.visibility != "private":
        seed(
            live,
            service.do_update_group(
                world.mod, group, visibility=Visibility(world.visibility), clock=live.clock
            ),
        )
    return requester


async def membership_status(live: Any, world: World, user: Any) -> str | None:
    row = await aseed(live, lambda: Membership.get_or_none(group_id=world.group.id, user_id=user.id))
    return None if row is None else row.status


@pytest.mark.parametrize("action", list(EXPECT))
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("visibility", VISIBILITIES)
async def test_authorisation_matrix(
    live: Any, worlds: dict[str, World], visibility: str, actor: str, action: str
) -> None:
    world = worlds[visibility]
    page_expect, api_expect = EXPECT[action][visibility][ACTORS.index(actor)]
    slug, thread_id = world.slug, world.thread.id
    async with await client_for(live, actor_user(world, actor)) as client:
        if action == "view_group":
            page = await client.get(f"/g/{slug}")
            check(page, page_expect)
            if page_expect == 200:
                assert world.group.name in page.text
            check(await client.api("GET", f"/api/v1/groups/{slug}"), api_expect)

        elif action == "view_thread":
            page = await client.get(f"/g/{slug}/t/{thread_id}")
            check(page, page_expect)
            if page_expect == 200:
                assert world.thread.title in page.text
            else:
                assert world.thread.title not in page.text
            api = await client.api("GET", f"/api/v1/threads/{thread_id}")
            check(api, api_expect)
            if api_expect == 200:
                assert api.json()["thread"]["title"] == world.thread.title
            else:
                assert world.thread.title not in api.text
            # The threaded view obeys the same rule.
            check(await client.get(f"/g/{slug}/t/{thread_id}?view=threaded"), page_expect)

        elif action == "list_threads":
            page = await client.get(f"/g/{slug}")
            if isinstance(page_expect, bool):
                assert page.status_code == 200
                assert (world.thread.title in page.text) is page_expect
            else:
                check(page, page_expect)
            api = await client.api("GET", f"/api/v1/groups/{slug}/threads")
            check(api, api_expect)
            if api_expect == 200:
                assert world.thread.title in [t["title"] for t in api.json()["threads"]]
            else:
                assert world.thread.title not in api.text

        elif action == "create_thread":
            title = f"New topic {unique('')}"
            page = await client.post_form(f"/g/{slug}/new", {"title": title, "body": "Let us talk."})
            check(page, page_expect)
            api = await client.api(
                "POST", f"/api/v1/groups/{slug}/threads", json={"title": title + " api", "body": "x"}
            )
            check(api, api_expect)
            if api_expect == 201:
                assert api.json()["title"] == title + " api"
                assert page.headers["location"].startswith(f"/g/{slug}/t/")
            else:
                assert "error" in api.json()

        elif action == "reply":
            page = await client.post_form(f"/g/{slug}/t/{thread_id}/reply", {"body": "Page reply"})
            check(page, page_expect)
            api = await client.api("POST", f"/api/v1/threads/{thread_id}/posts", json={"body": "API reply"})
            check(api, api_expect)
            if api_expect == 201:
                assert api.json()["body"] == "API reply"

        elif action == "in_directory":
            page = await client.get("/groups")
            assert page.status_code == 200
            assert (world.group.name in page.text) is page_expect
            api = await client.api("GET", "/api/v1/groups")
            assert api.status_code == 200
            assert (slug in [g["slug"] for g in api.json()]) is api_expect

        elif action == "approve":
            by_page, by_api = pending_request(live, world), pending_request(live, world)
            page = await client.post_form(f"/g/{slug}/members/{by_page.id}/approve")
            check(page, page_expect)
            api = await client.api("POST", f"/api/v1/groups/{slug}/members/{by_api.id}/approve")
            check(api, api_expect)
            allowed = actor == "moderator"
            expected_status = MembershipStatus.ACTIVE if allowed else MembershipStatus.REQUESTED
            assert await membership_status(live, world, by_page) == expected_status
            assert await membership_status(live, world, by_api) == expected_status

        elif action == "invite":
            for_page, for_api = new_user(live), new_user(live)
            page = await client.post_form(f"/g/{slug}/members/invite", {"username": for_page.username})
            check(page, page_expect)
            api = await client.api(
                "POST", f"/api/v1/groups/{slug}/members", json={"username": for_api.username}
            )
            check(api, api_expect)
            allowed = actor == "moderator"
            expected_status = MembershipStatus.INVITED if allowed else None
            assert await membership_status(live, world, for_page) == expected_status
            assert await membership_status(live, world, for_api) == expected_status


async def test_admin_can_do_everything_in_a_private_group(live: Any, worlds: dict[str, World]) -> None:
    world = worlds["private"]
    admin = new_user(live, role="admin")
    requester = pending_request(live, world)
    async with await client_for(live, admin) as client:
        assert (await client.get(f"/g/{world.slug}/t/{world.thread.id}")).status_code == 200
        r = await client.api("POST", f"/api/v1/threads/{world.thread.id}/posts", json={"body": "Admin here"})
        assert r.status_code == 201
        r = await client.api("POST", f"/api/v1/groups/{world.slug}/members/{requester.id}/approve")
        assert r.status_code == 200 and r.json()["status"] == "active"
        r = await client.api(
            "PATCH", f"/api/v1/groups/{world.slug}", json={"description": "Edited by an admin"}
        )
        assert r.status_code == 200 and "Edited by an admin" in r.json()["description_html"]


async def test_suspended_member_is_treated_as_anonymous_by_the_service(
    live: Any, worlds: dict[str, World]
) -> None:
    from convene.errors import NotFound
    from members.models import User, UserStatus

    world = worlds["private"]
    member = new_user(live)
    seed(live, service.do_add_member(world.mod, world.group, member, clock=live.clock))
    await aseed(live, lambda: User.filter(id=member.id).update(status=UserStatus.SUSPENDED))
    member.status = UserStatus.SUSPENDED
    with pytest.raises(NotFound):
        await aseed(live, service.do_reply(member, world.thread, body="Still here?", clock=live.clock))
    # And their session no longer opens the group's threads.
    async with await client_for(live, member) as client:
        assert (await client.get(f"/g/{world.slug}/t/{world.thread.id}")).status_code == 404
