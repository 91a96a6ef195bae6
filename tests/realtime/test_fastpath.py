"""Direct fan-out (realtime/fastpath.py): with the shipped server settings, room events are written
straight to each connection's transport; with compression on, every frame takes the ASGI path.
Either way each subscriber gets every message once and in order."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.realtime.conftest import connect, make_chat_group, session_token
from tests.realtime.test_chat import subscribed

MESSAGES = 25  # within a connection's burst allowance (30 frames)


def hub_connections(live, user_ids):
    return [c for c in list(live.app.state.hub.connections) if c.user_id in user_ids]


async def chat_round(live, chat, **connect_kw):
    a, b = chat.members
    ca = await connect(live, await session_token(live, a), **connect_kw)
    cb = await connect(live, await session_token(live, b), **connect_kw)
    await subscribed(ca, chat.room)
    await subscribed(cb, chat.room)
    for i in range(MESSAGES):
        await ca.send(type="send", room=chat.room, body=f"message {i} ünïcödé ✓", key=f"k{i}", ref=i)
        await ca.expect(type="ack", ref=i)
    got_b = await cb.events(chat.room, MESSAGES)
    got_a = await ca.events(chat.room, MESSAGES)
    assert [e["seq"] for e in got_b] == list(range(1, MESSAGES + 1))
    assert got_a == got_b
    assert got_b[-1]["data"]["html"] == f"<p>message {MESSAGES - 1} ünïcödé ✓</p>"
    return ca, cb


async def test_events_go_straight_to_the_transport_by_default(live):
    chat = await make_chat_group(live)
    ca, cb = await chat_round(live, chat)  # the client offers permessage-deflate; the server declines
    assert "permessage-deflate" not in (ca.ws.response.headers.get("Sec-WebSocket-Extensions") or "")
    conns = hub_connections(live, {u.id for u in chat.members})
    assert len(conns) == 2 and all(c.direct is not None for c in conns)
    assert all(c.queued == 0 for c in conns)
    await ca.close()
    await cb.close()


@pytest.mark.parametrize("compression", ["deflate", None])
async def test_with_compression_on_each_connection_compresses_its_own_frames(tmp_path, compression):
    from tests.conftest import start_server

    live = start_server(tmp_path, ws_compression=True)
    try:
        chat = await make_chat_group(live)
        ca, cb = await chat_round(live, chat, compression=compression)
        negotiated = ca.ws.response.headers.get("Sec-WebSocket-Extensions") or ""
        assert ("permessage-deflate" in negotiated) == (compression is not None)
        conns = hub_connections(live, {u.id for u in chat.members})
        # Compressed connections cannot share one prebuilt frame: each hands its texts to its own
        # protocol object (its own compression state). Uncompressed ones still share the frame.
        assert len(conns) == 2
        assert all((c.direct is None) == (compression is not None) for c in conns)
        assert all((c.direct_texts is None) == (compression is None) for c in conns)
        assert all(c.queued == 0 for c in conns)
        await ca.close()
        await cb.close()
    finally:
        live.stop()


BATCH = 5


async def publish_together(live, chat, author, *, groups=(BATCH,), chunk=None, queued=False):
    """On the server's loop, store BATCH messages, then publish them in `groups` (sizes), each
    group within one turn of the loop (as happens under load, when several sends finish storing
    while a fan-out runs), letting the loop turn once between groups. `chunk` sets how many
    connections the hub serves per turn meanwhile; `queued` takes the direct writers away, as on a
    server without them, so every frame takes the queued ASGI path. Returns what each listener's
    direct writer was given, one entry per call (bytes: a prebuilt write, or the texts given to a
    compressed connection's writer, joined)."""
    from realtime import service

    hub = live.app.state.hub
    conns = [c for c in hub.rooms.get(chat.room, ()) if c.user_id in {u.id for u in chat.members}]
    writes = {c.user_id: [] for c in conns}

    async def go():
        events = []
        for i in range(BATCH):
            event, created = await service.do_send_message(
                author, chat.room, body=f"together {i}", client_key=f"t{i}", clock=live.clock
            )
            assert created
            events.append(event)
        originals = {conn: (conn.direct, conn.direct_texts) for conn in conns}
        for conn in conns:
            log = writes[conn.user_id]
            if queued:
                conn.direct = conn.direct_texts = None
            elif conn.direct is not None:

                def spy(wire, _write=conn.direct, _log=log):
                    _log.append(wire)
                    return _write(wire)

                conn.direct = spy
            elif conn.direct_texts is not None:

                def spy_texts(texts, _write=conn.direct_texts, _log=log):
                    _log.append("".join(texts).encode())
                    return _write(texts)

                conn.direct_texts = spy_texts
        shipped = hub.limits.fanout_chunk
        hub.limits.fanout_chunk = chunk or shipped
        try:
            todo = iter(events)
            for size in groups:
                for _ in range(size):  # no suspension between these: one turn of the loop
                    await hub.publish(chat.room, next(todo))
                await asyncio.sleep(0)  # the hub takes its next step
            for _ in range(100):  # turns of the loop (no time passes) until the fan-out is done
                if not hub._jobs and not hub._pending:
                    break
                await asyncio.sleep(0)
        finally:
            hub.limits.fanout_chunk = shipped
            for conn, (direct, direct_texts) in originals.items():
                conn.direct, conn.direct_texts = direct, direct_texts

    await asyncio.to_thread(live.run, go)
    return writes


def written_together(writes):
    """The message keys in each write that carried any of the published messages."""
    return [[int(k) for k in re.findall(rb'"key":"t(\d)"', w)] for w in writes if b"together" in w]


async def test_events_published_in_one_turn_reach_each_connection_in_one_write(live):
    chat = await make_chat_group(live)
    a, b = chat.members
    ca, cb = await chat_round(live, chat)
    writes = await publish_together(live, chat, a)
    for client in (ca, cb):
        got = await client.events(chat.room, BATCH)
        assert [e["data"]["html"] for e in got] == [f"<p>together {i}</p>" for i in range(BATCH)]
        assert [e["seq"] for e in got] == list(range(MESSAGES + 1, MESSAGES + BATCH + 1))
    for user in (a, b):
        # One system call carried the five frames, in order; none was written on its own.
        assert written_together(writes[user.id]) == [list(range(BATCH))]
    await ca.close()
    await cb.close()


async def test_events_published_during_a_fan_out_join_it(live):
    chat = await make_chat_group(live)
    a, b = chat.members
    ca, cb = await chat_round(live, chat)
    # One connection per turn, so the first event's fan-out takes two turns. Two events are
    # published after its first turn: the listener it has yet to reach gets them in the same write
    # as the first, and the one it reached gets them next. Two more after that turn: that listener
    # gets them with the two it was owed, and the other right after.
    writes = await publish_together(live, chat, a, groups=(1, 2, 2), chunk=1)
    for client in (ca, cb):
        got = await client.events(chat.room, BATCH)
        assert [e["seq"] for e in got] == list(range(MESSAGES + 1, MESSAGES + BATCH + 1))
    assert sorted(written_together(writes[user.id]) for user in (a, b)) == [
        [[0], [1, 2, 3, 4]],
        [[0, 1, 2], [3, 4]],
    ]
    await ca.close()
    await cb.close()


@pytest.mark.parametrize("compression", ["deflate", None])
async def test_events_published_in_one_turn_keep_their_order_on_every_path(tmp_path, compression):
    from tests.conftest import start_server

    live = start_server(tmp_path, ws_compression=compression is not None)
    try:
        chat = await make_chat_group(live)
        ca, cb = await chat_round(live, chat, compression=compression)
        if compression:  # each connection's own writer: one call for the five, in order
            writes = await publish_together(live, chat, chat.members[0])
            assert all(written_together(w) == [list(range(BATCH))] for w in writes.values())
        else:  # no direct writer (as on another server): five frames through the queue
            writes = await publish_together(live, chat, chat.members[0], queued=True)
            assert writes == {u.id: [] for u in chat.members}
        for client in (ca, cb):
            got = await client.events(chat.room, BATCH)
            assert [e["seq"] for e in got] == list(range(MESSAGES + 1, MESSAGES + BATCH + 1))
            assert [e["data"]["html"] for e in got] == [f"<p>together {i}</p>" for i in range(BATCH)]
        await ca.close()
        await cb.close()
    finally:
        live.stop()
