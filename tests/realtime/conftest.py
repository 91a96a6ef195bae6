"""Fixtures for realtime tests: real `websockets` clients against the real server."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest
import websockets

from tests.conftest import LiveServer, make_user, unique


async def session_token(live: LiveServer, user: Any) -> str:
    from members.sessions import do_start_session

    return await asyncio.to_thread(live.run, do_start_session(user, live.clock, live.settings.session_days))


class WSClient:
    """A thin JSON layer over a websockets connection, with helpers to wait for frames."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []  # received, not yet taken by expect()

    async def send(self, **frame: Any) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self, timeout: float = 10) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.seen.append(frame)
        return frame

    async def expect(self, timeout: float = 10, **match: Any) -> dict[str, Any]:
        """The first frame, in arrival order, matching every given field. Frames that do not match
        stay pending for later calls, so waiting for an ack never loses an event."""

        def matches(frame: dict[str, Any]) -> bool:
            return all(frame.get(k) == v for k, v in match.items())

        for i, frame in enumerate(self.pending):
            if matches(frame):
                return self.pending.pop(i)

        async def loop() -> dict[str, Any]:
            while True:
                frame = await self.recv(timeout)
                if matches(frame):
                    return frame
                self.pending.append(frame)

        return await asyncio.wait_for(loop(), timeout)

    async def events(self, room: str, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        while len(got) < count:
            frame = await self.expect(timeout, type="event", room=room)
            got.append(frame)
        return got

    async def close(self) -> None:
        await self.ws.close()


async def connect(live: LiveServer, token: str | None, origin: str | None = None, **kw: Any) -> WSClient:
    headers = {"Cookie": f"convene_session={token}"} if token else {}
    ws = await websockets.connect(
        live.url.replace("http://", "ws://") + "/ws",
        origin=origin or live.url,  # type: ignore[arg-type]
        additional_headers=headers,
        open_timeout=10,
        **kw,
    )
    client = WSClient(ws)
    hello = await client.recv()
    assert hello["type"] == "hello"
    return client


@dataclass
class ChatGroup:
    group: Any
    room: str
    moderator: Any
    members: list[Any]
    outsider: Any


async def make_chat_group(live: LiveServer, visibility: str = "private", members: int = 2) -> ChatGroup:
    from forum.models import Visibility
    from forum.service import do_add_member, do_create_group

    moderator = await make_user(live, role="moderator")
    group = await asyncio.to_thread(
        live.run,
        do_create_group(
            moderator,
            name=f"Chat {unique()}",
            description="A chat group",
            visibility=Visibility(visibility),
            clock=live.clock,
        ),
    )
    people = []
    for _ in range(members):
        user = await make_user(live)
        await asyncio.to_thread(live.run, do_add_member(moderator, group, user, clock=live.clock))
        people.append(user)
    outsider = await make_user(live)
    return ChatGroup(group, f"group:{group.id}", moderator, people, outsider)


@pytest.fixture
async def chat(live: LiveServer) -> ChatGroup:
    return await make_chat_group(live)
