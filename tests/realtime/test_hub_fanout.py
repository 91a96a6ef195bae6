"""The hub's fan-out on its own (realtime/hub.py): events published at random moments, to rooms
with overlapping listeners, while fan-outs run a connection or two per turn of the loop. Every
listener must get every event of its rooms once and in the order published, events without a seq
(typing) included, however the events join the fan-outs under way. The server tests cover the same
path over real sockets (test_fastpath.py); here many schedules run in a second."""

from __future__ import annotations

import asyncio
import json
import random

import pytest

from realtime.backplane import MemoryBackplane
from realtime.hub import Connection, Hub, Limits

ROOMS = ("group:1", "group:2", "group:3")
# Who listens where: overlapping rooms, so one publish reaches listeners of several fan-outs.
LISTENING = [
    ("group:1",),
    ("group:1", "group:2"),
    ("group:2",),
    ("group:1", "group:3"),
    ("group:3", "group:2"),
]


def frames(wire: bytes) -> list[dict]:
    """The JSON texts in a write of unmasked server frames (several may share one write)."""
    found, at = [], 0
    while at < len(wire):
        length, at = wire[at + 1] & 0x7F, at + 2
        if length == 126:
            length, at = int.from_bytes(wire[at : at + 2], "big"), at + 2
        elif length == 127:
            length, at = int.from_bytes(wire[at : at + 8], "big"), at + 8
        found.append(json.loads(wire[at : at + length]))
        at += length
    return found


async def run_schedule(seed: int, chunk: int) -> None:
    rng = random.Random(seed)
    hub = Hub(MemoryBackplane(), Limits(fanout_chunk=chunk))
    await hub.start()
    got: dict[int, list[tuple[str, str]]] = {}
    conns = []

    async def nothing(*_):
        return None

    for i, rooms in enumerate(LISTENING):
        log = got.setdefault(i, [])

        def write(wire: bytes, _log=log) -> bool:
            _log.extend((f["room"], f["data"]["n"]) for f in frames(wire) if f["type"] in ("event", "typing"))
            return True

        conn = Connection(i, f"member {i}", True, nothing, nothing, hub.limits, direct=write)
        hub.register(conn)
        for room in rooms:
            hub.begin_subscribe(conn, room, 0, room)
            await hub.finish_subscribe(conn, room, [])
        conns.append(conn)

    published: list[tuple[str, str]] = []
    seqs = dict.fromkeys(ROOMS, 0)
    for turn in range(60):
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):  # within one turn of the loop
            room = rng.choice(ROOMS)
            n = f"{turn}.{len(published)}"
            if rng.random() < 0.25:  # typing: no seq, so no listener could drop a repeat
                frame = {"type": "typing", "room": room, "data": {"n": n}}
            else:
                seqs[room] += 1
                frame = {"type": "event", "room": room, "seq": seqs[room], "data": {"n": n}}
            published.append((room, n))
            await hub.publish(room, frame)
        await asyncio.sleep(0)
    for _ in range(10_000):
        if not hub._jobs and not hub._pending:
            break
        await asyncio.sleep(0)
    await hub.stop()

    for i, rooms in enumerate(LISTENING):
        assert got[i] == [(room, n) for room, n in published if room in rooms], f"listener {i}, seed {seed}"


@pytest.mark.parametrize("chunk", [1, 2, 100])
async def test_every_listener_gets_each_event_of_its_rooms_once_and_in_order(chunk):
    for seed in range(40):
        await run_schedule(seed, chunk)
