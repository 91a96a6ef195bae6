"""The hub: which connection listens to which room, and fan-out of frames to them.

Durability lives in the database (realtime.models); the hub only moves frames. Every frame that
belongs to a room's log carries its seq; a connection that is catching up buffers live frames and
drops any it already sent, so a subscriber sees each seq once and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from realtime.backplane import Backplane
from realtime.fastpath import DirectWriter, TextWriter, text_frame
from realtime.presence import Here, PresenceBoard

_ids = itertools.count(1)
log = logging.getLogger("convene.hub")


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass
class Limits:
    max_frame_bytes: int = 16_384
    queue_frames: int = 512
    rate_per_second: float = 10.0
    rate_burst: int = 30
    typing_every_seconds: float = 3.0
    # Connections served per turn of the event loop during a fan-out (see Hub._step).
    fanout_chunk: int = 100


class TokenBucket:
    """Flood control for one connection. Uses the monotonic clock on purpose: it throttles a
    transport, it is not business logic with a meaning in calendar time."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass(eq=False)
class Connection:
    user_id: int
    user_name: str
    hide_presence: bool
    send_text: Callable[[str], Awaitable[None]]
    close: Callable[[int, str], Awaitable[None]]
    limits: Limits
    # Writes a prebuilt frame straight to the transport when it can (realtime/fastpath.py).
    direct: DirectWriter | None = None
    # Or, for a compressed connection, hands texts straight to its own protocol object.
    direct_texts: TextWriter | None = None
    id: int = field(default_factory=lambda: next(_ids))
    rooms: set[str] = field(default_factory=set)
    # room -> access scope it was granted under (e.g. "group:5" for that group's chat and threads)
    scopes: dict[str, str] = field(default_factory=dict)
    # room -> (highest seq already sent, frames buffered while catching up or None)
    seqs: dict[str, int] = field(default_factory=dict)
    catching_up: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    bucket: TokenBucket = field(init=False)
    overflowed: bool = False
    last_typing: dict[str, float] = field(default_factory=dict)
    _out: deque[str] = field(default_factory=deque)
    # Set only while the writer sleeps on an empty queue. A bare future rather than an Event: a
    # room's fan-out wakes every listener's writer for every frame, so this is the hottest path.
    _waiter: asyncio.Future[None] | None = field(default=None, init=False, repr=False)
    _space: asyncio.Event = field(default_factory=asyncio.Event)
    _sending: bool = field(default=False, init=False)
    # While the hub offers it several events at once: what this connection is owed, written
    # together by uncork() (one system call instead of one per event).
    _corked: list[tuple[str, bytes | None]] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.bucket = TokenBucket(self.limits.rate_per_second, self.limits.rate_burst)

    @property
    def queued(self) -> int:
        return len(self._out)

    def offer(self, text: str, wire: bytes | None = None) -> None:
        """Never blocks: a client too slow to keep up is cut off and catches up on reconnect.
        `wire` is the frame already built for the direct path (one per event, for every listener)."""
        if self.overflowed:
            return
        corked = self._corked
        if corked is not None:
            corked.append((text, wire))
            return
        # Straight to the transport when nothing is queued or being sent ahead of this frame.
        if not self._out and not self._sending:
            if self.direct is not None:
                if self.direct(text_frame(text) if wire is None else wire):
                    return
            elif self.direct_texts is not None and self.direct_texts((text,)):
                return
        if len(self._out) >= self.limits.queue_frames:
            # What is already queued is a gap-free prefix: the writer sends it, then closes.
            self.overflowed = True
        else:
            self._out.append(text)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def uncork(self) -> None:
        """Send what was offered while corked, in order: in one write on the direct path when it
        is free, else each frame through offer() (the queue, its limit and its 4008)."""
        frames, self._corked = self._corked, None
        if not frames:
            return
        if len(frames) > 1 and not self._out and not self._sending:
            if self.direct is not None:
                if self.direct(b"".join(text_frame(text) if wire is None else wire for text, wire in frames)):
                    return
            elif self.direct_texts is not None and self.direct_texts([text for text, _ in frames]):
                return
        for text, wire in frames:
            self.offer(text, wire)

    async def put(self, text: str) -> None:
        """For the connection's own catch-up: waits for room instead of overflowing. Catch-up
        fills at most half the queue, so the live frames that arrive meanwhile (presence, other
        rooms, replies) still fit: a reader that is merely busy is not cut off by its own history."""
        while len(self._out) >= max(1, self.limits.queue_frames // 2) and not self.overflowed:
            self._space.clear()
            await self._space.wait()
        self.offer(text)

    def offer_seq(self, room: str, seq: int | None, text: str, wire: bytes | None = None) -> None:
        """A room's frame: with a seq (from the room's log), sent once and in order; without one
        (presence, typing), simply offered."""
        if seq is None:
            self.offer(text, wire)
            return
        buffered = self.catching_up.get(room)
        if buffered is not None:
            buffered.append((seq, text))
            return
        if seq <= self.seqs.get(room, 0):
            return  # already sent (history and live overlap)
        self.seqs[room] = seq
        self.offer(text, wire)

    async def writer(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._out:
                if self.overflowed:
                    await self.close(4008, "too slow: reconnect and catch up")
                    return
                self._waiter = loop.create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None
            text = self._out.popleft()
            self._space.set()
            self._sending = True
            try:
                await self.send_text(text)
            finally:
                self._sending = False


def _here(announced: dict[str, str]) -> Here:
    """An announcement's members (JSON object keys are strings)."""
    return {int(uid): str(name) for uid, name in announced.items()}


# A room event ready to send: (room, seq or None, its JSON, its frame on the wire).
_Event = tuple[str, int | None, str, bytes]
_Job = tuple[list[_Event], list["Connection"], int]  # a fan-out: its events, its listeners, its next one


def _offer_events(events: list[_Event], conns: list[Connection]) -> None:
    """Offer each connection, in order, the events of rooms it still listens to (it may have left
    one, or lost access, since the fan-out began): with several, corked into one write."""
    if len(events) == 1:
        room, seq, text, wire = events[0]
        for conn in conns:
            if room in conn.rooms:
                conn.offer_seq(room, seq, text, wire)
        return
    for conn in conns:
        conn._corked = []
        try:
            for room, seq, text, wire in events:
                if room in conn.rooms:
                    conn.offer_seq(room, seq, text, wire)
        finally:
            conn.uncork()


class Hub:
    def __init__(self, backplane: Backplane, limits: Limits | None = None) -> None:
        self.backplane = backplane
        self.limits = limits or Limits()
        self.rooms: dict[str, set[Connection]] = defaultdict(set)
        self.connections: set[Connection] = set()
        # room -> members who joined or left it since the last presence frame
        self._presence_touched: dict[str, set[int]] = defaultdict(set)
        self._presence_task: asyncio.Task[None] | None = None
        # With a backplane shared by several processes: who is in each room on the others, what this
        # one last announced of its own rooms, and the task announcing them all now and then.
        self.node = uuid.uuid4().hex
        self.board = PresenceBoard(self.node)
        self._announced: dict[str, Here] = {}
        self._presence_refresh: asyncio.Task[None] | None = None
        # Events published since the last step, the fan-outs under way and to come (each: its events,
        # its listeners, how far it got), and the next step (_step).
        self._pending: list[tuple[str, dict[str, Any]]] = []
        self._jobs: deque[_Job] = deque()
        self._step_handle: asyncio.Handle | None = None

    @property
    def shared(self) -> bool:
        """Whether other server processes hear this one (a Redis backplane), so presence is shared."""
        return bool(getattr(self.backplane, "shared", False))

    async def start(self) -> None:
        await self.backplane.start(self._on_backplane, self.resync)
        if self.shared:
            self._presence_refresh = asyncio.get_running_loop().create_task(self._refresh_presence())

    def resync(self) -> None:
        """The backplane was away: frames from other processes may have been missed, and an access
        revocation published meanwhile may never arrive. Every subscription is dropped and its
        client asked (`catchup`, as for a long gap) to subscribe again from the last seq it got:
        subscribing checks access afresh and replays the gap from the room's log."""
        for conn in list(self.connections):
            for room in list(conn.rooms):
                since = conn.seqs.get(room, 0)
                self.unsubscribe(conn, room)
                conn.offer(encode({"type": "catchup", "room": room, "since": since}))
        if self.shared:  # and presence announced meanwhile may have been missed, both ways
            asyncio.get_running_loop().create_task(self._announce_all(ask=True))

    async def stop(self) -> None:
        for task in (self._presence_task, self._presence_refresh):
            if task:
                task.cancel()
        if self.shared:  # the other processes forget this one's members at once
            with contextlib.suppress(Exception):
                await self._tell_others({"presence_all": [self.node, {}]})
        while self._jobs or self._pending:  # what was published goes out before the close frames
            self._step()
        if self._step_handle is not None:
            self._step_handle.cancel()
            self._step_handle = None
        await self.backplane.stop()
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.close(1012, "server restarting")

    # -- publishing (call only after the change has committed) -------------------------------
    async def publish(self, room: str, frame: dict[str, Any]) -> None:
        await self.backplane.publish("room", encode({"room": room, "frame": frame}))

    async def revoke(self, user_id: int, scope: str) -> None:
        """A member lost access (e.g. removed from group 5: scope "group:5"): drop, in every process,
        their subscriptions to every room granted under that scope."""
        await self.backplane.publish("control", encode({"revoke": [user_id, scope]}))

    async def _on_backplane(self, channel: str, payload: str) -> None:
        data = json.loads(payload)
        if channel == "room":
            self._deliver(data["room"], data["frame"])
        elif channel == "control" and ("presence" in data or "presence_all" in data):
            now = time.monotonic()
            if "presence" in data:
                node, room, here = data["presence"]
                new = not self.board.knows(node)
                self._mark_changed({room: self.board.apply_room(node, room, _here(here), now)})
            else:
                node, rooms = data["presence_all"]
                new = not self.board.knows(node)
                self._mark_changed(self.board.apply_all(node, {r: _here(h) for r, h in rooms.items()}, now))
            if new and node != self.node:  # a process started (or came back): tell it who is here
                await self._announce_all()
        elif channel == "control" and "presence_ask" in data:
            if data["presence_ask"] != self.node:
                await self._announce_all()
        elif channel == "control" and "revoke" in data:
            user_id, scope = data["revoke"]
            for conn in list(self.connections):
                if conn.user_id != user_id:
                    continue
                for room, room_scope in list(conn.scopes.items()):
                    if room_scope == scope:
                        self.unsubscribe(conn, room)
                        conn.offer(encode({"type": "unsubscribed", "room": room, "reason": "access_removed"}))

    def _deliver(self, room: str, frame: dict[str, Any]) -> None:
        """Fan an event out to the room's listeners, from the event loop, a chunk of connections
        per turn (Limits.fanout_chunk): a fan-out to a thousand listeners takes milliseconds, and
        in one piece it would hold up every other step of the server (each query of the next
        message to store waits for a turn of the loop) for all of them.

        Events published while a fan-out is under way join it (_take_pending): the listeners it
        has not reached yet get them in the same write as its own events, the others right after
        it. So under load the work per delivery falls as the rate rises, instead of the server
        falling behind, and no event waits for a whole fan-out to finish. With one event pending it
        is one plain fan-out."""
        if room not in self.rooms:
            return
        self._pending.append((room, frame))
        if self._step_handle is None and not self._jobs:
            self._step_handle = asyncio.get_running_loop().call_soon(self._step)

    def _step(self) -> None:
        """One chunk of the fan-out under way (the first job), after taking in what was published."""
        if self._step_handle is not None:
            self._step_handle.cancel()  # when called directly (stop); a no-op from the loop
            self._step_handle = None
        if self._pending:
            self._take_pending()
        if not self._jobs:
            return
        events, targets, start = self._jobs[0]
        end = start + max(1, self.limits.fanout_chunk)
        if end < len(targets):
            self._jobs[0] = (events, targets, end)
        else:
            self._jobs.popleft()
        try:
            _offer_events(events, targets[start:end])
        finally:
            if self._jobs or self._pending:
                self._step_handle = asyncio.get_running_loop().call_soon(self._step)

    def _take_pending(self) -> None:
        """Give the events published since the last step to the fan-outs, keeping every listener's
        order, and nobody an event twice: with one fan-out under way, the listeners it has yet to
        reach get them with its own events, and a new job after it takes them to the rest; a job
        waiting behind another takes them if it serves all their listeners; otherwise they are a
        job of their own."""
        batch, self._pending = self._pending, []
        events: list[_Event] = []
        listeners: dict[Connection, None] = {}  # every listener of any of the rooms, once, in order
        for room, frame in batch:
            found = self.rooms.get(room)
            if not found:
                continue
            text = encode(frame)  # serialised and framed once, whatever the number of listeners
            events.append((room, frame.get("seq"), text, text_frame(text)))
            listeners.update(dict.fromkeys(found))
        if not events:
            return
        jobs = self._jobs
        if len(jobs) == 1:
            current, targets, start = jobs[0]
            rest = targets[start:]
            jobs[0] = (current + events, rest, 0)
            reached = set(rest)
            others = [conn for conn in listeners if conn not in reached]
            if others:
                jobs.append((events, others, 0))
        elif jobs and jobs[-1][1] and set(listeners) <= set(jobs[-1][1]):
            # The last job waits behind another (so it has not started), for every listener of
            # these: they join it. (A listener it lacks would be given its events too.)
            waiting, targets, _ = jobs[-1]
            jobs[-1] = (waiting + events, targets, 0)
        else:
            jobs.append((events, list(listeners), 0))

    # -- membership of rooms ---------------------------------------------------------------
    def register(self, conn: Connection) -> None:
        self.connections.add(conn)

    def unregister(self, conn: Connection) -> None:
        self.connections.discard(conn)
        for room in list(conn.rooms):
            self.unsubscribe(conn, room)

    def begin_subscribe(self, conn: Connection, room: str, since: int, scope: str) -> None:
        """Start listening before reading history, buffering live frames, so none fall between."""
        conn.rooms.add(room)
        conn.scopes[room] = scope
        conn.seqs[room] = since
        conn.catching_up[room] = []
        self.rooms[room].add(conn)
        self._mark_presence(room, conn.user_id)

    async def finish_subscribe(self, conn: Connection, room: str, history: list[tuple[int, str]]) -> None:
        """Send the history, then whatever arrived live meanwhile, each seq once and in order."""
        batch = history
        while True:
            for seq, text in sorted(batch, key=lambda item: item[0]):
                if seq > conn.seqs.get(room, 0):
                    conn.seqs[room] = seq
                    await conn.put(text)
            buffered = conn.catching_up.get(room)
            if buffered is None:
                return  # unsubscribed meanwhile
            if not buffered:
                del conn.catching_up[room]  # caught up: live frames now go straight out
                return
            batch, conn.catching_up[room] = buffered, []

    def unsubscribe(self, conn: Connection, room: str) -> None:
        conn.rooms.discard(room)
        conn.scopes.pop(room, None)
        conn.seqs.pop(room, None)
        conn.catching_up.pop(room, None)
        listeners = self.rooms.get(room)
        if listeners is not None:
            listeners.discard(conn)
            if not listeners:
                del self.rooms[room]
        self._mark_presence(room, conn.user_id)

    # -- presence (ephemeral, throttled) -----------------------------------------------------
    def _local_here(self, room: str) -> Here:
        return {conn.user_id: conn.user_name for conn in self.rooms.get(room, ()) if not conn.hide_presence}

    def present(self, room: str) -> list[dict[str, Any]]:
        """Who is in the room: connected to this process, or announced by the site's others."""
        seen = self.board.here(room) | self._local_here(room)
        return [{"id": uid, "name": name} for uid, name in sorted(seen.items())]

    def _mark_presence(self, room: str, user_id: int) -> None:
        self._presence_touched[room].add(user_id)
        if self._presence_task is None or self._presence_task.done():
            self._presence_task = asyncio.get_running_loop().create_task(self._flush_presence())

    def _mark_changed(self, changed: dict[str, set[int]]) -> None:
        for room, users in changed.items():
            for user_id in users:
                self._mark_presence(room, user_id)

    def expire_presence(self, now: float) -> None:
        """Forget the processes not heard from for a while (PresenceBoard.EXPIRY)."""
        self._mark_changed(self.board.expire(now))

    async def _flush_presence(self) -> None:
        """Coalesce joins and leaves into at most a few presence frames per second per room. A frame
        carries only the members who joined or left since the last one, each with where they are
        now (`joined` with their name, or `left`): a client holding any earlier snapshot (the list
        in `subscribed`) is exact after applying it, and a room of a thousand reconnecting members
        is not sent its whole list a thousand times. With a shared backplane, the rooms whose own
        members changed are announced to the other processes too."""
        await asyncio.sleep(0.25)
        touched, self._presence_touched = self._presence_touched, defaultdict(set)
        for room, users in touched.items():
            local = self._local_here(room)
            everyone = self.board.here(room) | local
            here = {uid: name for uid, name in everyone.items() if uid in users}
            joined = [{"id": uid, "name": name} for uid, name in sorted(here.items())]
            left = sorted(users - here.keys())
            self._deliver(room, {"type": "presence", "room": room, "joined": joined, "left": left})
            if self.shared and local != self._announced.get(room, {}):
                if local:
                    self._announced[room] = local
                else:
                    self._announced.pop(room, None)
                await self._tell_others({"presence": [self.node, room, local]})

    async def _announce_all(self, *, ask: bool = False) -> None:
        """Tell the other processes who is in every room here (and, with `ask`, ask them the same)."""
        rooms = {room: here for room in list(self.rooms) if (here := self._local_here(room))}
        self._announced = dict(rooms)
        await self._tell_others({"presence_all": [self.node, rooms]})
        if ask:
            await self._tell_others({"presence_ask": self.node})

    async def _tell_others(self, message: dict[str, Any]) -> None:
        """A presence announcement, sent only while the backplane is connected: unlike a revocation
        it is not worth holding through an outage (and must not crowd revocations out of what is
        held), since everything is announced again after the reconnect (resync)."""
        if getattr(self.backplane, "connected", True):
            await self.backplane.publish("control", encode(message))

    async def _refresh_presence(self) -> None:
        """Every REFRESH seconds: forget the silent processes, announce all of this one's rooms.
        Until the backplane first connects, it tries every second instead (and then asks the others
        for theirs), so a process that starts before Redis does is known soon after."""
        asked = False
        while True:
            connected = bool(getattr(self.backplane, "connected", True))
            try:
                self.expire_presence(time.monotonic())
                await self._announce_all(ask=connected and not asked)
            except Exception:  # never let one bad moment end the refreshing
                log.exception("presence refresh failed")
            asked = asked or connected
            await asyncio.sleep(PresenceBoard.REFRESH if asked else 1.0)

    async def typing(self, conn: Connection, room: str) -> bool:
        now = time.monotonic()
        if now - conn.last_typing.get(room, 0.0) < self.limits.typing_every_seconds:
            return False
        conn.last_typing[room] = now
        await self.publish(
            room, {"type": "typing", "room": room, "user": {"id": conn.user_id, "name": conn.user_name}}
        )
        return True
