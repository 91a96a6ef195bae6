"""A member's email settings: the page /settings/email (no JavaScript needed) and the API."""

from __future__ import annotations

import httpx

from tests.conftest import make_user, signed_in, unique


async def _group_with(live, member):
    from forum.models import Visibility
    from forum.service import do_add_member, do_create_group

    owner = await make_user(live, role="facilitator")
    grp = live.run(
        do_create_group(
            owner, name=f"Group {unique('')}", description="", visibility=Visibility.PUBLIC, clock=live.clock
        )
    )
    live.run(do_add_member(owner, grp, member, clock=live.clock))
    return grp


async def test_the_page_shows_the_defaults_and_saves_a_form(live):
    member = await make_user(live, name="Ana Settings")
    grp = await _group_with(live, member)
    async with await signed_in(live, member) as client:
        page = await client.get("/settings")
        assert 'href="/settings/email"' in page.text  # linked from the settings pages
        page = await client.get("/settings/email")
        assert page.status_code == 200
        assert 'value="weekly" checked' in page.text
        assert grp.name in page.text
        assert 'name="instant_mentions" value="true" checked' in page.text
        assert "In your time zone, UTC." in page.text
        answer = await client.post_form(
            "/settings/email",
            {
                "digest": "daily",
                "weekday": "friday",
                "hour": "18",
                "all_groups": "false",
                "groups[]": str(grp.id),
                "instant_replies": "true",
                "batch_minutes": "30",
                "newsletter": "true",
            },
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/settings/email?notice=saved"
        data = (await client.api("GET", "/api/v1/me/email-settings")).json()
    assert data["digest"] == "daily" and data["weekday"] == "friday" and data["hour"] == 18
    assert data["all_groups"] is False and data["groups"] == [grp.id]
    # The box left unticked is off; the ticked ones on.
    assert data["instant_mentions"] is False and data["instant_replies"] is True
    assert data["batch_minutes"] == 30 and data["newsletter"] is True
    assert data["next_digest_at"] is not None


async def test_form_errors_are_shown_with_the_form(live):
    member = await make_user(live)
    async with await signed_in(live, member) as client:
        answer = await client.post_form(
            "/settings/email", {"digest": "hourly", "hour": "25", "all_groups": "false", "batch_minutes": "7"}
        )
        assert answer.status_code == 422
        assert "Choose off, daily or weekly." in answer.text
        assert "Choose an hour from 0 to 23." in answer.text
        assert 'id="e-hour"' in answer.text and 'id="e-digest"' in answer.text
        # Nothing was saved.
        data = (await client.api("GET", "/api/v1/me/email-settings")).json()
        assert data["digest"] == "weekly"


async def test_api_put_changes_only_what_is_sent(live):
    member = await make_user(live)
    grp = await _group_with(live, member)
    async with await signed_in(live, member) as client:
        answer = await client.api("PUT", "/api/v1/me/email-settings", json={"digest": "off"})
        assert answer.status_code == 200
        data = answer.json()
        assert data["digest"] == "off" and data["instant_mentions"] is True and data["next_digest_at"] is None
        assert data["group_choices"] == [{"id": grp.id, "slug": grp.slug, "name": grp.name}]

        refused = await client.api(
            "PUT", "/api/v1/me/email-settings", json={"all_groups": False, "groups": [999999]}
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["fields"]["groups"] == "You can only choose groups you belong to."
        refused = await client.api(
            "PUT", "/api/v1/me/email-settings", json={"all_groups": False, "groups": []}
        )
        assert refused.status_code == 422
        refused = await client.api("PUT", "/api/v1/me/email-settings", json={"weekday": "funday"})
        assert refused.json()["error"]["fields"]["weekday"].startswith("Choose a day of the week")


async def test_the_api_needs_a_signed_in_member(live):
    assert httpx.get(f"{live.url}/api/v1/me/email-settings").status_code == 401
    page = httpx.get(f"{live.url}/settings/email")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    doc = httpx.get(f"{live.url}/api/v1/openapi.json").json()
    assert set(doc["paths"]["/api/v1/me/email-settings"]) == {"get", "put"}
