"""A chat message's read and write run at once on the event loop's thread (convene/db.py _Direct),
not through Tortoise's connection thread: the same rows, the same stored message, never a wait on
the loop for a lock, and the write-ahead log still checkpointed."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
from typing import Any

import pytest

from convene import db
from realtime import service
from tests.conftest import LiveServer
from tests.realtime.conftest import connect, make_chat_group, session_token


def db_file(live: LiveServer) -> str:
    return live.settings.database_url.removeprefix("sqlite://")


def submit(live: LiveServer, work: Any) -> concurrent.futures.Future[Any]:
    """Run `work()` on the server's loop in its database context, without waiting for it."""

    async def in_context() -> Any:
        with db.current_db(live.app.state.db):
            return await work()

    return asyncio.run_coroutine_threadsafe(in_context(), live.app.state.loop)


async def test_at_once_gives_the_rows_the_connection_thread_gives(live):
    chat = await make_chat_group(live)
    a = chat.members[0]
    ca = await connect(live, await session_token(live, a))
    await ca.send(type="send", room=chat.room, body="**hello**", key="k1", ref=1)
    ack = await ca.expect(type="ack", ref=1)
    await ca.close()

    async def compare() -> dict[str, Any]:
        # Slow mode on: the read then also gives when the sender last sent (a datetime).
        await service.do_set_slow_mode(chat.moderator, chat.room, 5, clock=live.clock)
        values = (*service._send_state_values(chat.room, a.id, "k1"), a.id, chat.group.id)
        direct = db.direct_connection(db.default_db())
        assert direct is not None
        writes = direct.writes
        at_once = await service._GROUP_SEND_STATE.rows(*values, at_once=True)
        waited = await service._GROUP_SEND_STATE.rows(*values)
        before = await service.get_last_seq(chat.room)
        message = await service._store_message(chat.room, a.id, "k2", "two", "<p>two</p>", live.clock.now())
        from realtime.models import ChatMessage, RoomEvent

        stored = await ChatMessage.get(id=message.id)
        event = await RoomEvent.get(room=chat.room, seq=message.seq)
        return {
            "at_once": at_once,
            "waited": waited,
            "message": message,
            "stored": stored,
            "event": event,
            "writes": direct.writes - writes,
            "before": before,
        }

    got = await asyncio.to_thread(live.run, compare)
    assert got["at_once"] == got["waited"]
    row = got["at_once"][0]
    assert row["existing"] == ack["id"]  # the retried key is found
    assert row["slow_mode"] == 5
    assert row["last_sent"] is not None and row["last_sent"].tzinfo is not None  # as Tortoise's
    assert got["writes"] == 1  # the write went the direct way...
    message, stored = got["message"], got["stored"]
    assert message.seq == got["before"] + 1 > ack["seq"]
    # ...and stored what the connection thread reads back, with its log entry (the trigger's)
    assert (stored.seq, stored.body, stored.body_html, stored.client_key) == (
        message.seq,
        "two",
        "<p>two</p>",
        "k2",
    )
    assert stored.created_at == message.created_at
    assert got["event"].message_id == message.id and got["event"].kind == "message"


async def test_a_locked_database_makes_the_write_wait_off_the_loop(live):
    """Another writer holds SQLite's write lock: the direct write gives up at once (the loop never
    waits on a lock), the send's read still runs (WAL readers do not wait for writers), and the
    message is stored once, in order, when the lock is released."""
    chat = await make_chat_group(live)
    a = chat.members[0]
    ca = await connect(live, await session_token(live, a))
    await ca.send(type="subscribe", room=chat.room, since=0)
    await ca.expect(type="subscribed", room=chat.room)
    await ca.send(type="send", room=chat.room, body="before", key="b1", ref=1)
    first = await ca.expect(type="ack", ref=1)

    holder = sqlite3.connect(db_file(live), isolation_level=None, timeout=10)
    holder.execute("BEGIN IMMEDIATE")
    try:

        async def try_direct() -> tuple[Any, Any]:
            direct = db.direct_connection(db.default_db())
            assert direct is not None
            values = (a.id, "b2", "x", "<p>x</p>", live.clock.now(), chat.room)
            wrote = direct.rows(service._STORE_MESSAGE.sql("sqlite"), list(values))
            state = await service._GROUP_SEND_STATE.rows(
                *service._send_state_values(chat.room, a.id, "b1"), a.id, chat.group.id, at_once=True
            )
            return wrote, state

        wrote, state = await asyncio.to_thread(live.run, try_direct)
        assert wrote is None  # refused at once: nothing written
        assert state[0]["existing"] == first["id"]

        # A real send now waits for the lock in Tortoise's thread, not on the loop: the server still
        # answers other frames meanwhile.
        await ca.send(type="send", room=chat.room, body="during", key="b3", ref=3)
        await ca.send(type="typing", room=chat.room)
        pending = submit(live, lambda: service.get_last_seq(chat.room))
        assert (await asyncio.wrap_future(pending)) == first["seq"]
        with pytest.raises(asyncio.TimeoutError):
            await ca.expect(timeout=0.3, type="ack", ref=3)
    finally:
        holder.execute("COMMIT")
        holder.close()
    ack = await ca.expect(type="ack", ref=3)
    assert ack["seq"] == first["seq"] + 1
    events = await ca.events(chat.room, 2)
    assert [e["seq"] for e in events] == [first["seq"], first["seq"] + 1]
    await ca.close()

    from realtime.models import ChatMessage

    count = await asyncio.to_thread(live.run, lambda: ChatMessage.filter(room=chat.room).count())
    assert count == 2  # "b2" was never written; "during" once


async def test_direct_writes_still_checkpoint_the_write_ahead_log(tmp_path):
    """The direct connection never checkpoints on the loop; every CHECKPOINT_EVERY writes it has
    Tortoise's connection do it, so the log is reused instead of growing with every message."""
    from tests.conftest import start_server

    live = start_server(tmp_path)
    try:
        chat = await make_chat_group(live)
        author = chat.members[0].id
        every = db.CHECKPOINT_EVERY

        async def write(first: int, count: int) -> tuple[int, int]:
            for i in range(first, first + count):
                await service._store_message(chat.room, author, f"k{i}", "m", "<p>m</p>", live.clock.now())
            direct = db.direct_connection(db.default_db())
            assert direct is not None
            await direct.idle()
            return direct.checkpoints, (tmp_path / "convene.sqlite3-wal").stat().st_size

        checkpoints, size_one = await asyncio.to_thread(live.run, lambda: write(0, every))
        assert checkpoints == 1
        await asyncio.to_thread(live.run, lambda: write(every, every))
        checkpoints, size_three = await asyncio.to_thread(live.run, lambda: write(2 * every, every))
        assert checkpoints == 3
        # Without the checkpoints the log would hold three times as many pages.
        assert size_three < 1.5 * size_one, (size_one, size_three)
    finally:
        live.stop()
