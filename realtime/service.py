"""Chat service: store-then-broadcast messages with per-room sequence numbers, and moderation.

Every change writes the room's log inside one transaction and returns the frame to publish; the
caller publishes it only after commit. A retried send with the same client key returns the stored
message instead of storing it twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from convene.clock import Clock
from convene.db import Statement, model_from_row
from convene.errors import Forbidden, Invalid, NotAuthenticated, NotFound, RateLimited
from convene.markup import render_markdown
from forum.access import (
    GROUP_ACCESS_COLUMNS,
    Need,
    access_from_row,
    actor_id,
    group_access_sql,
    require_found,
)
from realtime.models import ChatMessage, Mute, ReadMarker, Room, RoomEvent
from realtime.rooms import GroupChat, message_frame, parse_room

MAX_MESSAGE_CHARS = 4000
MAX_SLOW_MODE_SECONDS = 3600
MAX_MUTE_MINUTES = 60 * 24 * 30


def _require_member(viewer: Any) -> None:
    if not getattr(viewer, "is_authenticated", False):
        raise NotAuthenticated()


async def check_can_read_room(viewer: Any, room: str) -> str:
    """Raises unless the viewer may read the room; returns the access scope it is granted under."""
    _require_member(viewer)
    _, kind, ident = parse_room(room)
    await kind.check_read(viewer, ident)
    return await kind.scope(ident)


# One statement: the UPDATE takes the row's write lock, so concurrent senders get consecutive numbers,
# and RETURNING hands back the one this sender took (SQLite 3.35+, PostgreSQL).
_NEXT_SEQ = Statement(
    'UPDATE "rt_rooms" SET "last_seq" = "last_seq" + 1 WHERE "key" = ? RETURNING "last_seq"'
)


async def _next_seq(room: str, clock: Clock, conn: Any) -> int:
    """The room's next seq, inside the caller's transaction (`conn`, current there)."""
    rows = await _NEXT_SEQ.rows(room)
    if not rows:  # the room's first event: make its row, then number
        await Room.get_or_create(key=room, defaults={"created_at": clock.now()}, using_db=conn)
        rows = await _NEXT_SEQ.rows(room)
    return int(rows[0]["last_seq"])


async def _append(room: str, kind: str, clock: Clock, conn: Any, **fields: Any) -> RoomEvent:
    seq = await _next_seq(room, clock, conn)
    return await RoomEvent.create(
        room=room, seq=seq, kind=kind, created_at=clock.now(), using_db=conn, **fields
    )


# The send path, taken for every chat message: written out (convene/db.py Statement), since
# Tortoise took longer to build these statements than SQLite to run them (bench/chat_fanout.py).
# What decides whether a send is taken: the message this key already stored, the sender's mute,
# and (only while slow mode is on: CASE reads it only then) when they last sent here. Each is one
# look-up in an index, however long the room's history. Its values: _send_state_values.
_SEND_STATE_COLUMNS = """
      (SELECT "id" FROM "rt_messages" WHERE "room" = ? AND "author_id" = ? AND "client_key" = ?)
        AS "existing",
      (SELECT "until" FROM "rt_mutes" WHERE "room" = ? AND "user_id" = ?) AS "muted_until",
      (SELECT "slow_mode_seconds" FROM "rt_rooms" WHERE "key" = ?) AS "slow_mode",
      CASE WHEN (SELECT "slow_mode_seconds" FROM "rt_rooms" WHERE "key" = ?) > 0
        THEN (SELECT MAX("created_at") FROM "rt_messages" WHERE "room" = ? AND "author_id" = ?)
      END AS "last_sent"
"""
_SEND_MOMENTS = ("muted_until", "last_sent")
_SEND_STATE = Statement("SELECT" + _SEND_STATE_COLUMNS, moments=_SEND_MOMENTS)
# A group's chat, the busiest kind of room: the group, the sender's membership and the send state,
# in one read.
_GROUP_SEND_STATE = Statement(
    group_access_sql('g."id" = ?', extra="," + _SEND_STATE_COLUMNS),
    columns=GROUP_ACCESS_COLUMNS,
    moments=_SEND_MOMENTS,
)


def _send_state_values(room: str, author_id: int, client_key: str) -> tuple[Any, ...]:
    return (room, author_id, client_key, room, author_id, room, room, room, author_id)


async def _check_send(viewer: Any, room: str, kind: Any, ident: int, client_key: str) -> dict[str, Any]:
    """Raises unless the viewer may send to the room; returns the send state (_SEND_STATE_COLUMNS)."""
    values = _send_state_values(room, viewer.id, client_key)
    if isinstance(kind, GroupChat):
        state = await _GROUP_SEND_STATE.row(*values, actor_id(viewer), ident, at_once=True)
        require_found(access_from_row(viewer, state), Need.POST)
    else:
        await kind.check_send(viewer, ident)
        state = await _SEND_STATE.row(*values, at_once=True)
    assert state is not None
    return state


# A message, its number and its log entry, in one statement and one round trip to the database,
# atomic on its own: the room's counter moves on, the message takes the number, and the log records
# it. SQLite cannot write several tables from one statement, so there the message's insert takes
# last_seq + 1 and a trigger (migration realtime.0002_message_log_trigger) moves the counter and
# writes the log entry; a write statement holds SQLite's one write lock from its start,
# so no other writer takes the same number. PostgreSQL's data-modifying CTEs do it in the open: the
# UPDATE locks the room's row until commit, so a concurrent sender waits and takes the next number.
# No row comes back when the room has no row yet (its first event).
_STORE_MESSAGE = Statement(
    """
    INSERT INTO "rt_messages" ("room", "seq", "author_id", "client_key", "body", "body_html", "created_at")
    SELECT "key", "last_seq" + 1, ?, ?, ?, ?, ? FROM "rt_rooms" WHERE "key" = ?
    RETURNING "id", "seq"
    """,
    postgres="""
    WITH "s" AS (
      UPDATE "rt_rooms" SET "last_seq" = "last_seq" + 1 WHERE "key" = $6 RETURNING "key", "last_seq"
    ), "m" AS (
      INSERT INTO "rt_messages" ("room", "seq", "author_id", "client_key", "body", "body_html", "created_at")
      SELECT "key", "last_seq", $1, $2, $3, $4, $5 FROM "s" RETURNING "id", "room", "seq", "created_at"
    )
    INSERT INTO "rt_events" ("room", "seq", "kind", "message_id", "payload", "created_at")
    SELECT "room", "seq", 'message', "id", '{}', "created_at" FROM "m" RETURNING "message_id" AS "id", "seq"
    """,
)


async def _store_message(
    room: str, author_id: int, client_key: str, body: str, html: str, now: Any, conn: Any = None
) -> ChatMessage:
    """Store a message with its seq and log entry, and return it (without reading it back).
    Inside a transaction, pass its connection (`conn`) for the room's first event."""
    values = (author_id, client_key, body, html, now, room)
    rows = await _STORE_MESSAGE.rows(*values, at_once=True)
    if not rows:  # the room's first event: make its row, then store
        await Room.get_or_create(key=room, defaults={"created_at": now}, using_db=conn)
        rows = await _STORE_MESSAGE.rows(*values, at_once=True)
    return ChatMessage._init_from_db(  # as Tortoise builds a row it read: the values are final
        id=rows[0]["id"],
        room=room,
        seq=rows[0]["seq"],
        author_id=author_id,
        client_key=client_key,
        body=body,
        body_html=html,
        created_at=now,
        hidden_at=None,
        hidden_by_id=None,
        deleted_at=None,
    )


async def do_send_message(
    viewer: Any, room: str, *, body: str, client_key: str, clock: Clock
) -> tuple[dict[str, Any], bool]:
    """Returns (frame, created). created is False for a retry of a message already stored."""
    _require_member(viewer)
    room, kind, ident = parse_room(room)
    if not kind.chat:
        raise Forbidden("This room does not take chat messages.")
    state = await _check_send(viewer, room, kind, ident, client_key)
    body = body.strip()
    if not body:
        raise Invalid(fields={"body": "Write a message first."})
    if len(body) > MAX_MESSAGE_CHARS:
        raise Invalid(fields={"body": f"Messages are limited to {MAX_MESSAGE_CHARS} characters."})
    if not client_key or len(client_key) > 64:
        raise Invalid(fields={"key": "Each message needs a client key of 1 to 64 characters."})

    if state["existing"] is not None:
        existing = await ChatMessage.get(id=state["existing"])
        return message_frame(room, existing.seq, existing, viewer.name), False

    now = clock.now()
    if state["muted_until"] is not None and state["muted_until"] > now:
        raise Forbidden("A moderator has muted you in this room for now.")
    slow_mode = state["slow_mode"] or 0
    if (
        slow_mode
        and state["last_sent"] is not None
        and state["last_sent"] > now - timedelta(seconds=slow_mode)
    ):
        raise RateLimited(f"Slow mode is on: you can send one message every {slow_mode} seconds.")
    html = render_markdown(body)
    # A kind may keep its own records in step with its log (direct messages: the inbox order and
    # who is owed an email), in the same transaction; a group's chat has none, and its message is
    # one statement, atomic by itself.
    on_stored = getattr(kind, "on_stored", None)
    if on_stored is None:
        message = await _store_message(room, viewer.id, client_key, body, html, now)
    else:
        async with in_transaction() as conn:
            message = await _store_message(room, viewer.id, client_key, body, html, now, conn)
            await on_stored(ident, message, conn)
    return message_frame(room, message.seq, message, viewer.name), True


async def _moderation_event(
    viewer: Any, room: str, message_id: int, clock: Clock, *, action: str
) -> dict[str, Any]:
    _require_member(viewer)
    room, kind, ident = parse_room(room)
    message = await ChatMessage.get_or_none(id=message_id, room=room)
    if message is None:
        raise NotFound("That message does not exist.")
    if action == "deleted" and message.author_id == viewer.id:  # type: ignore[attr-defined]
        pass  # authors may delete their own messages
    else:
        await kind.check_moderate(viewer, ident)
    now = clock.now()
    async with in_transaction() as conn:
        update = {"deleted_at": now} if action == "deleted" else {"hidden_at": now, "hidden_by_id": viewer.id}
        if action == "restored":
            update = {"hidden_at": None, "hidden_by_id": None}
        await ChatMessage.filter(id=message.id).using_db(conn).update(**update)
        event = await _append(
            room, action, clock, conn, message_id=message.id, payload={"id": message.id, "by": viewer.id}
        )
    data: dict[str, Any] = {"id": message.id}
    if action == "restored":
        data["html"] = message.body_html
    return {"type": "event", "room": room, "seq": event.seq, "kind": action, "data": data}


async def do_hide_message(viewer: Any, room: str, message_id: int, *, clock: Clock) -> dict[str, Any]:
    return await _moderation_event(viewer, room, message_id, clock, action="hidden")


async def do_restore_message(viewer: Any, room: str, message_id: int, *, clock: Clock) -> dict[str, Any]:
    return await _moderation_event(viewer, room, message_id, clock, action="restored")


async def do_delete_message(viewer: Any, room: str, message_id: int, *, clock: Clock) -> dict[str, Any]:
    return await _moderation_event(viewer, room, message_id, clock, action="deleted")


async def do_mute(viewer: Any, room: str, user_id: int, minutes: int, *, clock: Clock) -> dict[str, Any]:
    _require_member(viewer)
    room, kind, ident = parse_room(room)
    await kind.check_moderate(viewer, ident)
    if not 0 <= minutes <= MAX_MUTE_MINUTES:
        raise Invalid(fields={"minutes": f"Mute for 0 to {MAX_MUTE_MINUTES} minutes."})
    until = clock.now() + timedelta(minutes=minutes)
    async with in_transaction() as conn:
        await Mute.update_or_create(
            room=room, user_id=user_id, defaults={"until": until, "by_id": viewer.id}, using_db=conn
        )
        event = await _append(
            room, "muted", clock, conn, payload={"user_id": user_id, "until": until.isoformat()}
        )
    return {"type": "event", "room": room, "seq": event.seq, "kind": "muted", "data": event.payload}


async def do_set_slow_mode(viewer: Any, room: str, seconds: int, *, clock: Clock) -> dict[str, Any]:
    _require_member(viewer)
    room, kind, ident = parse_room(room)
    await kind.check_moderate(viewer, ident)
    if not 0 <= seconds <= MAX_SLOW_MODE_SECONDS:
        raise Invalid(fields={"seconds": f"Slow mode takes 0 to {MAX_SLOW_MODE_SECONDS} seconds."})
    async with in_transaction() as conn:
        await Room.get_or_create(key=room, defaults={"created_at": clock.now()}, using_db=conn)
        await Room.filter(key=room).using_db(conn).update(slow_mode_seconds=seconds)
        event = await _append(room, "slow_mode", clock, conn, payload={"seconds": seconds})
    return {"type": "event", "room": room, "seq": event.seq, "kind": "slow_mode", "data": event.payload}


async def do_mark_read(viewer: Any, room: str, seq: int, *, clock: Clock) -> int:
    await check_can_read_room(viewer, room)
    marker, created = await ReadMarker.get_or_create(
        room=room, user_id=viewer.id, defaults={"seq": seq, "updated_at": clock.now()}
    )
    if not created and seq > marker.seq:
        await ReadMarker.filter(id=marker.id).update(seq=seq, updated_at=clock.now())
        return seq
    return max(seq, marker.seq) if not created else seq


async def get_read_marker(viewer: Any, room: str) -> int:
    marker = await ReadMarker.get_or_none(room=room, user_id=viewer.id)
    return marker.seq if marker else 0


async def get_last_seq(room: str) -> int:
    row = await Room.get_or_none(key=room)
    return row.last_seq if row else 0


async def list_room_log(viewer: Any, room: str, since: int, limit: int = 500) -> list[dict[str, Any]]:
    """What a (re)subscribing client missed, after checking it may read the room."""
    room, kind, ident = parse_room(room)
    await check_can_read_room(viewer, room)
    return await kind.history(room, ident, since, limit)


# The chat panel on a group's page, shown on every view of the group by a member: written out
# (convene/db.py Statement), as Tortoise took longer to build these reads than SQLite to answer.
_RECENT_MESSAGES = Statement(
    """
    SELECT {m}, a."name" AS "author_name" FROM "rt_messages" m
    LEFT JOIN "users" a ON a."id" = m."author_id"
    WHERE m."room" = ? AND m."hidden_at" IS NULL AND m."deleted_at" IS NULL
    ORDER BY m."seq" DESC LIMIT ?
    """,
    columns={"m": ChatMessage},
)
_LAST_SEQ = Statement("""SELECT "last_seq" FROM "rt_rooms" WHERE "key" = ?""")


async def list_group_panel(viewer: Any, access: Any, *, limit: int) -> tuple[str, list[dict[str, Any]], int]:
    """(room, its latest visible messages as list_messages gives them, its last seq) for the
    chat panel on a group's page. `access` is the viewer's standing in the group, which the page
    has looked up (forum.access.GroupAccess): the rule is check_can_read_room's for the group's
    room, without looking the group and the membership up a second time."""
    from forum.access import Need

    _require_member(viewer)
    access.require(Need.READ)
    room = f"group:{access.group.id}"
    rows = await _RECENT_MESSAGES.rows(room, max(1, min(limit, 200)))
    messages = []
    for row in reversed(rows):
        message = model_from_row(ChatMessage, row, "m")
        assert message is not None
        frame = message_frame(room, message.seq, message, row["author_name"])
        messages.append(frame["data"] | {"seq": message.seq})
    last = await _LAST_SEQ.row(room)
    return room, messages, last["last_seq"] if last else 0


async def list_messages(
    viewer: Any, room: str, *, before: int | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Chat history over HTTP, newest page first (paged backwards by seq), visible messages only."""
    await check_can_read_room(viewer, room)
    query = ChatMessage.filter(room=room, hidden_at=None, deleted_at=None)
    if before is not None:
        query = query.filter(seq__lt=before)
    messages = await query.order_by("-seq").limit(max(1, min(limit, 200))).select_related("author")
    return [
        message_frame(room, m.seq, m, m.author.name if m.author else None)["data"] | {"seq": m.seq}
        for m in reversed(messages)
    ]
