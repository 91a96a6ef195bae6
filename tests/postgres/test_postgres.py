"""The same server on PostgreSQL (the "one machine is not enough" mode): a real PostgreSQL from
Debian's packages on loopback, migrations from scratch, and the core flows end to end."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import make_user, signed_in, unique
from tests.pgserver import postgres_app
from tests.realtime.conftest import connect, make_chat_group, session_token


@pytest.fixture(scope="module")
def pg_live(tmp_path_factory, smtp):
    with postgres_app(tmp_path_factory.mktemp("pg"), smtp.port) as server:
        yield server


async def test_healthz_and_migrations_on_postgres(pg_live):
    assert pg_live.settings.database_url.startswith("postgres://")
    async with httpx.AsyncClient(base_url=pg_live.url) as client:
        r = await client.get("/healthz")
    assert r.status_code == 200 and r.json()["database"] == "up"


async def test_groups_threads_and_concurrent_replies_on_postgres(pg_live):
    moderator = await make_user(pg_live, role="moderator")
    client = await signed_in(pg_live, moderator)
    async with client:
        r = await client.api(
            "POST",
            "/api/v1/groups",
            json={
                "name": f"PG group {unique()}",
                "description": "On **PostgreSQL**",
                "visibility": "private",
            },
        )
        assert r.status_code == 201, r.text
        slug = r.json()["slug"]
        r = await client.api(
            "POST",
            f"/api/v1/groups/{slug}/threads",
            json={"title": "Housing in Łódź — «first steps»", "body": "Opening post ✓"},
        )
        assert r.status_code == 201, r.text
        thread_id = r.json()["id"]

        async def reply(i: int) -> int:
            resp = await client.api("POST", f"/api/v1/threads/{thread_id}/posts", json={"body": f"reply {i}"})
            assert resp.status_code == 201, resp.text
            return resp.json()["number"]

        numbers = await asyncio.gather(*(reply(i) for i in range(12)))
        assert sorted(numbers) == list(range(2, 14))
        page = await client.get(f"/g/{slug}/t/{thread_id}")
        assert page.status_code == 200 and "Łódź" in page.text and "reply 11" in page.text

    outsider = await signed_in(pg_live, await make_user(pg_live))
    async with outsider:
        assert (await outsider.get(f"/api/v1/threads/{thread_id}")).status_code == 404


async def test_chat_is_durable_and_ordered_on_postgres(pg_live):
    chat = await make_chat_group(pg_live)
    a, b = chat.members
    ca = await connect(pg_live, await session_token(pg_live, a))
    await ca.send(type="subscribe", room=chat.room, since=0)
    await ca.expect(type="subscribed", room=chat.room)
    cb = await connect(pg_live, await session_token(pg_live, b))

    async def send(i: int) -> None:
        await cb.send(type="send", room=chat.room, body=f"pg {i}", key=f"pg{i}", ref=i)

    await asyncio.gather(*(send(i) for i in range(10)))
    got = await ca.events(chat.room, 10)
    assert [e["seq"] for e in got] == list(range(1, 11))
    await cb.send(type="send", room=chat.room, body="pg 0", key="pg0", ref=99)
    assert (await cb.expect(type="ack", ref=99))["duplicate"] is True

    # Two members at once, on two pooled connections: each message takes the next number and its
    # log entry in one statement (realtime/service.py _STORE_MESSAGE), never another's number.
    async def burst(client, name: str) -> None:
        for i in range(5):
            await client.send(type="send", room=chat.room, body=f"{name} {i}", key=f"{name}-burst{i}")

    await asyncio.gather(burst(ca, "a"), burst(cb, "b"))
    for client, name in ((ca, "a"), (cb, "b")):
        for i in range(5):
            await client.expect(type="ack", key=f"{name}-burst{i}")

    async def stored() -> tuple[list, list, int]:
        from realtime.models import ChatMessage, Room, RoomEvent

        messages = await ChatMessage.filter(room=chat.room).order_by("seq").values_list("seq", "id")
        log = (
            await RoomEvent.filter(room=chat.room, kind="message")
            .order_by("seq")
            .values_list("seq", "message_id")
        )
        return messages, log, (await Room.get(key=chat.room)).last_seq

    messages, log, last_seq = await asyncio.to_thread(pg_live.run, stored())
    assert [tuple(m) for m in messages] == [tuple(e) for e in log]
    assert [seq for seq, _ in messages] == list(range(1, 21)) and last_seq == 20

    # Slow mode and mutes are read in one hand-written statement on every send.
    cm = await connect(pg_live, await session_token(pg_live, chat.moderator))
    await cm.send(type="slow_mode", room=chat.room, seconds=60, ref=1)
    await cm.expect(type="ack", ref=1)
    pg_live.clock.advance(seconds=61)  # every message so far is a minute old
    await cb.send(type="send", room=chat.room, body="slow one", key="slow1", ref=100)
    await cb.expect(type="ack", ref=100)
    await cb.send(type="send", room=chat.room, body="slow two", key="slow2", ref=101)
    assert (await cb.expect(type="error", ref=101))["code"] == "rate_limited"
    await ca.send(type="send", room=chat.room, body="a is not slowed yet", key="a1", ref=102)
    await ca.expect(type="ack", ref=102)
    await cm.send(type="mute", room=chat.room, user_id=a.id, minutes=10, ref=2)
    await cm.expect(type="ack", ref=2)
    pg_live.clock.advance(seconds=61)  # past slow mode, within the mute
    await ca.send(type="send", room=chat.room, body="muted", key="a2", ref=103)
    assert (await ca.expect(type="error", ref=103))["code"] == "forbidden"
    await cb.send(type="send", room=chat.room, body="slow three", key="slow3", ref=104)
    assert (await cb.expect(type="ack", ref=104))[
        "seq"
    ] == 25  # after 20 messages, slow mode, slow one, a1 and the mute
    for c in (ca, cb, cm):
        await c.close()


async def test_outbox_sends_once_on_postgres(pg_live, smtp):
    to = f"{unique()}@example.org"
    outbox = pg_live.app.state.outbox

    async def twice() -> list[bool]:
        return [
            await outbox.enqueue(
                key=f"pg:{to}", kind="test", to_email=to, subject="PG", text="hello", html=None
            )
            for _ in range(2)
        ]

    assert await asyncio.to_thread(pg_live.run, twice()) == [True, False]
    stats = await asyncio.to_thread(pg_live.run, outbox.deliver_due())
    assert stats.sent == 1
    assert len(smtp.wait_for(to)) == 1
