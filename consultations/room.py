"""The consultation's live room, "consultation:<id>": its durable log and after-commit publishing.

Services append to the room's log inside their own transaction (so the log and the change agree)
and return the frames; routes and the scheduler publish them only after the commit.
"""

from __future__ import annotations

import logging
from typing import Any

from convene.clock import Clock

log = logging.getLogger(__name__)

Frame = dict[str, Any]


def room_key(consultation_id: int) -> str:
    return f"consultation:{consultation_id}"


async def append_event(
    consultation_id: int,
    kind: str,
    data: dict[str, Any],
    *,
    clock: Clock,
    conn: Any,
    question_id: int | None = None,
) -> Frame:
    from realtime.service import _append  # the room log's writer: gap-free per-room sequence numbers

    room = room_key(consultation_id)
    event = await _append(room, kind, clock, conn, message_id=question_id, payload=data)
    return {"type": "event", "room": room, "seq": event.seq, "kind": kind, "data": data}


async def publish_frames(app: Any, frames: list[Frame]) -> None:
    """Best effort: the change is saved; a client that misses a frame catches up from the log."""
    hub = getattr(app.state, "hub", None)
    if hub is None:
        return
    for frame in frames:
        try:
            await hub.publish(frame["room"], frame)
        except Exception:  # noqa: BLE001
            log.exception("could not publish %s to %s", frame.get("kind"), frame.get("room"))
