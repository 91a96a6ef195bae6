"""Fan-out without the ASGI round trip, where the server allows it.

A room's event goes to every listener. Through ASGI each delivery wakes the connection's writer
task, passes the frame down Starlette's and uvicorn's send layers and frames it for that one
connection: two to three times the CPU of a bare `websockets` broadcast (bench/chat_fanout.py).
Here the frame is built once per event (websockets' own Frame serialiser) and, for a connection
served by uvicorn's websockets-sansio protocol without extensions (no permessage-deflate), written
straight to its transport, as websockets' own broadcast() does.

A connection that negotiated permessage-deflate compresses each frame with its own state, so it
cannot share the prebuilt frame; its texts are still handed straight to its own websockets protocol
object (text_writer), without the ASGI round trip.

Only while nothing else is pending for that connection and the transport is not paused: otherwise
the frame takes the queued ASGI path (realtime.hub.Connection), which keeps order and
back-pressure (a client that does not read is still cut off with 4008). Anything this module does
not recognise (another server, another uvicorn protocol, a wrapped `send`) simply gets no direct
writer and uses ASGI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from websockets.frames import Frame, Opcode
from websockets.protocol import State

RAW_SEND = "convene.raw_send"

DirectWriter = Callable[[bytes], bool]
TextWriter = Callable[[Sequence[str]], bool]


def text_frame(text: str) -> bytes:
    """The bytes of one unmasked, unfragmented server text frame carrying `text`."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


class RawSendMiddleware:
    """Outermost middleware: keeps the server's own `send` for WebSocket scopes, before the
    layers below wrap it, so the endpoint can find the connection's protocol object."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[RAW_SEND] = send
        await self.app(scope, receive, send)


def _sansio_protocol(send: Any) -> Any:
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    except ImportError:  # another uvicorn, or another server: no fast path
        return None
    protocol = getattr(send, "__self__", None)
    return protocol if isinstance(protocol, WebSocketsSansIOProtocol) else None


def direct_writer(scope: Scope) -> DirectWriter | None:
    """A function that writes a prebuilt frame to this connection's transport and says whether
    it could, or None when this connection cannot take frames that way."""
    protocol = _sansio_protocol(scope.get(RAW_SEND))
    if protocol is None:
        return None
    ws = protocol.conn
    if ws.extensions:  # permessage-deflate: each connection compresses with its own state
        return None
    transport = protocol.transport
    writable = protocol.writable

    def write(wire: bytes) -> bool:
        if (
            protocol.close_sent
            or protocol.disconnected
            or ws.state is not State.OPEN
            or not writable.is_set()  # paused: the queued path waits for the client
            or transport.is_closing()
        ):
            return False
        transport.write(wire)
        return True

    return write


def text_writer(scope: Scope) -> TextWriter | None:
    """For a connection with an extension (permessage-deflate), which cannot share a prebuilt
    frame: a function that sends texts through the connection's own websockets protocol object (its
    own compression state), as uvicorn's `send` does, and writes the result in one go; or None
    when this connection has no extension or is not served by uvicorn's websockets-sansio
    protocol."""
    protocol = _sansio_protocol(scope.get(RAW_SEND))
    if protocol is None:
        return None
    ws = protocol.conn
    if not ws.extensions:
        return None
    transport = protocol.transport
    writable = protocol.writable

    def write(texts: Sequence[str]) -> bool:
        if (
            protocol.close_sent
            or protocol.disconnected
            or ws.state is not State.OPEN
            or not writable.is_set()
            or transport.is_closing()
        ):
            return False
        for text in texts:
            ws.send_text(text.encode())
        transport.write(b"".join(ws.data_to_send()))
        return True

    return write
