"""Room kinds: who may read, write and moderate a room, and how a room's log is replayed.

A room key is "<kind>:<id>". Each kind delegates permission to its own domain service, so the
WebSocket obeys exactly the rules the pages and the API obey.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from convene.errors import NotFound
from realtime.models import ChatMessage, RoomEvent


class RoomKind(Protocol):
    chat: bool

    async def scope(self, ident: int) -> str: ...

    async def check_read(self, viewer: Any, ident: int) -> None: ...

    async def check_send(self, viewer: Any, ident: int) -> None: ...

    async def check_moderate(self, viewer: Any, ident: int) -> None: ...

    async def history(self, room: str, ident: int, since: int, limit: int) -> list[dict[str, Any]]: ...


def message_frame(room: str, seq: int, msg: ChatMessage, author_name: str | None) -> dict[str, Any]:
    gone = msg.hidden_at is not None or msg.deleted_at is not None
    return {
        "type": "event",
        "room": room,
        "seq": seq,
        "kind": "message",
        "data": {
            "id": msg.id,
            "author": {"id": msg.author_id, "name": author_name or "former member"},  # type: ignore[attr-defined]
            "html": "" if gone else msg.body_html,
            "state": "deleted" if msg.deleted_at else ("hidden" if msg.hidden_at else "visible"),
            "key": msg.client_key,
            "created_at": msg.created_at.isoformat(),
        },
    }


async def chat_log(room: str, since: int, limit: int) -> list[dict[str, Any]]:
    """Replay a chat room's log from the database, each message in its current state."""
    events = await RoomEvent.filter(room=room, seq__gt=since).order_by("seq").limit(limit)
    ids = {e.message_id for e in events if e.message_id is not None}
    messages = {m.id: m for m in await ChatMessage.filter(id__in=ids).select_related("author")} if ids else {}
    frames: list[dict[str, Any]] = []
    for event in events:
        msg = messages.get(event.message_id) if event.message_id is not None else None
        if event.kind == "message" and msg is not None:
            frames.append(message_frame(room, event.seq, msg, msg.author.name if msg.author else None))
        else:
            frames.append(
                {"type": "event", "room": room, "seq": event.seq, "kind": event.kind, "data": event.payload}
            )
    return frames


@dataclass
class GroupChat:
    """The live chat of a discussion group: readers of the group read, its members write."""

    chat: bool = True

    async def _require(self, viewer: Any, ident: int, need: str) -> None:
        from forum.access import Need, get_access_by_id, require_found

        # The group and the viewer's membership, in one read.
        require_found(await get_access_by_id(viewer, ident), Need(need))

    async def scope(self, ident: int) -> str:
        return f"group:{ident}"

    async def check_read(self, viewer: Any, ident: int) -> None:
        await self._require(viewer, ident, "read")

    async def check_send(self, viewer: Any, ident: int) -> None:
        await self._require(viewer, ident, "post")

    async def check_moderate(self, viewer: Any, ident: int) -> None:
        await self._require(viewer, ident, "moderate")

    async def history(self, room: str, ident: int, since: int, limit: int) -> list[dict[str, Any]]:
        return await chat_log(room, since, limit)


@dataclass
class ThreadUpdates:
    """Live replies on a thread page. The log IS the thread: seq is the post number."""

    chat: bool = False

    async def _thread(self, ident: int) -> Any:
        from forum.models import Thread

        thread = await Thread.get_or_none(id=ident).select_related("group")
        if thread is None:
            raise NotFound()
        return thread

    async def scope(self, ident: int) -> str:
        return f"group:{(await self._thread(ident)).group_id}"

    async def check_read(self, viewer: Any, ident: int) -> None:
        from forum.access import check_can_read_thread, thread_refusal

        thread = await self._thread(ident)
        access = await check_can_read_thread(viewer, thread.group)
        error = thread_refusal(access, thread, None, writing=False)  # a deleted thread: moderators only
        if error is not None:
            raise error

    async def check_send(self, viewer: Any, ident: int) -> None:
        from convene.errors import Forbidden

        raise Forbidden("Replies to a thread are posted through the reply form.")

    async def check_moderate(self, viewer: Any, ident: int) -> None:
        from forum.access import check_can_moderate_group

        await check_can_moderate_group(viewer, (await self._thread(ident)).group)

    async def history(self, room: str, ident: int, since: int, limit: int) -> list[dict[str, Any]]:
        from forum.models import Post

        posts = (
            await Post.filter(thread_id=ident, number__gt=since)
            .order_by("number")
            .limit(limit)
            .select_related("author")
        )
        return [post_frame(room, p) for p in posts]


def post_frame(room: str, post: Any) -> dict[str, Any]:
    # A hidden post's text never leaves the server in a frame (forum/moderation.py).
    hidden = getattr(post, "hidden_at", None) is not None
    html = post.body_html
    if hidden:
        from forum.moderation import HIDDEN_PLACEHOLDER_HTML

        html = HIDDEN_PLACEHOLDER_HTML
    # Nor does a deleted post's (forum/editing.py): the client shows its own placeholder.
    deleted = getattr(post, "deleted_at", None) is not None
    if deleted:
        html = ""
    return {
        "type": "event",
        "room": room,
        "seq": post.number,
        "kind": "post",
        "data": {
            "id": post.id,
            "number": post.number,
            "author": {"id": post.author_id, "name": post.author.name if post.author else "former member"},
            "html": html,
            "hidden": hidden,
            "deleted": deleted,
            "parent_id": post.parent_id,
            "created_at": post.created_at.isoformat(),
        },
    }


@dataclass
class DirectConversation:
    """A direct-message conversation (messages/): only its participants read it; they send unless
    a block stands between them and another participant. Nobody moderates another's messages,
    not even administrators; authors may delete their own."""

    chat: bool = True

    async def scope(self, ident: int) -> str:
        return f"dm:{ident}"

    async def check_read(self, viewer: Any, ident: int) -> None:
        from messages.service import check_participant

        await check_participant(viewer, ident)

    async def check_send(self, viewer: Any, ident: int) -> None:
        from messages.service import check_can_send

        await check_can_send(viewer, ident)

    async def check_moderate(self, viewer: Any, ident: int) -> None:
        from convene.errors import Forbidden

        raise Forbidden("Direct messages are not moderated here: block the member instead.")

    async def history(self, room: str, ident: int, since: int, limit: int) -> list[dict[str, Any]]:
        return await chat_log(room, since, limit)

    async def on_stored(self, ident: int, message: ChatMessage, conn: Any) -> None:
        from messages.service import record_message

        await record_message(ident, message, conn)


@dataclass
class ConsultationQA:
    """A consultation's live Q&A and schedule changes. Rules and history live in consultations/live.py;
    questions are asked and moderated through /api/v1 (or the page's forms), never as chat."""

    chat: bool = False

    async def _consultation(self, ident: int) -> Any:
        from consultations.models import Consultation

        consultation = await Consultation.get_or_none(id=ident)
        if consultation is None:
            raise NotFound()
        return consultation

    async def scope(self, ident: int) -> str:
        # Removal from the group revokes a group consultation's room along with the group's others.
        group_id = (await self._consultation(ident)).group_id
        return f"group:{group_id}" if group_id is not None else f"consultation:{ident}"

    async def check_read(self, viewer: Any, ident: int) -> None:
        from consultations.access import check_can_see

        await check_can_see(viewer, await self._consultation(ident))

    async def check_send(self, viewer: Any, ident: int) -> None:
        from convene.errors import Forbidden

        raise Forbidden("Ask live questions through the consultation's Q&A, not as chat messages.")

    async def check_moderate(self, viewer: Any, ident: int) -> None:
        from consultations.access import check_can_see

        (await check_can_see(viewer, await self._consultation(ident))).require_manage()

    async def history(self, room: str, ident: int, since: int, limit: int) -> list[dict[str, Any]]:
        from consultations.live_frames import room_history

        return await room_history(room, ident, since, limit)


ROOM_KINDS: dict[str, RoomKind] = {
    "group": GroupChat(),
    "thread": ThreadUpdates(),
    "dm": DirectConversation(),
    "consultation": ConsultationQA(),
}


def parse_room(room: Any) -> tuple[str, RoomKind, int]:
    if not isinstance(room, str) or room.count(":") != 1:
        raise NotFound("There is no such room.")
    kind_name, _, ident = room.partition(":")
    kind = ROOM_KINDS.get(kind_name)
    if kind is None or not ident.isdigit() or len(ident) > 12:
        raise NotFound("There is no such room.")
    return room, kind, int(ident)
