#!/usr/bin/env python3
"""Chat fan-out: Convene's /ws against a bare `websockets` broadcast server, in ONE run.

Why one run: this host's speed drifts from minute to minute, so Convene is only compared with a
baseline measured minutes before it, on the same machine, with the same clients.

Variants (--variants, in this order by default):
  bare             websockets.asyncio serve + broadcast() (the physical limit, like
                   /work/shared/bench/limit_ws.py), its own process, uvloop, no compression.
  convene          a real Convene server: uvicorn on convene.app:create_app_from_env, 1 worker,
                   127.0.0.1, fresh SQLite, --ws-per-message-deflate false: what `convene serve`
                   runs by default (CONVENE_WS_COMPRESSION=off; create_app freezes start-up
                   objects out of the garbage collector and raises the gen-0 threshold).
  convene-deflate  the same server with --ws-per-message-deflate true (CONVENE_WS_COMPRESSION=on).
  bare-deflate     the bare server with permessage-deflate, the fair peer of convene-deflate.
  convene-gc       `convene` started by a launcher that also freezes after importing the app, with
                   gen-0 threshold --gc-threshold (not in the default variants: create_app now
                   does the same itself).

Every variant: N subscribers (default 1000) connect with the same light raw client (asyncio.Protocol;
handshake with Cookie and Origin, offers permessage-deflate like a browser and inflates when the
server accepts it, sends a masked `subscribe` frame, parses every server frame, reads `seq` and the
send timestamp embedded in the message body, answers pings). Then messages are published at each
--rates value (msgs/s; 0 = burst, as fast as the publisher can push) for --messages each.

  bare:    one publisher connection sends frames shaped exactly like Convene's `event` frames (same
           JSON, same size); the server broadcasts them verbatim.
  convene: a sender (a member of the group) posts `send` frames through /ws. The server stores each
           message (SQLite, one write statement) and fans the event out. Convene limits each connection to 10
           frames/s with bursts of 30, so the sender uses --senders connections (default
           ceil(messages/20): 10 browser tabs for 200 messages) and each connection stays inside its
           burst allowance: the server runs with its shipped limits, nothing is raised.

Seeding: before the first Convene server starts, a seeding process (`--role seed`, the project's venv)
opens the fresh database (applying migrations) and creates, through the service layer, 1 facilitator
(the sender, who creates a private group and is its first moderator), N members added to the group
with forum do_add_member, and one session each with members.sessions.do_start_session. Seeding hashes
passwords with Argon2id at the test suite's cost (time 1, 8 MiB): nobody signs in with them.

Loss: every subscriber must receive every acknowledged message exactly once, in seq order. Missing,
duplicate, out-of-order and unacknowledged messages are counted per phase.

Runs with the project's venv (/work/main/.venv; re-executes itself into it), loopback only, raises
RLIMIT_NOFILE, every phase bounded by messages/rate + --grace seconds. About 4 minutes in all.

  python bench/chat_fanout.py [--clients 1000] [--messages 200] [--rates 20,50,0] [--size 100]
                              [--variants bare,convene,convene-deflate,bare-deflate]
                              [--senders K] [--wait-quiet 300] [--profile DIR] [--overlay DIR]
                              [--rounds R]

--rounds R runs the variants R times over, in turn (bare, convene, bare, convene, ...): the host's
speed drifts over minutes, so each round's ratios pair figures measured minutes apart, and the
headline figures are the medians over rounds (each round's ratios are printed as *_roundN).

This host is shared: each phase reports the CPU other processes used meanwhile ("others", flagged
NOISY above 25% of a core), and server CPU per delivery, the figure least disturbed by them.

The output ends with `RESULT <name> <value>` lines. The headline figures (bare_*, convene_*, ratios)
are for the highest steady rate; `*_rate20` for the other steady rates; `*_ceiling_*` and
`*_server_us_per_delivery` for the burst phase; `deflate_*` compare convene-deflate with bare-deflate;
`gc_*` compare convene-gc with bare. Lost = missing + duplicate deliveries over all phases.
"""

# A benchmark driver, not server code: it starts processes and files outside the timed sections on
# purpose, and polls with short sleeps where an Event would need changes to the code under test.
# ruff: noqa: ASYNC109, ASYNC110, ASYNC220, ASYNC230, ASYNC240

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from datetime import UTC, datetime
from pathlib import Path

from benchkit import MAIN, VPY, calib, die_with_parent, ensure_venv, free_port, proc_cpu, wait_quiet

SEQ_RE = re.compile(rb'"seq":(\d+)')
TS_RE = re.compile(rb"ts=(\d+)")
ROOM_FOR_BARE = "group:1"


def log(*a: object) -> None:
    print("[chat_fanout]", *a, file=sys.stderr, flush=True)


def raise_nofile(need: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return soft
    try:
        if hard < need:  # root may raise the hard limit up to fs.nr_open
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, need))
        else:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    except (ValueError, OSError) as e:
        raise SystemExit(f"ulimit -n is {soft}/{hard}, need {need} for this many clients: {e}") from None
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def cpu_snap() -> tuple[int, int, int]:
    """(steal, busy, total) jiffies over all CPUs: host noise indicators. Other people's processes
    show up as busy time that is neither the server's nor the clients'."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return v[7], sum(v) - v[3] - v[4], sum(v)


def pct(sorted_vals: list[int], p: float) -> float:
    if not sorted_vals:
        return float("nan")
    return sorted_vals[min(len(sorted_vals) - 1, int(len(sorted_vals) * p / 100))]


def body_text(n: int, size: int) -> str:
    """A chat message carrying its send time (CLOCK_MONOTONIC is system-wide on Linux)."""
    head = f"bench ts={time.monotonic_ns()} n={n} "
    return head + "x" * max(0, size - len(head))


def encode(frame: dict) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False, default=str)


def bare_frame(seq: int, body: str) -> str:
    """The same JSON as Convene's message event (realtime.rooms.message_frame), so both variants send
    equally large frames and the clients do exactly the same work."""
    return encode(
        {
            "type": "event",
            "room": ROOM_FOR_BARE,
            "seq": seq,
            "kind": "message",
            "data": {
                "id": seq,
                "author": {"id": 1001, "name": "Bench Sender"},
                "html": f"<p>{body}</p>",
                "state": "visible",
                "key": f"k{seq}",
                "created_at": datetime.now(UTC).isoformat(),
            },
        }
    )


# ----------------------------------------------------------------------------- bare server
def bare_serve(args: argparse.Namespace) -> None:
    import uvloop
    from websockets.asyncio.server import broadcast
    from websockets.asyncio.server import serve as ws_serve
    from websockets.exceptions import ConnectionClosed

    subs: set = set()
    hello = encode({"type": "hello"})

    async def handler(ws) -> None:  # noqa: ANN001
        if ws.request.path == "/pub":
            async for msg in ws:
                if msg == "?count":
                    await ws.send(str(len(subs)))
                else:
                    broadcast(subs, msg)
            return
        try:
            await ws.send(hello)
            async for msg in ws:  # the client's subscribe frame: answered like Convene does
                frame = json.loads(msg)
                if frame.get("type") == "subscribe":
                    await ws.send(encode({"type": "subscribed", "room": frame.get("room")}))
                    subs.add(ws)
        except ConnectionClosed:
            pass  # the driver drops its raw clients without a closing handshake
        finally:
            subs.discard(ws)

    async def main() -> None:
        comp = "deflate" if args.compression == "deflate" else None
        async with ws_serve(handler, "127.0.0.1", args.port, compression=comp, backlog=4096, max_size=2**20):
            print("READY", flush=True)
            await asyncio.sleep(args.max_server_s)  # bounded lifetime even if the driver dies

    raise_nofile(args.clients + 256)
    uvloop.run(main())


# ----------------------------------------------------------------------------- seeding
async def seed(args: argparse.Namespace) -> None:
    from convene.clock import SystemClock
    from convene.db import open_db
    from convene.security import Passwords
    from convene.settings import Settings
    from forum.groups import do_add_member, do_create_group
    from forum.models import Visibility
    from members.models import Role
    from members.service import do_create_user
    from members.sessions import do_start_session

    t0 = time.monotonic()
    settings = Settings.from_env()
    ctx = await open_db(settings.database_url)  # applies the migrations to the fresh file
    clock = SystemClock()
    passwords = Passwords(time_cost=1, memory_kib=8192)  # the tests' cost: nobody signs in with these
    password = "correct horse battery staple"
    try:
        with ctx:
            sender = await do_create_user(
                email="sender@bench.example.org",
                name="Bench Sender",
                password=password,
                passwords=passwords,
                clock=clock,
                role=Role.FACILITATOR,
                username="bench-sender",
            )
            group = await do_create_group(
                sender,
                name="Fan-out bench",
                description="A group for the chat fan-out benchmark.",
                visibility=Visibility.PRIVATE,
                clock=clock,
            )
            members = []
            for start in range(0, args.clients, 16):  # hashing runs on threads: a few at a time
                members += await asyncio.gather(
                    *(
                        do_create_user(
                            email=f"m{i:05d}@bench.example.org",
                            name=f"Bench Member {i}",
                            password=password,
                            passwords=passwords,
                            clock=clock,
                            username=f"bench-m{i:05d}",
                        )
                        for i in range(start, min(args.clients, start + 16))
                    )
                )
            tokens = []
            for user in members:
                await do_add_member(sender, group, user, clock=clock)
                tokens.append(await do_start_session(user, clock, settings.session_days))
            sender_token = await do_start_session(sender, clock, settings.session_days)
    finally:
        await ctx.close_connections()
    out = {
        "room": f"group:{group.id}",
        "sender_token": sender_token,
        "tokens": tokens,
        "seconds": round(time.monotonic() - t0, 1),
    }
    Path(args.out).write_text(json.dumps(out))


# ----------------------------------------------------------------------------- clients
def client_frame(payload: bytes, opcode: int = 1) -> bytes:
    """One masked client frame (RFC 6455 5.3: every client frame is masked)."""
    key = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    if n:
        mask = (key * (n // 4 + 1))[:n]
        payload = (int.from_bytes(payload, "big") ^ int.from_bytes(mask, "big")).to_bytes(n, "big")
    return head + key + payload


class Phase:
    """What the subscribers saw during one publishing phase."""

    def __init__(self, n_clients: int, n_msgs: int) -> None:
        self.seqs: list[list[int]] = [[] for _ in range(n_clients)]
        self.lat_ns: list[int] = []
        # seq -> its earliest delivery's latency: how long the message took to reach the fan-out
        # (the server's work before it, and any queueing), apart from the fan-out's own length
        self.first_ns: dict[int, int] = {}
        self.received = 0
        self.bytes = 0
        self.expected = n_clients * n_msgs
        self.last_recv = 0
        self.done = asyncio.Event()

    def record(self, idx: int, now: int, payload: bytes) -> None:
        seq = SEQ_RE.search(payload)
        ts = TS_RE.search(payload)
        if seq is None or ts is None:
            return
        n = int(seq.group(1))
        lat = now - int(ts.group(1))
        self.seqs[idx].append(n)
        self.lat_ns.append(lat)
        if lat < self.first_ns.get(n, lat + 1):
            self.first_ns[n] = lat
        self.received += 1
        self.bytes += len(payload)
        if self.received >= self.expected:
            self.last_recv = now
            self.done.set()


class Shared:
    """State every subscriber of one variant reports into."""

    def __init__(self) -> None:
        self.phase: Phase | None = None
        self.last_presence = 0
        self.presence_frames = 0
        self.presence_bytes = 0
        self.errors: list[str] = []
        self.closed: list[int] = []  # close codes received
        self.lost_connections = 0
        self.deflate = 0


class RawSub(asyncio.Protocol):
    """Minimal RFC 6455 client: a browser's headers, permessage-deflate offered (inflated if the
    server accepts), a masked subscribe frame, server frames parsed with little CPU."""

    def __init__(self, idx: int, port: int, path: str, cookie: str | None, subscribe: bytes, ready, shared):  # noqa: ANN001
        self.idx, self.port, self.path, self.cookie = idx, port, path, cookie
        self.subscribe, self.ready, self.shared = subscribe, ready, shared
        self.buf = bytearray()
        self.open = False
        self.inflate = None
        self.frag: list[bytes] | None = None
        self.frag_compressed = False

    def connection_made(self, tr) -> None:  # noqa: ANN001
        self.tr = tr
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {self.path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            f"Origin: http://127.0.0.1:{self.port}",
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
        ]
        if self.cookie:
            lines.append(f"Cookie: convene_session={self.cookie}")
        tr.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def connection_lost(self, exc: Exception | None) -> None:
        self.shared.lost_connections += 1
        if not self.ready.done():
            self.ready.set_exception(RuntimeError(f"connection lost during handshake: {exc}"))

    def on_message(self, now: int, payload: bytes) -> None:
        if payload.startswith(b'{"type":"event"'):
            phase = self.shared.phase
            if phase is not None:
                phase.record(self.idx, now, payload)
            return
        if payload.startswith(b'{"type":"presence"'):
            shared = self.shared  # 1 frame listing every member: counted, not parsed, not timed
            shared.last_presence = now
            shared.presence_frames += 1
            shared.presence_bytes += len(payload)
            return
        frame = json.loads(payload)
        kind = frame.get("type")
        if kind == "hello":
            self.tr.write(client_frame(self.subscribe))
        elif kind == "subscribed":
            if not self.ready.done():
                self.ready.set_result(True)
        elif kind == "error":
            self.shared.errors.append(frame.get("code", "?"))
            if not self.ready.done():
                self.ready.set_exception(RuntimeError(f"subscribe refused: {frame}"))

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        buf = self.buf
        buf += data
        if not self.open:
            i = buf.find(b"\r\n\r\n")
            if i < 0:
                return
            head = bytes(buf[:i]).decode("latin-1")
            if " 101 " not in head.split("\r\n", 1)[0] + " ":
                if not self.ready.done():
                    self.ready.set_exception(RuntimeError(head.split("\r\n", 1)[0]))
                self.tr.close()
                return
            if "permessage-deflate" in head.lower():
                self.inflate = zlib.decompressobj(-15)
                self.shared.deflate += 1
            del buf[: i + 4]
            self.open = True
        pos, n = 0, len(buf)
        while n - pos >= 2:
            b0, ln = buf[pos], buf[pos + 1] & 0x7F
            hdr = 2
            if ln == 126:
                if n - pos < 4:
                    break
                ln, hdr = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif ln == 127:
                if n - pos < 10:
                    break
                ln, hdr = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if n - pos < hdr + ln:
                break
            op, fin = b0 & 0x0F, b0 & 0x80
            payload = bytes(buf[pos + hdr : pos + hdr + ln])
            pos += hdr + ln
            if op in (1, 2) or (op == 0 and self.frag is not None):
                if op != 0:
                    self.frag, self.frag_compressed = [], bool(b0 & 0x40)
                self.frag.append(payload)
                if not fin:
                    continue
                message = b"".join(self.frag) if len(self.frag) > 1 else self.frag[0]
                if self.frag_compressed:
                    message = self.inflate.decompress(message + b"\x00\x00\xff\xff")
                self.frag = None
                self.on_message(now, message)
            elif op == 9:  # ping -> pong
                self.tr.write(client_frame(payload, opcode=0xA))
            elif op == 8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.shared.closed.append(code)
                self.tr.close()
        del buf[:pos]


async def connect_subs(args, port: int, path: str, tokens: list[str | None], room: str, since: int, shared):  # noqa: ANN001
    loop = asyncio.get_running_loop()
    sem = asyncio.Semaphore(64)
    subscribe = encode({"type": "subscribe", "room": room, "since": since}).encode()

    async def one(i: int):  # noqa: ANN202
        async with sem:
            ready = loop.create_future()
            tr, _ = await loop.create_connection(
                lambda: RawSub(i, port, path, tokens[i], subscribe, ready, shared), "127.0.0.1", port
            )
            await asyncio.wait_for(ready, 60)
            return tr

    return await asyncio.gather(*(one(i) for i in range(args.clients)))


# ----------------------------------------------------------------------------- publishers
class BarePublisher:
    def __init__(self, port: int) -> None:
        self.port = port
        self.seq = 0

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(f"ws://127.0.0.1:{self.port}/pub", compression=None)

    async def count(self) -> int:
        await self.ws.send("?count")
        return int(await self.ws.recv())

    async def send(self, n: int, size: int) -> None:
        self.seq += 1
        await self.ws.send(bare_frame(self.seq, body_text(n, size)))

    async def settle(self, timeout: float) -> tuple[set[int], int]:
        """Expected seqs of the phase: every frame published (the bare server has no acks)."""
        return set(range(self.first, self.seq + 1)), 0

    def begin(self) -> None:
        self.first = self.seq + 1

    async def close(self) -> None:
        await self.ws.close()


class ConveneSender:
    """K /ws connections of the same member (browser tabs), used round-robin; keeps every ack."""

    def __init__(self, port: int, token: str, room: str, connections: int) -> None:
        self.port, self.token, self.room, self.k = port, token, room, connections
        self.acks: dict[str, int] = {}
        self.errors: list[dict] = []
        self.sent: list[str] = []
        self.phase_id = 0
        self.tag = os.urandom(4).hex()  # client keys unique across servers sharing the database

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.conns = []
        for _ in range(self.k):
            ws = await connect(
                f"ws://127.0.0.1:{self.port}/ws",
                origin=f"http://127.0.0.1:{self.port}",
                additional_headers={"Cookie": f"convene_session={self.token}"},
                compression=None,
                open_timeout=30,
            )
            hello = json.loads(await ws.recv())
            assert hello["type"] == "hello", hello
            self.conns.append(ws)
        self.readers = [asyncio.create_task(self._read(ws)) for ws in self.conns]

    async def _read(self, ws) -> None:  # noqa: ANN001
        with contextlib.suppress(Exception):
            async for msg in ws:
                frame = json.loads(msg)
                if frame.get("type") == "ack" and "key" in frame:
                    self.acks[frame["key"]] = frame["seq"]
                elif frame.get("type") == "error":
                    self.errors.append(frame)

    def begin(self) -> None:
        self.phase_id += 1
        self.sent = []

    async def send(self, n: int, size: int) -> None:
        key = f"{self.tag}-p{self.phase_id}-{n}"
        self.sent.append(key)
        frame = {"type": "send", "room": self.room, "body": body_text(n, size), "key": key, "ref": n}
        await self.conns[n % self.k].send(encode(frame))

    async def settle(self, timeout: float) -> tuple[set[int], int]:
        """Expected seqs of the phase: those acknowledged; returns (seqs, unacknowledged count)."""
        deadline = time.monotonic() + timeout
        while any(k not in self.acks for k in self.sent) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        seqs = {self.acks[k] for k in self.sent if k in self.acks}
        return seqs, len(self.sent) - len(seqs)

    async def close(self) -> None:
        for ws in self.conns:
            await ws.close()
        for t in self.readers:
            t.cancel()


# ----------------------------------------------------------------------------- one variant
async def run_phases(args, variant: str, shared: Shared, pub, srv_pid: int) -> list[dict]:  # noqa: ANN001
    results = []
    # Warm-up: a few messages nobody times (first-use costs: room row, statement caches, ...).
    pub.begin()
    for n in range(5):
        await pub.send(-1 - n, args.size)
    await pub.settle(10)
    await asyncio.sleep(1.0)
    for rate in args.rates:
        phase = Phase(args.clients, args.messages)
        shared.phase = phase
        closed0, lost0 = len(shared.closed), shared.lost_connections
        pub.begin()
        c_srv0, c_me0, st0 = proc_cpu(srv_pid), proc_cpu(os.getpid()), cpu_snap()
        w0 = time.monotonic()
        first_send = time.monotonic_ns()
        for n in range(args.messages):
            if rate > 0:
                delay = first_send / 1e9 + n / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await pub.send(n, args.size)
        send_s = (time.monotonic_ns() - first_send) / 1e9
        budget = (args.messages / rate if rate > 0 else 0) + args.grace
        try:
            await asyncio.wait_for(phase.done.wait(), max(1.0, budget - send_s))
        except TimeoutError:
            pass
        wall = time.monotonic() - w0
        srv_cpu_s = proc_cpu(srv_pid) - c_srv0
        c_srv = srv_cpu_s / wall * 100
        c_me = (proc_cpu(os.getpid()) - c_me0) / wall * 100
        st1 = cpu_snap()
        steal = 100.0 * (st1[0] - st0[0]) / max(1, st1[2] - st0[2])
        others = (st1[1] - st0[1]) / os.sysconf("SC_CLK_TCK") / wall * 100 - c_srv - c_me
        shared.phase = None
        expected, unacked = await pub.settle(5)
        end = phase.last_recv or time.monotonic_ns()
        dur = (end - first_send) / 1e9
        missing = dups = disorder = stray = 0
        for got in phase.seqs:
            have = set(got)
            missing += len(expected - have)
            dups += len(got) - len(have)
            stray += len(have - expected)
            disorder += got != sorted(got)
        lat = sorted(phase.lat_ns)
        first = sorted(phase.first_ns.values())
        r = {
            "variant": variant,
            "phase": f"rate{rate:g}" if rate > 0 else "burst",
            "rate": rate,
            "received": phase.received,
            "expected": phase.expected,
            "dur": dur,
            "per_s": phase.received / dur if dur > 0 else 0.0,
            "p50": pct(lat, 50) / 1e6,
            "p90": pct(lat, 90) / 1e6,
            "p99": pct(lat, 99) / 1e6,
            "max": (lat[-1] / 1e6) if lat else float("nan"),
            "first_p50": pct(first, 50) / 1e6,
            "first_p99": pct(first, 99) / 1e6,
            "send_s": send_s,
            "cpu_srv": c_srv,
            # Server CPU per delivery: the figure least disturbed by other processes on the host.
            "us_per_delivery": srv_cpu_s / phase.received * 1e6 if phase.received else float("nan"),
            "cpu_clients": c_me,
            "steal": steal,
            "others": max(0.0, others),
            "missing": missing + unacked * args.clients,
            "unacked": unacked,
            "dups": dups,
            "disorder": disorder,
            "stray": stray,
            "closed": len(shared.closed) - closed0,
            "dropped": shared.lost_connections - lost0,
            "frame_bytes": phase.bytes / phase.received if phase.received else 0,
        }
        results.append(r)
        log(fmt_result(r))
        await asyncio.sleep(3.0)  # lets each sender connection's token bucket refill (10/s, burst 30)
    return results


def fmt_result(r: dict) -> str:
    return (
        f"{r['variant']:<16} {r['phase']:<7} deliveries {r['received']}/{r['expected']} in {r['dur']:.2f}s"
        f" = {r['per_s']:,.0f}/s  p50 {r['p50']:.1f}ms p90 {r['p90']:.1f}ms p99 {r['p99']:.1f}ms"
        f" max {r['max']:.1f}ms (first delivery p50 {r['first_p50']:.1f}ms p99 {r['first_p99']:.1f}ms)"
        f"  lost {r['missing']} dup {r['dups']} disorder {r['disorder']}"
        f" unacked {r['unacked']} closed {r['closed']}  (server CPU {r['us_per_delivery']:.1f} us/delivery;"
        f" publish {r['send_s']:.2f}s; CPU server"
        f" {r['cpu_srv']:.0f}% clients {r['cpu_clients']:.0f}% others {r['others']:.0f}%;"
        f" steal {r['steal']:.0f}%;"
        f" frame {r['frame_bytes']:.0f} B)"
        + ("  NOISY: other processes were busy" if r["others"] > 25 else "")
    )


def wait_http(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means it is serving
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def variant_bare(args, compression: str) -> list[dict]:  # noqa: ANN001
    port = free_port()
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--role",
        "bare-server",
        "--port",
        str(port),
        "--clients",
        str(args.clients),
        "--compression",
        compression,
    ]
    srv = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
    shared = Shared()
    name = "bare" if compression == "none" else "bare-deflate"
    try:
        if "READY" not in (srv.stdout.readline() if srv.stdout else ""):
            raise SystemExit("bare server failed to start")
        t0 = time.monotonic()
        trs = await connect_subs(args, port, "/sub", [None] * args.clients, ROOM_FOR_BARE, 0, shared)
        connect_s = time.monotonic() - t0
        log(f"{name}: {args.clients} subscribers in {connect_s:.1f}s (deflate on {shared.deflate})")
        pub = BarePublisher(port)
        await pub.open()
        if await pub.count() < args.clients:
            raise SystemExit("bare server does not see every subscriber")
        results = await run_phases(args, name, shared, pub, srv.pid)
        for r in results:
            r["deflate_conns"] = shared.deflate
            r["connect_s"] = connect_s
        await pub.close()
        for tr in trs:
            tr.close()
        await asyncio.sleep(0.2)
        return results
    finally:
        stop(srv)


async def variant_convene(args, seeded: dict, data_dir: Path, name: str, state: dict) -> list[dict]:  # noqa: ANN001
    port = free_port()
    deflate = name == "convene-deflate"
    env = dict(os.environ)
    env.update(CONVENE_DATA_DIR=str(data_dir), CONVENE_BASE_URL=f"http://127.0.0.1:{port}")
    code = ["import sys"]
    if args.overlay:  # A/B a changed module: the overlay folder comes first on the import path
        code.append(f"sys.path.insert(0, {args.overlay!r})")
    if name == "convene-gc":
        # Garbage-collector tuning, not in Convene itself: everything imported at startup moves to
        # the permanent generation, and the youngest generation is collected 1/70 as often, so
        # full collections (100-300 ms pauses with 1000 sockets open) become rare.
        code += [
            "import gc, convene.app",
            "gc.collect()",
            "gc.freeze()",
            f"gc.set_threshold({args.gc_threshold}, 10, 10)",
        ]
    code += ["from uvicorn.main import main", "main()"]
    launcher = ["-c", "; ".join(code)]
    cmd = [
        str(VPY),
        *launcher,
        "convene.app:create_app_from_env",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backlog",
        "4096",
        "--log-level",
        "warning",
        "--ws-per-message-deflate",
        "true" if deflate else "false",
    ]
    log_path = data_dir / f"uvicorn-{name}.log"
    with open(log_path, "w") as server_log:
        srv = subprocess.Popen(
            cmd, cwd=MAIN, env=env, stdout=server_log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent
        )
    shared = Shared()
    try:
        wait_http(port, srv)
        t0 = time.monotonic()
        trs = await connect_subs(args, port, "/ws", seeded["tokens"], seeded["room"], state["since"], shared)
        connect_s = time.monotonic() - t0
        # Joins are announced to the whole room in presence frames (who joined, a few a second):
        # wait until those have stopped before timing anything.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and time.monotonic_ns() - shared.last_presence < 1.5e9:
            await asyncio.sleep(0.1)
        settle_s = time.monotonic() - t0
        log(
            f"{name}: {args.clients} subscribers in {connect_s:.1f}s, presence quiet after {settle_s:.1f}s:"
            f" {shared.presence_frames} presence frames, {shared.presence_bytes / 1e6:.0f} MB"
            f" (deflate on {shared.deflate})"
        )
        if args.profile:
            state["profiler"] = subprocess.Popen(
                [
                    args.pyspy,
                    "record",
                    "-p",
                    str(srv.pid),
                    "-o",
                    str(Path(args.profile) / f"{name}.txt"),
                    "-d",
                    str(args.profile_seconds),
                    "-r",
                    "200",
                    "--nonblocking",
                    "--format",
                    "raw",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        k = args.senders or max(1, math.ceil(args.messages / 20))
        pub = ConveneSender(port, seeded["sender_token"], seeded["room"], k)
        await pub.open()
        results = await run_phases(args, name, shared, pub, srv.pid)
        if pub.errors:
            log(f"{name}: sender errors: {pub.errors[:3]} ({len(pub.errors)} in all)")
        if shared.errors:
            log(f"{name}: subscriber errors: {shared.errors[:3]}")
        state["since"] = max([state["since"], *pub.acks.values()])
        for r in results:
            r["senders"] = k
            r["deflate_conns"] = shared.deflate
            r["connect_s"] = connect_s
            r["settle_s"] = settle_s
            r["presence"] = (shared.presence_frames, shared.presence_bytes)
        await pub.close()
        for tr in trs:
            tr.close()
        await asyncio.sleep(0.3)
        return results
    finally:
        if state.get("profiler"):
            profiler = state.pop("profiler")
            profiler.send_signal(signal.SIGINT)  # py-spy writes what it has on Ctrl-C
            profiler.wait(30)
        stop(srv)


def cli_default_deflate() -> str:
    """What `convene serve` does: read from the code rather than assumed."""
    import inspect

    import uvicorn

    default = inspect.signature(uvicorn.Config).parameters["ws_per_message_deflate"].default
    passes = "ws_per_message_deflate" in (MAIN / "convene" / "cli.py").read_text()
    from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

    impl = getattr(AutoWebSocketsProtocol, "__name__", "?")
    if passes:
        return f"convene/cli.py sets ws_per_message_deflate itself (uvicorn: {default}); ws=auto -> {impl}"
    return (
        f"`convene serve` passes no ws options: uvicorn's ws_per_message_deflate={default}, ws=auto -> {impl}"
    )


async def drive(args: argparse.Namespace, work: Path) -> list[dict]:
    seeded = json.loads((work / "seed.json").read_text()) if (work / "seed.json").exists() else None
    state: dict = {"since": 0}
    results: list[dict] = []
    for round_no in range(1, args.rounds + 1):
        for variant in args.variants:
            if args.wait_quiet:
                await asyncio.to_thread(wait_quiet, args.wait_quiet, log)  # the loop stays free
            if variant == "bare":
                got = await variant_bare(args, "none")
            elif variant == "bare-deflate":
                got = await variant_bare(args, "deflate")
            elif variant in ("convene", "convene-deflate", "convene-gc"):
                got = await variant_convene(args, seeded, work / "data", variant, state)
            else:
                raise SystemExit(f"unknown variant {variant!r}")
            for r in got:
                r["round"] = round_no
            results += got
            await asyncio.sleep(1.0)
    return results


def driver(args: argparse.Namespace) -> None:
    from importlib.metadata import version

    import uvloop

    nofile = raise_nofile(args.clients * 2 + 512)
    cal0 = calib()
    work = Path(tempfile.mkdtemp(prefix="bench-chat-", dir="/tmp"))
    log(f"RLIMIT_NOFILE soft={nofile}; work dir {work}")
    seed_s = 0.0
    if any(v.startswith("convene") for v in args.variants):
        t0 = time.monotonic()
        env = dict(os.environ, CONVENE_DATA_DIR=str(work / "data"))
        subprocess.run(
            [
                str(VPY),
                os.path.abspath(__file__),
                "--role",
                "seed",
                "--clients",
                str(args.clients),
                "--out",
                str(work / "seed.json"),
            ],
            cwd=MAIN,
            env=env,
            check=True,
            timeout=900,
        )
        seed_s = time.monotonic() - t0
        log(f"seeded 1 sender + {args.clients} members, group and sessions in {seed_s:.1f}s")
    if args.profile:
        if not Path(args.pyspy).exists():
            raise SystemExit(
                f"--profile needs py-spy at {args.pyspy}: python3 -m venv /tmp/bench-tools/venv &&"
                " /tmp/bench-tools/venv/bin/pip install py-spy (or give --pyspy PATH)"
            )
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    try:
        results = uvloop.run(drive(args, work))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    cal1 = calib()

    print()
    print(
        f"=== chat_fanout results ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs;"
        f" N={args.clients} subscribers, M={args.messages} messages per phase, body {args.size} chars;"
        " 127.0.0.1) ==="
    )
    print(
        f"versions: python {sys.version.split()[0]}, websockets {version('websockets')}, uvicorn"
        f" {version('uvicorn')}, starlette {version('starlette')}, uvloop {version('uvloop')}"
    )
    print(f"calib: pure-Python loop {cal0:.3f}s at start, {cal1:.3f}s at end (lower = faster host)")
    print(f"default CLI: {cli_default_deflate()}")
    if seed_s:
        print(f"seeding (service layer, fresh SQLite): {seed_s:.1f}s")
    seen: set[str] = set()
    for r in results:
        if r["variant"] not in seen:
            seen.add(r["variant"])
            line = f"connect {r['variant']}: {args.clients} subscribers in {r['connect_s']:.1f}s"
            if "presence" in r:
                frames, size = r["presence"]
                line += (
                    f"; presence frames stopped {r['settle_s']:.1f}s after the first connect"
                    f" ({frames} frames, {size / 1e6:.0f} MB received in all)"
                )
            print(line)
        extra = f" senders {r['senders']}" if "senders" in r else ""
        if args.rounds > 1:
            extra += f" round {r['round']}"
        print(f"RESULT-LINE {fmt_result(r)} deflate-conns {r.get('deflate_conns', 0)}{extra}")

    steady = [x for x in args.rates if x > 0]
    top = f"rate{max(steady):g}" if steady else "burst"

    def headline(results: list[dict]) -> list[tuple[str, float]]:

        def pick(variant: str, phase: str) -> dict | None:
            return next((r for r in results if r["variant"] == variant and r["phase"] == phase), None)

        def lost(variant: str) -> int:
            return sum(r["missing"] + r["dups"] for r in results if r["variant"] == variant)

        def ratio(a: float, b: float) -> float:
            return a / b if b else float("nan")

        out: list[tuple[str, float]] = []
        pairs = (
            ("bare", "convene", ""),
            ("bare-deflate", "convene-deflate", "deflate_"),
            ("bare", "convene-gc", "gc_"),
        )
        for bare, conv, prefix in pairs:
            # convene-gc is compared with the plain bare server, whose figures are printed once, unprefixed
            bare_prefix = None if prefix == "gc_" else prefix
            for phase in [top] + [f"rate{x:g}" for x in steady if f"rate{x:g}" != top]:
                suffix = "" if phase == top else f"_{phase}"
                b, c = pick(bare, phase), pick(conv, phase)
                for who, r, pre in (("bare", b, bare_prefix), ("convene", c, prefix)):
                    if r is None or pre is None:
                        continue
                    if not suffix:
                        out.append((f"{pre}{who}_deliveries_per_s", round(r["per_s"])))
                        out.append((f"{pre}{who}_p50_ms", round(r["p50"], 2)))
                    out.append((f"{pre}{who}_p99_ms{suffix}", round(r["p99"], 2)))
                if b and c:
                    if not suffix:
                        out.append((f"{prefix}deliveries_ratio", round(ratio(c["per_s"], b["per_s"]), 3)))
                    out.append((f"{prefix}p99_ratio{suffix}", round(ratio(c["p99"], b["p99"]), 2)))
            bb, cb = pick(bare, "burst"), pick(conv, "burst")
            for who, r, pre in (("bare", bb, bare_prefix), ("convene", cb, prefix)):
                if r is not None and pre is not None:
                    out.append((f"{pre}{who}_ceiling_deliveries_per_s", round(r["per_s"])))
                    out.append((f"{pre}{who}_server_us_per_delivery", round(r["us_per_delivery"], 2)))
            if bb and cb:
                out.append((f"{prefix}ceiling_ratio", round(ratio(cb["per_s"], bb["per_s"]), 3)))
                out.append(
                    (
                        f"{prefix}server_cost_ratio",
                        round(ratio(cb["us_per_delivery"], bb["us_per_delivery"]), 2),
                    )
                )
            if any(r["variant"] == bare for r in results) and bare_prefix is not None:
                out.append((f"{bare_prefix}bare_lost_messages", lost(bare)))
            if any(r["variant"] == conv for r in results):
                out.append((f"{prefix}convene_lost_messages", lost(conv)))
        return out

    print()
    print(
        f"headline figures: the {top} phase; *_ceiling_* = burst phase; lost = missing + duplicate deliveries"
    )
    rounds = [headline([r for r in results if r["round"] == n]) for n in range(1, args.rounds + 1)]
    out = rounds[0]
    if args.rounds > 1:
        # Each round pairs bare and Convene measured minutes apart; the headline is the median over
        # rounds (lost messages: the sum), and each round's ratios are printed too.
        print(
            f"{args.rounds} rounds: each figure is the median of the rounds' figures;"
            " lost messages, their sum"
        )
        by_name: dict[str, list[float]] = {}
        for figures in rounds:
            for name, value in figures:
                by_name.setdefault(name, []).append(value)
        out = [
            (name, sum(values) if name.endswith("lost_messages") else round(statistics.median(values), 3))
            for name, values in by_name.items()
        ]
        for n, figures in enumerate(rounds, 1):
            out += [(f"{name}_round{n}", value) for name, value in figures if "_ratio" in name]
    for name, value in out:
        print(f"RESULT {name} {value}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--role", default="driver", choices=["driver", "bare-server", "seed"])
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--compression", default="none", choices=["none", "deflate"], help=argparse.SUPPRESS)
    ap.add_argument("--max-server-s", type=float, default=900, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--rates", default="20,50,0", help="comma list of msgs/s; 0 = burst")
    ap.add_argument("--size", type=int, default=100, help="chat message body length in characters (min ~40)")
    ap.add_argument("--grace", type=float, default=20, help="seconds to wait for stragglers per phase")
    ap.add_argument("--variants", default="bare,convene,convene-deflate,bare-deflate")
    ap.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the variants this many times over, alternating; headline figures are the medians",
    )
    ap.add_argument("--gc-threshold", type=int, default=50_000, help="convene-gc: gen-0 threshold")
    ap.add_argument("--senders", type=int, default=0, help="Convene sender connections (0 = messages/20)")
    ap.add_argument(
        "--profile",
        default="",
        help="folder: py-spy samples (raw, collapsed stacks) of each"
        " Convene server, from the end of the connect phase to the end of the run",
    )
    ap.add_argument("--profile-seconds", type=int, default=120, help=argparse.SUPPRESS)
    ap.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        help="before each variant, wait up to this many seconds for other processes on the host to go quiet",
    )
    ap.add_argument(
        "--overlay",
        default="",
        help="folder put first on the Convene server's import path"
        " (e.g. a copy of realtime/ before a change, for an A/B comparison)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the temp folder (database, server logs)")
    ap.add_argument("--pyspy", default="/tmp/bench-tools/venv/bin/py-spy")
    args = ap.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    ensure_venv()
    if args.role == "bare-server":
        bare_serve(args)
    elif args.role == "seed":
        sys.path.insert(0, str(MAIN))  # the project's packages, whether or not pip lists them all
        try:
            asyncio.run(seed(args))
        except BaseException:
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)  # a database worker thread left open by a failure must not keep us alive
    else:
        driver(args)


if __name__ == "__main__":
    main()
