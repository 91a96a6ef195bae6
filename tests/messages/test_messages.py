"""Direct messages: contact without revealing an email address, live delivery over /ws, group
conversations, blocks, and batched email through the outbox."""

from __future__ import annotations

import asyncio
import re

from messages.models import Participant
from tests.conftest import Browserish, make_user, signed_in, unique
from tests.realtime.conftest import connect, session_token

CONVERSATION = re.compile(r"^/messages/(\d+)#m\d+$")


async def start(browser: Browserish, to: str, body: str, subject: str = "") -> int:
    r = await browser.post_form("/messages/new", {"to": to, "body": body, "subject": subject})
    assert r.status_code == 303, r.text
    match = CONVERSATION.match(r.headers["location"])
    assert match, r.headers["location"]
    return int(match.group(1))


async def subscribe(client, room: str, since: int = 0) -> dict:
    await client.send(type="subscribe", room=room, since=since)
    return await client.expect(type="subscribed", room=room)


async def test_contact_from_a_profile_never_reveals_an_email_address(live):
    amina = await make_user(live, name=f"Amina {unique()}")
    jonas = await make_user(live, name=f"Jonas {unique()}")
    async with await signed_in(live, amina) as browser:
        profile = await browser.get(f"/u/{jonas.username}")
        assert f'href="/messages/new?to={jonas.username}"' in profile.text and jonas.email not in profile.text
        form = await browser.get(f"/messages/new?to={jonas.username}")
        assert form.status_code == 200 and jonas.username in form.text
        cid = await start(browser, jonas.username, "Hello Jonas, could we **talk** about arrivals?")
        page = await browser.get(f"/messages/{cid}")
        assert "could we <strong>talk</strong>" in page.text
        again = await start(browser, f"@{jonas.username}", "Second message")
        assert again == cid  # the same two people share one conversation
        api = await browser.get(f"/api/v1/conversations/{cid}")
        for text in (page.text, api.text, (await browser.get("/api/v1/conversations")).text):
            assert jonas.email not in text and amina.email not in text
        assert {p["username"] for p in api.json()["participants"]} == {amina.username, jonas.username}

    async with await signed_in(live, jonas) as browser:
        inbox = await browser.get("/messages")
        assert amina.name in inbox.text and "2 unread" in inbox.text
        listed = (await browser.get("/api/v1/conversations")).json()
        assert listed[0]["id"] == cid and listed[0]["unread"] == 2
        page = await browser.get(f"/messages/{cid}")
        assert "Second message" in page.text and amina.email not in page.text and jonas.email not in page.text
        assert (await browser.get("/api/v1/conversations")).json()[0]["unread"] == 0  # reading marks it read
        reply = await browser.post_form(f"/messages/{cid}", {"body": "Gladly."})
        assert reply.status_code == 303

    outsider = await make_user(live)
    async with await signed_in(live, outsider) as browser:
        assert (await browser.get(f"/messages/{cid}")).status_code == 404
        assert (await browser.get(f"/api/v1/conversations/{cid}")).status_code == 404
        r = await browser.api("POST", f"/api/v1/conversations/{cid}/messages", json={"body": "let me in"})
        assert r.status_code == 404
    admin = await make_user(live, role="admin")
    async with await signed_in(live, admin) as browser:
        assert (await browser.get(f"/messages/{cid}")).status_code == 404  # not even administrators
    async with Browserish(live.url) as anonymous:
        assert (await anonymous.get("/messages")).status_code == 303
        assert (await anonymous.get("/api/v1/conversations")).status_code == 401


async def test_messages_arrive_live_over_websockets_and_outsiders_cannot_listen(live):
    a, b, c, outsider = [await make_user(live) for _ in range(4)]
    async with await signed_in(live, a) as browser:
        body = {
            "to": [b.username, c.username],
            "subject": "Berlin arrivals",
            "body": "Welcome, both",
            "key": "k0",
        }
        r = await browser.api("POST", "/api/v1/conversations", json=body)
        assert r.status_code == 201, r.text
        cid = r.json()["conversation"]
    room = f"dm:{cid}"
    ca = await connect(live, await session_token(live, a))
    cb = await connect(live, await session_token(live, b))
    cc = await connect(live, await session_token(live, c))
    await subscribe(ca, room)
    await subscribe(cb, room)
    await subscribe(cc, room)
    assert (await cb.events(room, 1))[0]["data"]["html"] == "<p>Welcome, both</p>"  # caught up from the log
    await cc.events(room, 1)
    await ca.events(room, 1)

    await cb.send(type="send", room=room, body="Thanks *a lot*", key="k1", ref=1)
    ack = await cb.expect(type="ack", ref=1)
    got_a = (await ca.events(room, 1))[0]
    got_c = (await cc.events(room, 1))[0]
    assert got_a == got_c and got_a["seq"] == ack["seq"] == 2
    assert (
        got_a["data"]["html"] == "<p>Thanks <em>a lot</em></p>" and got_a["data"]["author"]["name"] == b.name
    )
    await cb.send(type="send", room=room, body="Thanks *a lot*", key="k1", ref=2)  # a retry
    assert (await cb.expect(type="ack", ref=2))["duplicate"] is True

    spy = await connect(live, await session_token(live, outsider))
    await spy.send(type="subscribe", room=room, since=0, ref=9)
    assert (await spy.expect(type="error", ref=9))["code"] == "not_found"
    await spy.send(type="send", room=room, body="hi", key="s", ref=10)
    assert (await spy.expect(type="error", ref=10))["code"] == "not_found"
    await ca.send(type="hide", room=room, id=got_a["data"]["id"], ref=11)
    assert (await ca.expect(type="error", ref=11))["code"] == "forbidden"

    # Leaving a group conversation ends live delivery at once.
    async with await signed_in(live, c) as browser:
        assert (await browser.post_form(f"/messages/{cid}/leave")).status_code == 303
    gone = await cc.expect(type="unsubscribed", room=room)
    assert gone["reason"] == "access_removed"
    for client in (ca, cb, cc, spy):
        await client.close()


async def test_a_block_stops_new_conversations_and_delivery_both_ways(live):
    amina = await make_user(live)
    pest = await make_user(live)
    async with await signed_in(live, pest) as browser:
        cid = await start(browser, amina.username, "Hi")
    async with await signed_in(live, amina) as browser:
        r = await browser.post_form(
            "/messages/block", {"username": pest.username, "back": f"/messages/{cid}"}
        )
        assert r.status_code == 303
        page = await browser.get(f"/messages/{cid}")
        assert "there is a block between you" in page.text and "data-chat-form" not in page.text
        assert (
            await browser.api("POST", f"/api/v1/conversations/{cid}/messages", json={"body": "x"})
        ).status_code == 403
        blocks = (await browser.get("/api/v1/blocks")).json()
        assert [b["user"]["username"] for b in blocks] == [pest.username]

    token = await session_token(live, pest)
    ws = await connect(live, token)
    await subscribe(ws, f"dm:{cid}")  # they may still read what was said before
    await ws.send(type="send", room=f"dm:{cid}", body="Why?", key="b1", ref=1)
    assert (await ws.expect(type="error", ref=1))["code"] == "forbidden"
    await ws.close()
    async with await signed_in(live, pest) as browser:
        r = await browser.post_form(f"/messages/{cid}", {"body": "Please"})
        assert r.status_code == 403 and "block" in r.text
        r = await browser.post_form("/messages/new", {"to": amina.username, "body": "New try"})
        assert r.status_code == 422 and "You cannot start a conversation" in r.text
        r = await browser.api(
            "POST", "/api/v1/conversations", json={"to": [amina.username], "body": "API try"}
        )
        assert r.status_code == 422

    async with await signed_in(live, amina) as browser:
        assert (await browser.api("DELETE", f"/api/v1/blocks/{pest.id}")).status_code == 204
    async with await signed_in(live, pest) as browser:
        assert (await browser.post_form(f"/messages/{cid}", {"body": "Sorry"})).status_code == 303


async def test_unread_messages_are_announced_by_one_email_without_their_text(live, smtp):
    sender = await make_user(live, name=f"Sender {unique()}")
    reader = await make_user(live)
    quiet = await make_user(live)
    async with await signed_in(live, quiet) as browser:
        r = await browser.api("PATCH", "/api/v1/me/message-settings", json={"email_new_messages": False})
        assert r.status_code == 200 and r.json() == {"email_new_messages": False}
    async with await signed_in(live, sender) as browser:
        cid = await start(browser, reader.username, "The secret meeting point is platform 4")
        await browser.post_form(f"/messages/{cid}", {"body": "And bring the forms"})
        quiet_cid = await start(browser, quiet.username, "Quiet please")

    async def run_jobs() -> None:
        await asyncio.to_thread(live.run, live.app.state.scheduler.run_once())
        await asyncio.to_thread(live.run, live.app.state.outbox.deliver_due())

    def dm_mails(address: str) -> list:
        # Other email (a digest whose hour the shared clock passed) may reach the same address.
        return [m for m in smtp.to(address) if f"/messages/{cid}" in m.as_string()]

    await run_jobs()  # too early: nothing is sent before the batching time
    assert not dm_mails(reader.email)
    live.clock.advance(minutes=11)
    await run_jobs()
    smtp.wait_for(reader.email)
    mails = dm_mails(reader.email)
    assert len(mails) == 1
    mail = mails[0]
    body = mail.get_body(("plain",)).get_content()
    assert sender.name in str(mail["Subject"]) and "2 messages" in str(mail["Subject"])
    assert f"/messages/{cid}" in body
    assert "platform 4" not in mail.as_string() and sender.email not in mail.as_string()

    await run_jobs()  # nothing new: no second email
    assert len(dm_mails(reader.email)) == 1
    assert not [m for m in smtp.to(quiet.email) if f"/messages/{quiet_cid}" in m.as_string()]
    row = await asyncio.to_thread(
        live.run, lambda: Participant.get(conversation_id=quiet_cid, user_id=quiet.id)
    )
    assert row.pending_since is None

    # A message read on the site before the batching time passes is not emailed.
    async with await signed_in(live, sender) as browser:
        await browser.post_form(f"/messages/{cid}", {"body": "One more thing"})
    async with await signed_in(live, reader) as browser:
        assert "One more thing" in (await browser.get(f"/messages/{cid}")).text
    live.clock.advance(minutes=11)
    await run_jobs()
    assert len(dm_mails(reader.email)) == 1


async def test_message_settings_page_turns_email_off_and_blocks_by_username(live):
    member = await make_user(live)
    other = await make_user(live, name=f"Other {unique()}")
    async with await signed_in(live, member) as browser:
        page = await browser.get("/settings/messages")
        assert page.status_code == 200 and 'name="email_new_messages" value="true" checked' in page.text
        assert (await browser.post_form("/settings/messages", {})).status_code == 303  # unticked: off
        assert (await browser.get("/api/v1/me/message-settings")).json() == {"email_new_messages": False}
        r = await browser.post_form("/messages/block", {"username": f"@{other.username}"})
        assert r.status_code == 303 and r.headers["location"] == "/settings/messages?done=blocked"
        page = await browser.get("/settings/messages?done=blocked")
        assert other.name in page.text and "neither of you can send messages" in page.text
        assert (await browser.post_form("/messages/block", {"username": "nobody-at-all"})).status_code == 404
        profile = await browser.get(f"/u/{other.username}")
        assert "You have blocked this member" in profile.text and "Send a message" not in profile.text
