"""Personal API tokens, signed-in devices, and the CSRF rule (needed with the cookie, not with a token)."""

from __future__ import annotations

import httpx

from members.models import ApiToken
from tests.conftest import Browserish, make_user, signed_in
from tests.members.conftest import read


def bearer(live, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=live.url, headers={"authorization": f"Bearer {token}"}, timeout=30)


async def test_api_token_works_as_bearer_without_csrf_and_stops_when_revoked(live):
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        created = await browser.api("POST", "/api/v1/tokens", json={"name": "reporting script"})
        assert created.status_code == 201
        secret = created.json()["token"]
        assert secret.startswith("cvn_") and created.json()["prefix"] == secret[:10]
        row = await read(live, lambda: ApiToken.get(id=created.json()["id"]))
        assert secret not in (row.token_hash, row.prefix)  # only a hash and a short prefix are kept

        listed = (await browser.api("GET", "/api/v1/tokens")).json()
        assert [t["name"] for t in listed] == ["reporting script"] and "token" not in listed[0]

        async with bearer(live, secret) as program:
            me = await program.get("/api/v1/me")
            assert me.status_code == 200 and me.json()["email"] == member.email
            # No CSRF header and no cookie: a bearer token is not something a forged form can send.
            more = await program.post("/api/v1/tokens", json={"name": "second"})
            assert more.status_code == 201

        revoked = await browser.api("DELETE", f"/api/v1/tokens/{created.json()['id']}")
        assert revoked.status_code == 204
        assert (await browser.api("DELETE", f"/api/v1/tokens/{created.json()['id']}")).status_code == 404

        async with bearer(live, secret) as program:
            assert (await program.get("/api/v1/me")).status_code == 401


async def test_cookie_requests_need_the_csrf_token(live):
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        await browser.csrf()
        no_header = await browser.http.post(
            "/api/v1/tokens", json={"name": "forged"}, headers={"accept": "application/json"}
        )
        assert no_header.status_code == 403
        assert "did not come from this site" in no_header.json()["error"]["message"]

        form = await browser.http.post("/settings", data={"name": "Forged Name", "timezone": "UTC"})
        assert form.status_code == 403
        assert "did not come from this site" in form.text
        wrong = await browser.http.post("/logout", data={"csrf_token": "not-the-token"})
        assert wrong.status_code == 403
        assert (await browser.api("GET", "/api/v1/me")).json()["name"] == member.name


async def test_token_page_shows_the_secret_once(live):
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        empty = await browser.post_form("/settings/tokens", {"name": "  "})
        assert empty.status_code == 422 and "Give the token a name" in empty.text

        r = await browser.post_form("/settings/tokens", {"name": "Calendar sync"})
        assert r.status_code == 200
        secret = r.text.split('<code id="new-token">')[1].split("</code>")[0]
        assert secret.startswith("cvn_") and "shown only this once" in r.text

        page = await browser.get("/settings/tokens")
        assert "Calendar sync" in page.text and secret[:10] in page.text and secret not in page.text

        token_id = (await browser.api("GET", "/api/v1/tokens")).json()[0]["id"]
        gone = await browser.post_form(f"/settings/tokens/{token_id}/revoke")
        assert gone.status_code == 303 and gone.headers["location"] == "/settings/tokens?notice=token_revoked"
        assert "You have no API tokens." in (await browser.get("/settings/tokens")).text


async def test_members_cannot_revoke_each_others_tokens(live):
    owner, other = await make_user(live), await make_user(live)
    async with await signed_in(live, owner) as browser:
        token_id = (await browser.api("POST", "/api/v1/tokens", json={"name": "mine"})).json()["id"]
    async with await signed_in(live, other) as intruder:
        assert (await intruder.api("DELETE", f"/api/v1/tokens/{token_id}")).status_code == 404
    async with Browserish(live.url) as anonymous:
        assert (await anonymous.api("GET", "/api/v1/tokens")).status_code == 401


async def test_sign_out_everywhere_else(live):
    member = await make_user(live)
    here = await signed_in(live, member)
    phone = await signed_in(live, member)
    laptop = await signed_in(live, member)
    async with here, phone, laptop:
        page = await here.get("/settings/sessions")
        assert page.status_code == 200
        assert page.text.count("<tr>") == 4 and "This device" in page.text  # header row + three sessions

        sessions = (await here.api("GET", "/api/v1/me/sessions")).json()
        assert len(sessions) == 3 and sum(s["current"] for s in sessions) == 1
        phone_id = next(s["id"] for s in sessions if not s["current"])
        one = await here.post_form(f"/settings/sessions/{phone_id}/revoke")
        assert one.status_code == 303
        assert len((await here.api("GET", "/api/v1/me/sessions")).json()) == 2

        r = await here.post_form("/settings/sessions/revoke-others")
        assert r.status_code == 303 and r.headers["location"] == "/settings/sessions?notice=sessions_revoked"
        assert (await here.api("GET", "/api/v1/me")).status_code == 200
        assert (await phone.api("GET", "/api/v1/me")).status_code == 401
        assert (await laptop.api("GET", "/api/v1/me")).status_code == 401
