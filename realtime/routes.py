"""/ws: one WebSocket per browser tab, multiplexing rooms; and chat history over HTTP.

Protocol: docs/realtime.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from convene.api import api, json_response
from convene.errors import ConveneError, NotFound
from convene.security import origin_allowed
from realtime import service
from realtime.fastpath import direct_writer, text_writer
from realtime.hub import Connection, Hub, encode

HISTORY_LIMIT = 500


def _error(code: str, message: str, ref: Any = None) -> str:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if ref is not None:
        frame["ref"] = ref
    return encode(frame)


class Session:
    """One socket: reads frames, checks each one, answers on the connection's own queue."""

    def __init__(self, ws: WebSocket, hub: Hub, conn: Connection) -> None:
        self.ws, self.hub, self.conn = ws, hub, conn
        self.app = ws.app
        self.user = ws.user

    def reply(self, frame: dict[str, Any]) -> None:
        self.conn.offer(encode(frame))

    async def handle(self, text: str) -> None:
        if len(text.encode()) > self.hub.limits.max_frame_bytes:
            self.conn.offer(
                _error("too_large", f"Frames are limited to {self.hub.limits.max_frame_bytes} bytes.")
            )
            return
        if not self.conn.bucket.take():
            self.conn.offer(_error("rate_limited", "You are sending too fast. Wait a moment."))
            return
        try:
            frame = json.loads(text)
        except json.JSONDecodeError:
            self.conn.offer(_error("bad_frame", "Frames must be JSON objects."))
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            self.conn.offer(_error("bad_frame", "Frames must be JSON objects with a type."))
            return
        ref = frame.get("ref")
        handler = getattr(self, "on_" + frame["type"], None)
        if handler is None:
            self.conn.offer(_error("unknown_type", f"Unknown frame type {frame['type']!r}.", ref))
            return
        try:
            await handler(frame)
        except ConveneError as exc:
            self.conn.offer(_error(exc.code, exc.message, ref))
        except (TypeError, ValueError, KeyError):
            self.conn.offer(_error("bad_frame", "That frame is missing a field or has a wrong value.", ref))

    def _room(self, frame: dict[str, Any]) -> str:
        room = frame.get("room")
        if not isinstance(room, str):
            raise NotFound("There is no such room.")
        return room

    async def on_ping(self, frame: dict[str, Any]) -> None:
        self.reply({"type": "pong", "ref": frame.get("ref")})

    async def on_subscribe(self, frame: dict[str, Any]) -> None:
        room = self._room(frame)
        since = int(frame.get("since") or 0)
        if since < 0:
            raise ValueError("since")
        scope = await service.check_can_read_room(self.user, room)
        if room in self.conn.rooms:
            self.hub.unsubscribe(self.conn, room)
        # Listen first, then read the log: anything published meanwhile is buffered, not lost.
        self.hub.begin_subscribe(self.conn, room, since, scope)
        try:
            frames = await service.list_room_log(self.user, room, since, HISTORY_LIMIT)
        except BaseException:
            self.hub.unsubscribe(self.conn, room)
            raise
        last_seq = frames[-1]["seq"] if frames else since
        more = len(frames) == HISTORY_LIMIT
        self.reply(
            {
                "type": "subscribed",
                "room": room,
                "since": since,
                "read": await service.get_read_marker(self.user, room),
                "more": more,
                "presence": self.hub.present(room),
            }
        )
        await self.hub.finish_subscribe(self.conn, room, [(f["seq"], encode(f)) for f in frames])
        if more:
            # A client far behind pages through the log by subscribing again from last_seq.
            self.reply({"type": "catchup", "room": room, "since": last_seq})

    async def on_unsubscribe(self, frame: dict[str, Any]) -> None:
        room = self._room(frame)
        self.hub.unsubscribe(self.conn, room)
        self.reply({"type": "unsubscribed", "room": room, "reason": "requested"})

    async def on_send(self, frame: dict[str, Any]) -> None:
        room = self._room(frame)
        body, key = frame.get("body"), frame.get("key")
        if not isinstance(body, str) or not isinstance(key, str):
            raise ValueError("body/key")
        event, created = await service.do_send_message(
            self.user, room, body=body, client_key=key, clock=self.app.state.clock
        )
        self.reply({"type": "ack", "ref": frame.get("ref"), "key": key, "id": event["data"]["id"],
                    "seq": event["seq"], "duplicate": not created})  # fmt: skip
        if created:
            await self.hub.publish(room, event)

    async def _moderate(self, frame: dict[str, Any], action: Any) -> None:
        room = self._room(frame)
        event = await action(self.user, room, int(frame["id"]), clock=self.app.state.clock)
        self.reply({"type": "ack", "ref": frame.get("ref"), "seq": event["seq"]})
        await self.hub.publish(room, event)

    async def on_hide(self, frame: dict[str, Any]) -> None:
        await self._moderate(frame, service.do_hide_message)

    async def on_restore(self, frame: dict[str, Any]) -> None:
        await self._moderate(frame, service.do_restore_message)

    async def on_delete(self, frame: dict[str, Any]) -> None:
        await self._moderate(frame, service.do_delete_message)

    async def on_mute(self, frame: dict[str, Any]) -> None:
        room = self._room(frame)
        event = await service.do_mute(
            self.user, room, int(frame["user_id"]), int(frame.get("minutes", 60)), clock=self.app.state.clock
        )
        self.reply({"type": "ack", "ref": frame.get("ref"), "seq": event["seq"]})
        await self.hub.publish(room, event)

    async def on_slow_mode(self, frame: dict[str, Any]) -> None:
        room = self._room(frame)
        event = await service.do_set_slow_mode(
            self.user, room, int(frame["seconds"]), clock=self.app.state.clock
        )
        self.reply({"type": "ack", "ref": frame.get("ref"), "seq": event["seq"]})
        await self.hub.publish(room, event)

    async def on_typing(self, frame: dict[str, Any]) -> None:
        room = self._room(frame)
        if room not in self.conn.rooms:
            raise NotFound("Subscribe to the room first.")
        await self.hub.typing(self.conn, room)

    async def on_read(self, frame: dict[str, Any]) -> None:
        room = self._room(frame)
        seq = await service.do_mark_read(self.user, room, int(frame["seq"]), clock=self.app.state.clock)
        self.reply({"type": "read", "room": room, "seq": seq})


async def ws_endpoint(ws: WebSocket) -> None:
    settings = ws.app.state.settings
    # Browsers send Origin on every WebSocket handshake; a page on another site must not ride
    # on our member's cookie (cross-site WebSocket hijacking).
    if not origin_allowed(ws.headers.get("origin"), settings.origin):
        await ws.close(code=1008, reason="origin not allowed")
        return
    user = ws.user
    if not user.is_authenticated:
        await ws.close(code=1008, reason="sign in first")
        return
    hub: Hub = ws.app.state.hub
    await ws.accept()

    async def close(code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await ws.close(code=code, reason=reason)

    conn = Connection(
        user_id=user.id,
        user_name=user.name,
        hide_presence=bool(getattr(user, "hide_presence", False)),
        send_text=ws.send_text,
        close=close,
        limits=hub.limits,
        direct=direct_writer(ws.scope),
        direct_texts=text_writer(ws.scope),
    )
    hub.register(conn)
    session = Session(ws, hub, conn)
    writer = asyncio.create_task(conn.writer())
    session.reply(
        {
            "type": "hello",
            "user": {"id": user.id, "name": user.name},
            "server_time": ws.app.state.clock.now().isoformat(),
            "limits": {
                "max_frame_bytes": hub.limits.max_frame_bytes,
                "rate_per_second": hub.limits.rate_per_second,
                "burst": hub.limits.rate_burst,
            },
        }
    )
    try:
        while not writer.done():
            receiver = asyncio.ensure_future(ws.receive())
            done, _ = await asyncio.wait({receiver, writer}, return_when=asyncio.FIRST_COMPLETED)
            if receiver not in done:
                receiver.cancel()
                break
            message = receiver.result()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None and message.get("bytes") is not None:
                text = message["bytes"].decode("utf-8", "replace")
            await session.handle(text or "")
    except WebSocketDisconnect:
        pass
    finally:
        hub.unregister(conn)
        writer.cancel()
        with contextlib.suppress(BaseException):
            await writer


class ChatMessageOut(BaseModel):
    id: int
    seq: int
    author: dict[str, Any]
    html: str
    state: str
    created_at: str


@api(
    "GET",
    "/api/v1/rooms/{room}/messages",
    summary="A room's chat history, paged backwards with ?before=<seq>",
    tag="realtime",
    response=ChatMessageOut,
    many=True,
    auth=True,
    query={"before": "only messages with seq below this", "limit": "1 to 200, default 50"},
)
async def api_room_messages(request: Request) -> Response:
    before = request.query_params.get("before")
    limit = request.query_params.get("limit", "50")
    if (before is not None and not before.isdigit()) or not limit.isdigit():
        from convene.errors import Invalid

        raise Invalid("before and limit must be whole numbers.")
    messages = await service.list_messages(
        request.user, request.path_params["room"], before=int(before) if before else None, limit=int(limit)
    )
    return json_response(messages)


routes = [WebSocketRoute("/ws", ws_endpoint, name="ws"), api_room_messages]
