"""Direct fan-out (realtime/fastpath.py): with the shipped server settings, room events are written
straight to each connection's transport; with compression on, every frame takes the ASGI path.
Either way each subscriber gets every message once and in order."""

from __future__ import annotations

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
async def test_with_compression_on_frames_take_the_asgi_path(tmp_path, compression):
    from tests.conftest import start_server

    live = start_server(tmp_path, ws_compression=True)
    try:
        chat = await make_chat_group(live)
        ca, cb = await chat_round(live, chat, compression=compression)
        negotiated = ca.ws.response.headers.get("Sec-WebSocket-Extensions") or ""
        assert ("permessage-deflate" in negotiated) == (compression is not None)
        conns = hub_connections(live, {u.id for u in chat.members})
        # Compressed connections cannot share one prebuilt frame; uncompressed ones still can.
        assert len(conns) == 2 and all((c.direct is None) == (compression is not None) for c in conns)
        await ca.close()
        await cb.close()
    finally:
        live.stop()
