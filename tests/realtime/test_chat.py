"""Live chat over /ws with real websockets clients: delivery, order, catch-up, idempotency, limits."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import pytest
import websockets

from tests.conftest import query_plan, signed_in
from tests.realtime.conftest import connect, session_token


async def subscribed(client, room, since=0):
    await client.send(type="subscribe", room=room, since=since)
    return await client.expect(type="subscribed", room=room)


async def test_two_members_chat_and_see_each_others_messages(live, chat):
    a, b = chat.members
    ca = await connect(live, await session_token(live, a))
    cb = await connect(live, await session_token(live, b))
    await subscribed(ca, chat.room)
    await subscribed(cb, chat.room)

    await ca.send(type="send", room=chat.room, body="Hello **everyone**", key="k1", ref=1)
    ack = await ca.expect(type="ack", ref=1)
    assert ack["duplicate"] is False
    ev_b = (await cb.events(chat.room, 1))[0]
    ev_a = (await ca.events(chat.room, 1))[0]
    assert ev_a == ev_b
    assert ev_b["seq"] == ack["seq"] == 1
    assert ev_b["data"]["html"] == "<p>Hello <strong>everyone</strong></p>"
    assert ev_b["data"]["author"]["name"] == a.name

    await cb.send(type="send", room=chat.room, body="Hi!", key="k2")
    assert (await ca.events(chat.room, 1))[0]["seq"] == 2
    await ca.close()
    await cb.close()


async def test_anonymous_wrong_origin_and_non_member_are_refused(live, chat):
    with pytest.raises(websockets.InvalidStatus) as anon:
        await connect(live, None)
    assert anon.value.response.status_code == 403

    token = await session_token(live, chat.members[0])
    with pytest.raises(websockets.InvalidStatus) as cross:
        await connect(live, token, origin="https://evil.example")
    assert cross.value.response.status_code == 403

    outsider = await connect(live, await session_token(live, chat.outsider))
    await outsider.send(type="subscribe", room=chat.room, since=0, ref=9)
    err = await outsider.expect(type="error", ref=9)
    assert err["code"] in ("not_found", "forbidden")
    await outsider.send(type="send", room=chat.room, body="let me in", key="x", ref=10)
    err = await outsider.expect(type="error", ref=10)
    assert err["code"] in ("not_found", "forbidden")
    await outsider.close()


async def test_reader_who_is_not_a_member_can_follow_but_not_send(live):
    from tests.realtime.conftest import make_chat_group

    group = await make_chat_group(live, visibility="public", members=1)
    reader = await connect(live, await session_token(live, group.outsider))
    await subscribed(reader, group.room)
    await reader.send(type="send", room=group.room, body="hello", key="r1", ref=3)
    err = await reader.expect(type="error", ref=3)
    assert err["code"] == "forbidden"
    await reader.close()


async def test_client_that_disconnects_gets_every_missed_message_once_in_order(live, chat):
    a, b = chat.members
    ca = await connect(live, await session_token(live, a))
    await subscribed(ca, chat.room)
    await ca.send(type="send", room=chat.room, body="before", key="b0")
    first = (await ca.events(chat.room, 1))[0]
    await ca.close()

    cb = await connect(live, await session_token(live, b))
    await subscribed(cb, chat.room)
    for i in range(8):
        await cb.send(type="send", room=chat.room, body=f"missed {i}", key=f"m{i}", ref=i)
        await cb.expect(type="ack", ref=i)

    ca = await connect(live, await session_token(live, a))
    await subscribed(ca, chat.room, since=first["seq"])
    # A live message sent while A is catching up must also arrive exactly once.
    await cb.send(type="send", room=chat.room, body="live", key="live")
    got = await ca.events(chat.room, 9)
    seqs = [e["seq"] for e in got]
    assert seqs == list(range(first["seq"] + 1, first["seq"] + 10))
    assert [e["data"]["html"] for e in got[:8]] == [f"<p>missed {i}</p>" for i in range(8)]
    assert got[8]["data"]["html"] == "<p>live</p>"
    with pytest.raises(asyncio.TimeoutError):
        await ca.expect(timeout=0.5, type="event", room=chat.room)  # nothing twice
    await ca.close()
    await cb.close()


async def test_retried_send_with_same_key_is_stored_once(live, chat):
    a = chat.members[0]
    ca = await connect(live, await session_token(live, a))
    await subscribed(ca, chat.room)
    await ca.send(type="send", room=chat.room, body="once", key="same-key", ref=1)
    first = await ca.expect(type="ack", ref=1)
    await ca.close()
    # The connection dropped before the client saw the ack; it retries on a new one.
    ca = await connect(live, await session_token(live, a))
    await ca.send(type="send", room=chat.room, body="once", key="same-key", ref=2)
    second = await ca.expect(type="ack", ref=2)
    assert second["duplicate"] is True
    assert (second["id"], second["seq"]) == (first["id"], first["seq"])

    from realtime.models import ChatMessage

    count = await asyncio.to_thread(
        live.run, lambda: ChatMessage.filter(room=chat.room, client_key="same-key").count()
    )
    assert count == 1
    await ca.close()


async def test_a_send_reads_only_indexes_however_long_the_history(live, chat):
    """Every send reads the sender's standing and the room's send state (retried key, mute, slow
    mode) in one statement: each part must be a look-up in an index, never a scan of the room's
    messages (slow mode once scanned every message the sender had ever sent there)."""
    from realtime import service

    async def plan() -> list[str]:
        sql = service._GROUP_SEND_STATE.sql("sqlite")
        values = [*service._send_state_values(chat.room, chat.members[0].id, "key"), chat.members[0].id, 1]
        return await query_plan(sql, values)

    details = await asyncio.to_thread(live.run, plan)
    assert [d for d in details if d.startswith("SEARCH")], details
    assert not [d for d in details if d.startswith("SCAN")], details
    assert any("rt_messages USING COVERING INDEX" in d and "client_key" not in d for d in details), details


async def test_oversized_frame_and_flooding_get_error_frames(live, chat):
    ca = await connect(live, await session_token(live, chat.members[0]))
    await ca.ws.send(json.dumps({"type": "send", "room": chat.room, "body": "x" * 20000, "key": "big"}))
    err = await ca.expect(type="error")
    assert err["code"] == "too_large"

    for i in range(60):
        await ca.send(type="ping", ref=i)
    errors = []
    for _ in range(60):
        frame = await ca.recv()
        if frame["type"] == "error":
            errors.append(frame)
    assert errors and errors[0]["code"] == "rate_limited"
    await ca.close()


async def test_invalid_frames_get_a_clear_error(live, chat):
    ca = await connect(live, await session_token(live, chat.members[0]))
    await ca.ws.send("not json")
    assert (await ca.expect(type="error"))["code"] == "bad_frame"
    await ca.send(type="fly", ref=1)
    assert (await ca.expect(type="error", ref=1))["code"] == "unknown_type"
    await ca.send(type="send", room=chat.room, body="", key="e", ref=2)
    assert (await ca.expect(type="error", ref=2))["code"] == "invalid"
    await ca.send(type="subscribe", room="nowhere:1", ref=3)
    assert (await ca.expect(type="error", ref=3))["code"] == "not_found"
    await ca.close()


async def test_moderator_hides_message_and_every_client_updates(live, chat):
    a, b = chat.members
    ca = await connect(live, await session_token(live, a))
    cm = await connect(live, await session_token(live, chat.moderator))
    await subscribed(ca, chat.room)
    await subscribed(cm, chat.room)
    await ca.send(type="send", room=chat.room, body="something rude", key="rude", ref=1)
    msg_id = (await ca.expect(type="ack", ref=1))["id"]
    await cm.events(chat.room, 1)

    # A member may not hide someone else's message.
    cb = await connect(live, await session_token(live, b))
    await cb.send(type="hide", room=chat.room, id=msg_id, ref=5)
    assert (await cb.expect(type="error", ref=5))["code"] == "forbidden"

    await cm.send(type="hide", room=chat.room, id=msg_id, ref=2)
    hidden = [e for e in await ca.events(chat.room, 2) if e["kind"] == "hidden"]
    assert hidden and hidden[0]["data"]["id"] == msg_id

    # History over HTTP no longer shows it; a late joiner replays it as hidden.
    client = await signed_in(live, b)
    async with client:
        r = await client.get(f"/api/v1/rooms/{chat.room}/messages")
    assert r.status_code == 200
    assert all(m["id"] != msg_id for m in r.json())
    await subscribed(cb, chat.room)
    replay = await cb.events(chat.room, 2)
    assert replay[0]["data"]["state"] == "hidden" and replay[0]["data"]["html"] == ""

    # Slow mode: one message per 60 s.
    await cm.send(type="slow_mode", room=chat.room, seconds=60, ref=3)
    await cm.expect(type="ack", ref=3)
    await cb.send(type="send", room=chat.room, body="one", key="s1", ref=6)
    await cb.expect(type="ack", ref=6)
    await cb.send(type="send", room=chat.room, body="two", key="s2", ref=7)
    assert (await cb.expect(type="error", ref=7))["code"] == "rate_limited"

    # Mute: the member cannot send at all.
    await cm.send(type="mute", room=chat.room, user_id=a.id, minutes=10, ref=4)
    await cm.expect(type="ack", ref=4)
    await ca.send(type="send", room=chat.room, body="still here", key="muted", ref=8)
    assert (await ca.expect(type="error", ref=8))["code"] == "forbidden"
    for c in (ca, cb, cm):
        await c.close()


async def test_history_over_http_pages_backwards_and_respects_access(live, chat):
    a = chat.members[0]
    ca = await connect(live, await session_token(live, a))
    for i in range(5):
        await ca.send(type="send", room=chat.room, body=f"h{i}", key=f"h{i}", ref=i)
        await ca.expect(type="ack", ref=i)
    await ca.close()
    client = await signed_in(live, a)
    async with client:
        page = (await client.get(f"/api/v1/rooms/{chat.room}/messages?limit=3")).json()
        assert [m["html"] for m in page] == ["<p>h2</p>", "<p>h3</p>", "<p>h4</p>"]
        older = (await client.get(f"/api/v1/rooms/{chat.room}/messages?before={page[0]['seq']}")).json()
        assert [m["html"] for m in older] == ["<p>h0</p>", "<p>h1</p>"]
        bad = await client.get(f"/api/v1/rooms/{chat.room}/messages?limit=abc")
        assert bad.status_code == 422
    outsider = await signed_in(live, chat.outsider)
    async with outsider:
        assert (await outsider.get(f"/api/v1/rooms/{chat.room}/messages")).status_code == 403
    async with httpx.AsyncClient(base_url=live.url) as anon:
        assert (await anon.get(f"/api/v1/rooms/{chat.room}/messages")).status_code == 401


async def test_slow_client_is_cut_off_without_delaying_others(tmp_path, smtp):
    from tests.conftest import start_server
    from tests.realtime.conftest import make_chat_group

    # A private server whose flood limit lets one sender post quickly, with a short queue. With
    # compression on, the fast reader (which offers permessage-deflate) gets its ~4 KB frames
    # compressed through the ASGI path and keeps up although it shares this process with the server;
    # the stalled reader offers no compression, so its frames take the direct path
    # (realtime/fastpath.py) until its transport pauses, then the queue, then 4008.
    live = start_server(
        tmp_path, ws_rate_per_second=10_000.0, ws_rate_burst=10_000, ws_queue_frames=64, ws_compression=True
    )
    try:
        await _slow_client_scenario(live, await make_chat_group(live))
    finally:
        live.stop()


N = 1600


class StalledReader:
    """A real WebSocket client (websockets' sans-I/O protocol) on a socket with a tiny receive
    buffer that, once subscribed, stops reading: the server's buffers fill up behind it."""

    def __init__(self, live, token):
        from websockets.client import ClientProtocol
        from websockets.protocol import State
        from websockets.uri import parse_uri

        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", int(live.url.rsplit(":", 1)[1])))
        self.proto = ClientProtocol(
            parse_uri(live.url.replace("http", "ws") + "/ws"), origin=live.url, max_size=2**20
        )
        request = self.proto.connect()
        request.headers["Cookie"] = f"convene_session={token}"
        self.proto.send_request(request)
        self._flush()
        while self.proto.state != State.OPEN:
            self.proto.receive_data(self.sock.recv(65536))
        self.frames = []

    def _flush(self):
        for chunk in self.proto.data_to_send():
            if chunk:
                self.sock.sendall(chunk)

    def send(self, **frame):
        self.proto.send_text(json.dumps(frame).encode())
        self._flush()

    def read_until(self, predicate):
        while True:
            for event in self.proto.events_received():
                if getattr(event, "opcode", None) is not None and event.opcode.name == "TEXT":
                    self.frames.append(json.loads(event.data))
            if predicate():
                return
            data = self.sock.recv(65536)
            self.proto.receive_data(data)
            if not data:
                return

    def close_code(self):
        self.read_until(lambda: self.proto.close_rcvd is not None)
        return self.proto.close_rcvd.code if self.proto.close_rcvd else None


async def _slow_client_scenario(live, chat):
    a, b = chat.members
    slow = StalledReader(live, await session_token(live, a))
    slow.send(type="subscribe", room=chat.room, since=0)
    slow.read_until(lambda: any(f["type"] == "subscribed" for f in slow.frames))
    stalled = [c for c in list(live.app.state.hub.connections) if c.user_id == a.id]
    assert len(stalled) == 1 and stalled[0].direct is not None  # no compression offered: direct path
    fast = await connect(live, await session_token(live, b))
    await subscribed(fast, chat.room)
    sender = await connect(live, await session_token(live, chat.moderator))

    # The stalled reader never reads again. N messages of ~4 KB overflow the kernel's socket
    # buffers (up to 4 MB here) and then its bounded send queue.
    body = "x" * 3900
    loop = asyncio.get_running_loop()
    started = loop.time()
    for i in range(N):
        await sender.send(type="send", room=chat.room, body=f"{i} {body}", key=f"f{i}")
        if i % 25 == 24:
            await sender.expect(type="ack", key=f"f{i}")
    got = await fast.events(chat.room, N, timeout=120)
    assert [e["seq"] for e in got] == list(range(1, N + 1))
    assert loop.time() - started < 120

    # The stalled client was disconnected with 4008 once its queue overflowed; what it did get
    # was in order, so it can reconnect with since=<last seq> and catch up.
    assert slow.close_code() == 4008
    seqs = [f["seq"] for f in slow.frames if f["type"] == "event"]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) < N
    again = await connect(live, await session_token(live, a))
    await subscribed(again, chat.room, since=seqs[-1])
    rest = []
    while len(rest) < N - len(seqs):
        frame = await again.recv(timeout=30)
        if frame["type"] == "event":
            rest.append(frame)
        elif frame["type"] == "catchup":  # more than one page behind: ask for the next page
            await again.send(type="subscribe", room=chat.room, since=frame["since"])
    assert [e["seq"] for e in rest] == list(range(seqs[-1] + 1, N + 1))
    slow.sock.close()
    for c in (fast, sender, again):
        await c.close()


async def test_member_removed_from_private_group_stops_receiving_at_once(live, chat):
    a, b = chat.members
    ca = await connect(live, await session_token(live, a))
    cb = await connect(live, await session_token(live, b))
    await subscribed(ca, chat.room)
    await subscribed(cb, chat.room)

    moderator = await signed_in(live, chat.moderator)
    async with moderator:
        r = await moderator.api("DELETE", f"/api/v1/groups/{chat.group.slug}/members/{b.id}")
    assert r.status_code == 204
    gone = await cb.expect(type="unsubscribed", room=chat.room)
    assert gone["reason"] == "access_removed"

    await ca.send(type="send", room=chat.room, body="after removal", key="after", ref=1)
    await ca.expect(type="ack", ref=1)
    await ca.events(chat.room, 1)
    with pytest.raises(asyncio.TimeoutError):
        await cb.expect(timeout=0.5, type="event", room=chat.room)
    # And they cannot come back in through the socket.
    await cb.send(type="subscribe", room=chat.room, since=0, ref=2)
    assert (await cb.expect(type="error", ref=2))["code"] in ("forbidden", "not_found")
    await ca.close()
    await cb.close()


async def test_client_catches_up_after_the_server_process_restarts(tmp_path):
    from tests.conftest import start_server
    from tests.realtime.conftest import make_chat_group

    first = start_server(tmp_path)
    chat = await make_chat_group(first)
    a, b = chat.members
    token_a = await session_token(first, a)
    token_b = await session_token(first, b)
    ca = await connect(first, token_a)
    await subscribed(ca, chat.room)
    for i in range(3):
        await ca.send(type="send", room=chat.room, body=f"before {i}", key=f"b{i}", ref=i)
        await ca.expect(type="ack", ref=i)
    seen = await ca.events(chat.room, 3)
    first.stop()  # the server process goes away with the client connected
    with pytest.raises(websockets.ConnectionClosed):
        await asyncio.wait_for(ca.ws.recv(), 10)

    second = start_server(tmp_path)  # same data folder: same database and secret
    try:
        cb = await connect(second, token_b)  # sessions survive the restart
        await subscribed(cb, chat.room, since=3)
        for i in range(2):
            await cb.send(type="send", room=chat.room, body=f"after {i}", key=f"a{i}", ref=i)
            await cb.expect(type="ack", ref=i)
        ca = await connect(second, token_a)
        await subscribed(ca, chat.room, since=seen[-1]["seq"])
        got = await ca.events(chat.room, 2)
        assert [e["seq"] for e in got] == [4, 5]
        assert [e["data"]["html"] for e in got] == ["<p>after 0</p>", "<p>after 1</p>"]
        await ca.close()
        await cb.close()
    finally:
        second.stop()


async def test_presence_lists_members_here_except_those_who_hide(live, chat):
    a, b = chat.members
    hider = await signed_in(live, b)
    async with hider:
        r = await hider.api("PATCH", "/api/v1/me", json={"hide_presence": True})
        assert r.status_code == 200 and r.json()["hide_presence"] is True
    cb = await connect(live, await session_token(live, b))
    await subscribed(cb, chat.room)
    ca = await connect(live, await session_token(live, a))
    sub = await subscribed(ca, chat.room)
    names = {m["name"] for m in sub["presence"]}
    assert a.name in names and b.name not in names

    # Later changes come as deltas: who joined (with a name) or left, never the whole list again.
    c = chat.moderator
    cc = await connect(live, await session_token(live, c))
    await subscribed(cc, chat.room)
    change = await ca.expect(type="presence", room=chat.room)
    while c.id not in {m["id"] for m in change["joined"]}:  # a's own arrival may come first
        change = await ca.expect(type="presence", room=chat.room)
    assert {"id": c.id, "name": c.name} in change["joined"] and "members" not in change
    assert {m["id"] for m in change["joined"]} <= {a.id, c.id}  # only who changed; b hides
    await cc.close()
    gone = await ca.expect(type="presence", room=chat.room)
    assert gone == {"type": "presence", "room": chat.room, "joined": [], "left": [c.id]}
    ca.pending = [f for f in ca.pending if f["type"] != "presence"]

    # Typing is shown to others, and throttled.
    await ca.send(type="typing", room=chat.room)
    typing = await cb.expect(type="typing", room=chat.room)
    assert typing["user"]["name"] == a.name
    await ca.send(type="typing", room=chat.room)
    with pytest.raises(asyncio.TimeoutError):
        await cb.expect(timeout=0.5, type="typing", room=chat.room)

    # Read markers are stored and returned on the next subscribe.
    await ca.send(type="send", room=chat.room, body="mark me", key="rm", ref=1)
    seq = (await ca.expect(type="ack", ref=1))["seq"]
    await cb.send(type="read", room=chat.room, seq=seq)
    assert (await cb.expect(type="read", room=chat.room))["seq"] == seq
    again = await connect(live, await session_token(live, b))
    assert (await subscribed(again, chat.room))["read"] == seq
    for c in (ca, cb, again):
        await c.close()
