"""Direct messages: start a conversation, read and send in it, leave it, block people.

A conversation is one-to-one (the same two people always share one) or a small group of up to
MAX_PARTICIPANTS, fixed when it starts. Its messages are a realtime room "dm:<id>": sending goes
through realtime.service.do_send_message, whose room kind (realtime.rooms.DirectConversation)
asks `check_can_send` here and calls `record_message` in the sending transaction. Nobody but the
participants reads a conversation: not moderators, not administrators. Email addresses are never
part of anything this module returns.

A block is one member's choice not to hear from another: neither can start a conversation with
the other, and in every conversation they share, neither can send any more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from convene.clock import Clock
from convene.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound, RateLimited
from convene.markup import plain_text
from forum.access import effective_actor
from members.models import User, UserStatus
from messages.models import Block, Conversation, MessageSettings, Participant
from realtime.models import ChatMessage, ReadMarker

MAX_PARTICIPANTS = 10
MAX_NEW_PER_DAY = 30
BLOCKED = "You cannot send messages here: there is a block between you and someone in this conversation."


def room_of(conversation_id: int) -> str:
    return f"dm:{conversation_id}"


def check_member(viewer: Any) -> User:
    actor = effective_actor(viewer)
    if actor is None:
        raise NotAuthenticated("Please sign in to read and send messages.")
    return actor


async def blocked_between(user_id: int, others: list[int]) -> bool:
    if not others:
        return False
    return await Block.filter(
        Q(blocker_id=user_id, blocked_id__in=others) | Q(blocker_id__in=others, blocked_id=user_id)
    ).exists()


async def check_participant(viewer: Any, conversation_id: int) -> tuple[User, Conversation]:
    """The viewer takes part in the conversation; to anyone else it does not exist."""
    actor = check_member(viewer)
    if not await Participant.exists(conversation_id=conversation_id, user_id=actor.id, left_at=None):
        raise NotFound("There is no such conversation.")
    return actor, await Conversation.get(id=conversation_id)


async def _others(conversation_id: int, user_id: int) -> list[int]:
    return list(
        await Participant.filter(conversation_id=conversation_id, left_at=None)
        .exclude(user_id=user_id)
        .values_list("user_id", flat=True)
    )


async def check_can_send(viewer: Any, conversation_id: int) -> User:
    actor, _ = await check_participant(viewer, conversation_id)
    others = await _others(conversation_id, actor.id)
    if not others:
        raise Forbidden("Everyone else has left this conversation.")
    if await blocked_between(actor.id, others):
        raise Forbidden(BLOCKED)
    return actor


async def record_message(conversation_id: int, message: ChatMessage, conn: Any) -> None:
    """Called by realtime.service.do_send_message inside its transaction: the inbox order, and
    which participants are owed an email about it (messages/notify.py)."""
    await Conversation.filter(id=conversation_id).using_db(conn).update(last_message_at=message.created_at)
    await (
        Participant.filter(conversation_id=conversation_id, left_at=None, pending_since=None)
        .exclude(user_id=message.author_id)  # type: ignore[attr-defined]
        .using_db(conn)
        .update(pending_since=message.created_at)
    )


# ---- Starting a conversation ----


async def _recipients(actor: User, usernames: list[str]) -> list[User]:
    wanted = []
    for name in usernames:
        name = name.strip().lstrip("@").lower()
        if name and name not in wanted:
            wanted.append(name)
    if not wanted:
        raise Invalid(fields={"to": "Choose who to write to."})
    if len(wanted) > MAX_PARTICIPANTS - 1:
        raise Invalid(
            fields={"to": f"A conversation can have at most {MAX_PARTICIPANTS} people, you included."}
        )
    users = {u.username: u for u in await User.filter(username__in=wanted, status=UserStatus.ACTIVE)}
    missing = [name for name in wanted if name not in users]
    if missing:
        raise Invalid(fields={"to": f"There is no member with the username {missing[0]}."})
    people = [users[name] for name in wanted if users[name].id != actor.id]
    if not people:
        raise Invalid(fields={"to": "Choose someone other than yourself."})
    for person in people:
        if await blocked_between(actor.id, [person.id]):
            raise Invalid(fields={"to": f"You cannot start a conversation with {person.name}."})
    return people


async def do_start_conversation(
    viewer: Any, *, to: list[str], subject: str, clock: Clock
) -> tuple[Conversation, bool]:
    """Find or start the conversation; returns it and whether it is new. The first message is
    sent by the caller through realtime.service.do_send_message, like every other one."""
    actor = check_member(viewer)
    people = await _recipients(actor, to)
    now = clock.now()
    pair_key = None
    if len(people) == 1:
        low, high = sorted((actor.id, people[0].id))
        pair_key = f"{low}:{high}"
        existing = await Conversation.get_or_none(pair_key=pair_key)
        if existing is not None:
            # Someone who left a one-to-one conversation is back in it when it is used again.
            await Participant.filter(conversation_id=existing.id).update(left_at=None)
            return existing, False
    since = now - timedelta(days=1)
    if await Conversation.filter(created_by_id=actor.id, created_at__gt=since).count() >= MAX_NEW_PER_DAY:
        raise RateLimited(
            f"You can start at most {MAX_NEW_PER_DAY} conversations a day. Please try tomorrow."
        )
    async with in_transaction() as conn:
        conversation = await Conversation.create(
            subject=plain_text(subject, 200) if subject else "",
            created_by=actor,
            pair_key=pair_key,
            created_at=now,
            last_message_at=now,
            using_db=conn,
        )
        await Participant.bulk_create(
            [Participant(conversation=conversation, user_id=u.id, joined_at=now) for u in [actor, *people]],
            using_db=conn,
        )
    return conversation, True


# ---- Reading ----


@dataclass
class ConversationSummary:
    conversation: Conversation
    others: list[User]
    last: ChatMessage | None
    unread: int

    @property
    def title(self) -> str:
        if self.conversation.subject:
            return self.conversation.subject
        return ", ".join(u.name for u in self.others) or "—"


async def _last_messages(rooms: list[str]) -> dict[str, ChatMessage]:
    if not rooms:
        return {}
    tops = (
        await ChatMessage.filter(room__in=rooms)
        .annotate(top=Max("seq"))
        .group_by("room")
        .values("room", "top")
    )
    condition = Q()
    for row in tops:
        condition |= Q(room=row["room"], seq=row["top"])
    if not tops:
        return {}
    return {m.room: m for m in await ChatMessage.filter(condition).prefetch_related("author")}


async def list_conversations(viewer: Any, *, limit: int = 100) -> list[ConversationSummary]:
    """The viewer's conversations, latest message first, with unread counts."""
    actor = check_member(viewer)
    mine = (
        await Participant.filter(user_id=actor.id, left_at=None)
        .order_by("-conversation__last_message_at", "-conversation_id")
        .limit(limit)
        .prefetch_related("conversation")
    )
    ids = [p.conversation_id for p in mine]  # type: ignore[attr-defined]
    others: dict[int, list[User]] = {i: [] for i in ids}
    for p in (
        await Participant.filter(conversation_id__in=ids).exclude(user_id=actor.id).prefetch_related("user")
    ):
        others[p.conversation_id].append(p.user)  # type: ignore[attr-defined]
    rooms = [room_of(i) for i in ids]
    last = await _last_messages(rooms)
    markers = {m.room: m.seq for m in await ReadMarker.filter(user_id=actor.id, room__in=rooms)}
    out = []
    for p in mine:
        room = room_of(p.conversation_id)  # type: ignore[attr-defined]
        top = last.get(room)
        unread = 0
        if top is not None and top.seq > markers.get(room, 0):
            unread = (
                await ChatMessage.filter(room=room, seq__gt=markers.get(room, 0), deleted_at=None)
                .exclude(author_id=actor.id)
                .count()
            )
        out.append(ConversationSummary(p.conversation, others[p.conversation_id], top, unread))  # type: ignore[attr-defined]
    return out


@dataclass
class ConversationView:
    conversation: Conversation
    people: list[User]  # everyone in it, the viewer included
    left: list[User] = field(default_factory=list)
    can_send: bool = True
    cannot_send_reason: str = ""


async def get_conversation(viewer: Any, conversation_id: int) -> ConversationView:
    actor, conversation = await check_participant(viewer, conversation_id)
    rows = await Participant.filter(conversation_id=conversation_id).order_by("id").prefetch_related("user")
    view = ConversationView(
        conversation=conversation,
        people=[p.user for p in rows if p.left_at is None],
        left=[p.user for p in rows if p.left_at is not None],
    )
    try:
        await check_can_send(actor, conversation_id)
    except Forbidden as exc:
        view.can_send, view.cannot_send_reason = False, exc.message
    return view


async def do_leave_conversation(viewer: Any, conversation_id: int, *, clock: Clock) -> None:
    actor, conversation = await check_participant(viewer, conversation_id)
    await Participant.filter(conversation_id=conversation.id, user_id=actor.id).update(
        left_at=clock.now(), pending_since=None
    )


# ---- Blocks ----


async def list_blocks(viewer: Any) -> list[Block]:
    actor = check_member(viewer)
    return list(await Block.filter(blocker_id=actor.id).order_by("-created_at").prefetch_related("blocked"))


async def is_blocking(viewer: Any, user_id: int) -> bool:
    actor = effective_actor(viewer)
    return actor is not None and await Block.exists(blocker_id=actor.id, blocked_id=user_id)


async def do_block(viewer: Any, username: str, *, clock: Clock) -> User:
    actor = check_member(viewer)
    target = await User.get_or_none(username=username.strip().lstrip("@").lower())
    if target is None or (target.status != UserStatus.ACTIVE and target.status != UserStatus.SUSPENDED):
        raise NotFound("There is no member with that username.")
    if target.id == actor.id:
        raise Invalid(fields={"username": "You cannot block yourself."})
    if await Block.exists(blocker_id=actor.id, blocked_id=target.id):
        raise Conflict("You have already blocked this member.")
    await Block.create(blocker_id=actor.id, blocked_id=target.id, created_at=clock.now())
    return target


async def do_unblock(viewer: Any, user_id: int) -> None:
    actor = check_member(viewer)
    if not await Block.filter(blocker_id=actor.id, blocked_id=user_id).delete():
        raise NotFound("You have not blocked that member.")


# ---- Preferences ----


async def get_email_new_messages(user_id: int) -> bool:
    row = await MessageSettings.get_or_none(user_id=user_id)
    return True if row is None else row.email_new_messages


async def do_set_email_new_messages(viewer: Any, value: bool) -> bool:
    actor = check_member(viewer)
    await MessageSettings.update_or_create(defaults={"email_new_messages": value}, user_id=actor.id)
    return value


# ---- Sending and reading (through the realtime room log) ----


async def do_send(
    viewer: Any, conversation_id: int, *, body: str, key: str, clock: Clock
) -> tuple[dict[str, Any], bool]:
    """Store a message in the conversation's room log; returns (frame, created). The caller
    publishes the frame to the hub after this returns (the transaction has committed)."""
    from realtime.service import do_send_message

    return await do_send_message(viewer, room_of(conversation_id), body=body, client_key=key, clock=clock)


async def list_conversation_messages(
    viewer: Any, conversation_id: int, *, before: int | None = None, limit: int = 100
) -> tuple[list[dict[str, Any]], int]:
    """A page of messages (oldest first) and the room's last seq, which the live client continues
    from; reading marks the conversation read up to there."""
    from realtime.service import get_last_seq, list_messages

    await check_participant(viewer, conversation_id)
    room = room_of(conversation_id)
    messages = await list_messages(viewer, room, before=before, limit=limit)
    last = await get_last_seq(room)
    return messages, last


async def do_mark_read(viewer: Any, conversation_id: int, seq: int, *, clock: Clock) -> None:
    from realtime.service import do_mark_read as mark

    actor, _ = await check_participant(viewer, conversation_id)
    await mark(actor, room_of(conversation_id), seq, clock=clock)
