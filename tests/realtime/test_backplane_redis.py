"""The redis:// backplane with a real redis-server: two server processes of one site (one database)
share live events and revocations, survive a Redis outage, and never hear a site on other channels."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from convene.errors import ConfigError
from realtime.backplane import backplane_from_url, site_namespace
from tests.conftest import LiveServer, free_port, signed_in, start_server
from tests.realtime.conftest import WSClient, connect, make_chat_group, session_token
from tests.redisserver import RedisServer, redis_server


@dataclass
class Site:
    redis: RedisServer
    one: LiveServer
    two: LiveServer
    data_dir: Path

    async def ready(self) -> None:
        await until(lambda: backplane(self.one).connected and backplane(self.two).connected, "both connect")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Two server processes of one site: the same database file, the same Redis. Migrated once for
    the module; each test makes its own group."""
    data_dir = tmp_path_factory.mktemp("site")
    with redis_server(free_port()) as redis:
        one = start_server(data_dir, backplane_url=redis.url)
        try:
            two = start_server(data_dir, backplane_url=redis.url)
            try:
                yield Site(redis, one, two, data_dir)
            finally:
                two.stop()
        finally:
            one.stop()


@contextlib.contextmanager
def another_server(data_dir, url):
    live = start_server(data_dir, backplane_url=url)
    try:
        yield live
    finally:
        live.stop()


def backplane(live):
    return live.app.state.hub.backplane


async def until(predicate, what, timeout=30.0):
    """Polls (bounded) for a state no frame announces, such as the backplane reconnecting."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.05)


async def subscribed(client, room, since=0):
    await client.send(type="subscribe", room=room, since=since)
    return await client.expect(type="subscribed", room=room)


async def quiet(client: WSClient, room: str, timeout: float = 0.5) -> list[dict]:
    """Every event or typing frame for `room` that arrives within `timeout` (there should be none)."""
    extra = [f for f in client.pending if f.get("room") == room and f["type"] in ("event", "typing")]
    with contextlib.suppress(TimeoutError):
        while True:
            frame = await client.recv(timeout)
            if frame.get("room") == room and frame["type"] in ("event", "typing"):
                extra.append(frame)
    return extra


class Shown:
    """What the reference client (static/js/realtime.js) shows of a room: each seq applied once and
    in order; on a gap it subscribes again from the last seq it applied, once until the reply comes,
    and drops what it has."""

    def __init__(self, client: WSClient, room: str) -> None:
        self.client, self.room = client, room
        self.last = 0
        self.asking = False
        self.html: list[str] = []
        self.arrived: list[int] = []  # every event's seq, as it came
        self.asked: list[int] = []  # the `since` of each catch-up it asked for

    async def until(self, seq: int, timeout: float = 15) -> list[str]:
        while self.last < seq:
            event = await self.client.expect(timeout, room=self.room)
            if event["type"] == "catchup":  # the server asks it to subscribe again from its last seq
                self.asked.append(event["since"])
                await self.client.send(type="subscribe", room=self.room, since=self.last)
                continue
            if event["type"] == "subscribed":
                self.asking = False
            if event["type"] != "event":
                continue
            self.arrived.append(event["seq"])
            if event["seq"] <= self.last:
                continue
            if event["seq"] > self.last + 1:
                if not self.asking:
                    self.asked.append(self.last)
                    await self.client.send(type="subscribe", room=self.room, since=self.last)
                self.asking = True
                continue
            self.last = event["seq"]
            self.html.append(event["data"]["html"])
        return self.html


async def test_members_on_two_servers_see_each_others_messages_once_and_in_order(site):
    await site.ready()
    one, two = site.one, site.two
    assert backplane(one).prefix == backplane(two).prefix  # one site, one set of channels
    assert backplane(one).connected and backplane(two).connected
    chat = await make_chat_group(one)
    a, b = chat.members
    ca = await connect(one, await session_token(one, a))
    cb = await connect(two, await session_token(two, b))
    await subscribed(ca, chat.room)
    await subscribed(cb, chat.room)

    for i in range(10):  # sent without waiting for each ack
        await cb.send(type="send", room=chat.room, body=f"from two {i}", key=f"t{i}")
    got = await ca.events(chat.room, 10)
    assert [e["seq"] for e in got] == list(range(1, 11))
    assert [e["data"]["html"] for e in got] == [f"<p>from two {i}</p>" for i in range(10)]
    assert await cb.events(chat.room, 10) == got

    for i in range(10):
        await ca.send(type="send", room=chat.room, body=f"from one {i}", key=f"o{i}")
    got = await cb.events(chat.room, 10)
    assert [e["seq"] for e in got] == list(range(11, 21))
    assert [e["data"]["html"] for e in got] == [f"<p>from one {i}</p>" for i in range(10)]
    assert await ca.events(chat.room, 10) == got

    # Typing is not in the room's log (no seq to drop a repeat by): each side sees it exactly
    # once, so a server skips its own messages when Redis hands them back.
    await ca.send(type="typing", room=chat.room)
    assert (await cb.expect(type="typing", room=chat.room))["user"]["id"] == a.id
    assert (await ca.expect(type="typing", room=chat.room))["user"]["id"] == a.id
    assert await asyncio.gather(quiet(ca, chat.room), quiet(cb, chat.room)) == [[], []]
    await ca.close()
    await cb.close()


class Present:
    """Who the reference client shows as present in a room: the list in `subscribed`, then each
    presence frame applied (joined added, left removed)."""

    def __init__(self, client: WSClient, room: str, subscribed_frame: dict) -> None:
        self.client, self.room = client, room
        self.ids = {p["id"] for p in subscribed_frame["presence"]}

    async def until(self, predicate, timeout: float = 15) -> set[int]:
        while not predicate(self.ids):
            frame = await self.client.expect(timeout, type="presence", room=self.room)
            self.ids |= {p["id"] for p in frame["joined"]}
            self.ids -= set(frame["left"])
        return self.ids


async def test_senders_on_both_servers_at_once_take_consecutive_numbers(site):
    """Two processes write one SQLite file: each message takes its number, and its log entry, in one
    statement (realtime/service.py _STORE_MESSAGE and its trigger), never the same as the other's.
    Each process hears the other's messages later than its own, so a client may see a gap and
    subscribe again to fill it (Shown): it still shows every message once, in order."""
    await site.ready()
    chat = await make_chat_group(site.one)
    a, b = chat.members
    ca = await connect(site.one, await session_token(site.one, a))
    cb = await connect(site.two, await session_token(site.two, b))
    await subscribed(ca, chat.room)
    await subscribed(cb, chat.room)

    async def send(client, name):
        for i in range(15):  # without waiting for each ack
            await client.send(type="send", room=chat.room, body=f"{name} {i}", key=f"{name}{i}")

    await asyncio.gather(send(ca, "one"), send(cb, "two"))
    shown_one, shown_two = Shown(ca, chat.room), Shown(cb, chat.room)
    html = await shown_one.until(30)
    assert await shown_two.until(30) == html
    assert sorted(html) == sorted(f"<p>{name} {i}</p>" for name in ("one", "two") for i in range(15))
    # Each sender's own messages keep their order.
    for name in ("one", "two"):
        assert [h for h in html if h.startswith(f"<p>{name} ")] == [f"<p>{name} {i}</p>" for i in range(15)]
    with sqlite3.connect(site.data_dir / "convene.sqlite3") as db:
        messages = db.execute(
            "SELECT seq, body FROM rt_messages WHERE room = ? ORDER BY seq", (chat.room,)
        ).fetchall()
        log = db.execute(
            "SELECT e.seq, m.body FROM rt_events e JOIN rt_messages m ON m.id = e.message_id "
            "WHERE e.room = ? AND e.kind = 'message' ORDER BY e.seq",
            (chat.room,),
        ).fetchall()
        last_seq = db.execute("SELECT last_seq FROM rt_rooms WHERE key = ?", (chat.room,)).fetchone()
    assert (
        messages
        == log
        == [(seq, h.removeprefix("<p>").removesuffix("</p>")) for seq, h in enumerate(html, 1)]
    )
    assert last_seq == (30,)
    await ca.close()
    await cb.close()


async def test_presence_shows_the_members_on_every_server_of_the_site(site):
    from realtime.presence import PresenceBoard

    await site.ready()
    one, two = site.one, site.two
    chat = await make_chat_group(one, members=3)
    a, b, c = chat.members
    cb = await connect(two, await session_token(two, b))
    shown_b = Present(cb, chat.room, await subscribed(cb, chat.room))
    ca = await connect(one, await session_token(one, a))
    shown_a = Present(ca, chat.room, await subscribed(ca, chat.room))
    # Connected to different processes, each sees the other.
    await shown_b.until(lambda ids: a.id in ids)
    await shown_a.until(lambda ids: b.id in ids)

    # Someone joining later is given the whole room, wherever its members are connected.
    cc = await connect(one, await session_token(one, c))
    assert {p["id"] for p in (await subscribed(cc, chat.room))["presence"]} == {a.id, b.id, c.id}
    await shown_b.until(lambda ids: c.id in ids)

    # Leaving on one server shows on the other.
    await ca.close()
    assert await shown_b.until(lambda ids: a.id not in ids) == {b.id, c.id}

    # A server that falls silent (killed, cut off) is forgotten once it has not been heard from
    # for PresenceBoard.EXPIRY seconds: the clock is moved on rather than waited for.
    async def later():
        two.app.state.hub.expire_presence(time.monotonic() + PresenceBoard.EXPIRY + 1)

    await asyncio.to_thread(two.run, later)
    assert await shown_b.until(lambda ids: c.id not in ids) == {b.id}
    await cb.close()
    await cc.close()


async def test_member_removed_on_one_server_stops_receiving_at_once_on_the_other(site):
    await site.ready()
    one, two = site.one, site.two
    chat = await make_chat_group(one)
    a, b = chat.members
    cb = await connect(one, await session_token(one, b))  # the member who will be removed, on one
    ca = await connect(two, await session_token(two, a))
    await subscribed(cb, chat.room)
    await subscribed(ca, chat.room)

    moderator = await signed_in(two, chat.moderator)  # the moderator acts on the other server
    async with moderator:
        r = await moderator.api("DELETE", f"/api/v1/groups/{chat.group.slug}/members/{b.id}")
    assert r.status_code == 204
    gone = await cb.expect(type="unsubscribed", room=chat.room)
    assert gone["reason"] == "access_removed"

    await ca.send(type="send", room=chat.room, body="after removal", key="after", ref=1)
    await ca.expect(type="ack", ref=1)
    await ca.events(chat.room, 1)
    assert await quiet(cb, chat.room) == []
    await ca.close()
    await cb.close()


async def test_redis_outage_keeps_local_delivery_and_clients_catch_up_after_it(site):
    await site.ready()
    one, two, redis = site.one, site.two, site.redis
    chat = await make_chat_group(one, members=3)
    a, b, c = chat.members
    ca = await connect(one, await session_token(one, a))
    cb = await connect(two, await session_token(two, b))
    await subscribed(ca, chat.room)
    await subscribed(cb, chat.room)
    shown_a, shown_b = Shown(ca, chat.room), Shown(cb, chat.room)
    await cb.send(type="send", room=chat.room, body="before", key="k0")
    assert await shown_a.until(1) == await shown_b.until(1) == ["<p>before</p>"]

    redis.stop()
    await until(lambda: not (backplane(one).connected or backplane(two).connected), "Redis is seen gone")
    # Each server still delivers to its own clients, live; the other server's do not hear it.
    await ca.send(type="send", room=chat.room, body="one alone", key="k1", ref=1)
    assert (await ca.expect(type="ack", ref=1))["seq"] == 2
    assert await shown_a.until(2) == ["<p>before</p>", "<p>one alone</p>"]
    await cb.send(type="send", room=chat.room, body="two alone", key="k2", ref=2)
    assert (await cb.expect(type="ack", ref=2))["seq"] == 3
    # B gets its own 3 live, sees that 2 is missing and catches up from the room's log.
    assert await shown_b.until(3) == ["<p>before</p>", "<p>one alone</p>", "<p>two alone</p>"]
    assert shown_b.arrived[:2] == [1, 3] and shown_b.asked == [1]
    assert await quiet(ca, chat.room) == []  # 3 never reached A
    # C joins on server one meanwhile. Presence is not held for later like a revocation (it is all
    # announced again after the reconnect), so it cannot crowd revocations out of what is held.
    cc = await connect(one, await session_token(one, c))
    await subscribed(cc, chat.room)
    await until(lambda: c.id in {p["id"] for p in one.app.state.hub.present(chat.room)}, "C is here on one")
    await cc.expect(type="presence", room=chat.room)  # C's own join, announced after it subscribed
    assert not [m for m in backplane(one)._held if '"presence' in m[1]]

    redis.start()  # the same port, as a restarted Redis
    await until(lambda: backplane(one).connected and backplane(two).connected, "both reconnect")
    await cb.send(type="send", room=chat.room, body="after", key="k3", ref=3)
    assert (await cb.expect(type="ack", ref=3))["seq"] == 4
    # Back: each server asked its clients to subscribe again from their last seq (the outage may
    # have hidden frames, or a revocation): A gets 3, which it never had, from the room's log, then
    # 4, once; B, which had everything, gets 4.
    expected = ["<p>before</p>", "<p>one alone</p>", "<p>two alone</p>", "<p>after</p>"]
    assert await shown_a.until(4) == expected
    assert shown_a.arrived == [1, 2, 3, 4] and shown_a.asked == [2]
    assert await shown_b.until(4) == expected
    assert shown_b.asked == [1, 3]
    # Nothing more comes: nothing is shown twice, nothing is lost.
    assert await asyncio.gather(quiet(ca, chat.room), quiet(cb, chat.room)) == [[], []]
    # And server two learns, once Redis is back, who joined on one meanwhile (C subscribes again
    # when asked to, as every client does after an outage).
    await cc.expect(type="catchup", room=chat.room)
    await subscribed(cc, chat.room)
    await until(lambda: c.id in {p["id"] for p in two.app.state.hub.present(chat.room)}, "two shows C")
    await ca.close()
    await cb.close()
    await cc.close()


async def test_access_is_checked_again_after_an_outage(site):
    """A revocation can be lost while a process is cut off from Redis (another process published it
    then). After the reconnect every subscription is renewed, which checks access afresh."""
    await site.ready()
    one, redis = site.one, site.redis
    chat = await make_chat_group(one)
    a, b = chat.members
    cb = await connect(one, await session_token(one, b))
    await subscribed(cb, chat.room)

    redis.stop()
    await until(lambda: not backplane(one).connected, "Redis is seen gone")

    # Removed behind the hub's back: as if the revocation had been published where nobody heard it.
    async def remove() -> None:
        from forum.models import Membership

        await Membership.filter(group_id=chat.group.id, user_id=b.id).delete()

    await asyncio.to_thread(one.run, remove)
    redis.start()
    await until(lambda: backplane(one).connected, "one reconnects")
    again = await cb.expect(type="catchup", room=chat.room)
    assert again["since"] == 0
    await cb.send(type="subscribe", room=chat.room, since=again["since"], ref=9)
    assert (await cb.expect(type="error", ref=9))["code"] in ("forbidden", "not_found")

    ca = await connect(one, await session_token(one, a))
    await subscribed(ca, chat.room)
    await ca.send(type="send", room=chat.room, body="after the outage", key="k9", ref=1)
    await ca.expect(type="ack", ref=1)
    assert await quiet(cb, chat.room) == []
    await ca.close()
    await cb.close()


async def test_a_site_on_other_channels_never_hears_this_one(site):
    # Each site's channels are named after its database (never its password), so two sites that
    # share a Redis do not mix and the workers of one site always meet.
    assert site_namespace("postgres://convene:one@db.internal:5432/convene") == site_namespace(
        "postgres://convene:two@db.internal:5432/convene"
    )
    assert site_namespace("postgres://db.internal/convene") != site_namespace("postgres://db.internal/other")
    assert backplane(site.one).prefix == site_namespace(site.one.settings.database_url)

    # A server on other channels (`?channel=` names them explicitly) hears nothing of this site,
    # even in front of the same database, where its member subscribes to the very same room.
    await site.ready()
    with another_server(site.data_dir, site.redis.url + "?channel=elsewhere") as other:
        assert backplane(other).prefix == "elsewhere"
        await until(lambda: backplane(other).connected, "the other server connects")
        chat = await make_chat_group(site.one)
        a, b = chat.members
        here = await connect(site.two, await session_token(site.two, a))
        there = await connect(other, await session_token(other, b))
        await subscribed(here, chat.room)
        await subscribed(there, chat.room)
        await here.send(type="send", room=chat.room, body="this site", key="h")
        assert (await here.events(chat.room, 1))[0]["data"]["html"] == "<p>this site</p>"
        await there.send(type="send", room=chat.room, body="the other", key="t")
        assert (await there.events(chat.room, 1))[0]["data"]["html"] == "<p>the other</p>"
        assert await asyncio.gather(quiet(here, chat.room), quiet(there, chat.room)) == [[], []]
        await here.close()
        await there.close()


async def test_a_server_serves_while_redis_is_unreachable_and_connects_once_it_is_up(site, caplog):
    caplog.set_level(logging.INFO, logger="convene.backplane")
    with (
        redis_server(free_port(), started=False) as redis,  # nothing listens on its port yet
        another_server(site.data_dir, redis.url) as live,
    ):
        async with httpx.AsyncClient(base_url=live.url) as http:
            assert (await http.get("/healthz")).status_code == 200
        assert not backplane(live).connected
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any(redis.url in w and "unreachable" in w for w in warnings), warnings

        # Live chat within this server works meanwhile.
        chat = await make_chat_group(live)
        a, b = chat.members
        ca = await connect(live, await session_token(live, a))
        cb = await connect(live, await session_token(live, b))
        await subscribed(ca, chat.room)
        await subscribed(cb, chat.room)
        await ca.send(type="send", room=chat.room, body="local", key="l")
        assert (await cb.events(chat.room, 1))[0]["data"]["html"] == "<p>local</p>"

        redis.start()
        await until(lambda: backplane(live).connected, "the backplane connects")
        await ca.send(type="send", room=chat.room, body="shared", key="s")
        assert (await cb.events(chat.room, 1))[0]["seq"] == 2
        assert await quiet(cb, chat.room) == []
        await ca.close()
        await cb.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://127.0.0.1:notaport/0", "the port must be a number"),
        (
            "redis://user:s3cret@127.0.0.1:6379/zero",
            "the database after the host must be a number, not 'zero'",
        ),
        ("redis:///0", "it names no host"),
        ("redis://127.0.0.1:6379/0?colour=blue", "does not understand its options"),
        ("kafka://127.0.0.1:9092", "Unknown CONVENE_BACKPLANE_URL scheme 'kafka'"),
    ],
)
def test_a_malformed_backplane_url_is_a_clear_configuration_error(tmp_path, url, message):
    with pytest.raises(ConfigError, match="CONVENE_BACKPLANE_URL") as raised:
        backplane_from_url(url)
    assert message in str(raised.value)
    assert "s3cret" not in str(raised.value)  # a password is never repeated into logs
    with pytest.raises(ConfigError, match="CONVENE_BACKPLANE_URL"):
        start_server(tmp_path, backplane_url=url)  # the app refuses to be built


def test_serve_refuses_a_malformed_backplane_url_before_doing_anything(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVENE_")}
    env.update(CONVENE_DATA_DIR=str(tmp_path / "data"), CONVENE_BACKPLANE_URL="redis://127.0.0.1:six/0")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "convene"), "serve", "--port", str(free_port()), "--workers", "2"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "convene: configuration error: CONVENE_BACKPLANE_URL 'redis://127.0.0.1:six/0'" in result.stderr
    assert "the port must be a number" in result.stderr
    assert not (tmp_path / "data" / "convene.sqlite3").exists()  # refused before migrating
