"""The direct-messages JSON API under /api/v1 (live delivery is the /ws room "dm:<id>")."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from convene.api import api, json_response, parse
from convene.errors import Invalid
from members.models import User
from messages import service
from messages.schemas import (
    BlockIn,
    BlockOut,
    ConversationDetailOut,
    ConversationOut,
    DirectMessageOut,
    MessageIn,
    MessageSettingsIn,
    MessageSettingsOut,
    NewConversationIn,
    PersonOut,
    SentOut,
)


def _person(user: User) -> PersonOut:
    return PersonOut(id=user.id, username=user.username, name=user.name)


def _message(data: dict[str, Any], seq: int | None = None) -> DirectMessageOut:
    return DirectMessageOut(
        id=data["id"],
        seq=seq if seq is not None else data["seq"],
        author=data["author"],
        html=data["html"],
        state=data["state"],
        key=data.get("key") or "",
        created_at=data["created_at"],
    )


async def _detail(request: Request, conversation_id: int) -> ConversationDetailOut:
    view = await service.get_conversation(request.user, conversation_id)
    messages, since = await service.list_conversation_messages(request.user, conversation_id)
    return ConversationDetailOut(
        id=view.conversation.id,
        subject=view.conversation.subject,
        room=service.room_of(view.conversation.id),
        participants=[_person(u) for u in view.people],
        last_message_at=view.conversation.last_message_at,
        can_send=view.can_send,
        cannot_send_reason=view.cannot_send_reason,
        messages=[_message(m) for m in messages],
        since=since,
    )


@api(
    "GET",
    "/api/v1/conversations",
    summary="Your direct-message conversations, latest first",
    tag="messages",
    response=ConversationOut,
    many=True,
    auth=True,
)
async def api_conversations(request: Request) -> Response:
    out = []
    for c in await service.list_conversations(request.user):
        last = None
        if c.last is not None:
            author = c.last.author
            last = DirectMessageOut(
                id=c.last.id,
                seq=c.last.seq,
                author={"id": c.last.author_id, "name": author.name if author else "former member"},  # type: ignore[attr-defined]
                html="" if c.last.deleted_at or c.last.hidden_at else c.last.body_html,
                state="deleted" if c.last.deleted_at else ("hidden" if c.last.hidden_at else "visible"),
                key=c.last.client_key,
                created_at=c.last.created_at.isoformat(),
            )
        out.append(
            ConversationOut(
                id=c.conversation.id,
                subject=c.conversation.subject,
                room=service.room_of(c.conversation.id),
                participants=[_person(u) for u in c.others],
                last_message_at=c.conversation.last_message_at,
                unread=c.unread,
                last_message=last,
            )
        )
    return json_response(out)


@api(
    "POST",
    "/api/v1/conversations",
    summary="Write to one member (their existing conversation is reused) or to a small group",
    tag="messages",
    body=NewConversationIn,
    response=SentOut,
    status=201,
    auth=True,
)
async def api_start(request: Request) -> Response:
    data = await parse(request, NewConversationIn)
    clock = request.app.state.clock
    conversation, _ = await service.do_start_conversation(
        request.user, to=data.to, subject=data.subject, clock=clock
    )
    frame, created = await service.do_send(
        request.user, conversation.id, body=data.body, key=data.key, clock=clock
    )
    if created:
        await request.app.state.hub.publish(service.room_of(conversation.id), frame)
    out = SentOut(
        conversation=conversation.id, message=_message(frame["data"], frame["seq"]), duplicate=not created
    )
    return json_response(out, status_code=201)


@api(
    "GET",
    "/api/v1/conversations/{id:int}",
    summary="One conversation: its participants and latest messages (marks nothing read)",
    tag="messages",
    response=ConversationDetailOut,
    auth=True,
)
async def api_conversation(request: Request) -> Response:
    return json_response(await _detail(request, request.path_params["id"]))


@api(
    "POST",
    "/api/v1/conversations/{id:int}/messages",
    summary="Send a message; a retry with the same key is stored once",
    tag="messages",
    body=MessageIn,
    response=SentOut,
    status=201,
    auth=True,
)
async def api_send(request: Request) -> Response:
    data = await parse(request, MessageIn)
    conversation_id = request.path_params["id"]
    frame, created = await service.do_send(
        request.user, conversation_id, body=data.body, key=data.key, clock=request.app.state.clock
    )
    if created:
        await request.app.state.hub.publish(service.room_of(conversation_id), frame)
    out = SentOut(
        conversation=conversation_id, message=_message(frame["data"], frame["seq"]), duplicate=not created
    )
    return json_response(out, status_code=201)


@api(
    "POST",
    "/api/v1/conversations/{id:int}/leave",
    summary="Leave a conversation",
    tag="messages",
    status=204,
    auth=True,
)
async def api_leave(request: Request) -> Response:
    conversation_id = request.path_params["id"]
    await service.do_leave_conversation(request.user, conversation_id, clock=request.app.state.clock)
    await request.app.state.hub.revoke(request.user.id, f"dm:{conversation_id}")
    return Response(status_code=204)


@api(
    "GET",
    "/api/v1/blocks",
    summary="Members you have blocked",
    tag="messages",
    response=BlockOut,
    many=True,
    auth=True,
)
async def api_blocks(request: Request) -> Response:
    blocks = await service.list_blocks(request.user)
    return json_response([BlockOut(user=_person(b.blocked), created_at=b.created_at) for b in blocks])


@api(
    "POST",
    "/api/v1/blocks",
    summary="Block a member: no new conversations and no messages either way",
    tag="messages",
    body=BlockIn,
    response=BlockOut,
    status=201,
    auth=True,
)
async def api_block(request: Request) -> Response:
    data = await parse(request, BlockIn)
    user = await service.do_block(request.user, data.username, clock=request.app.state.clock)
    now = request.app.state.clock.now()
    return json_response(BlockOut(user=_person(user), created_at=now), status_code=201)


@api("DELETE", "/api/v1/blocks/{user_id:int}", summary="Lift a block", tag="messages", status=204, auth=True)
async def api_unblock(request: Request) -> Response:
    await service.do_unblock(request.user, request.path_params["user_id"])
    return Response(status_code=204)


@api(
    "GET",
    "/api/v1/me/message-settings",
    summary="Your direct-message email preference",
    tag="messages",
    response=MessageSettingsOut,
    auth=True,
)
async def api_settings(request: Request) -> Response:
    actor = service.check_member(request.user)
    return json_response(
        MessageSettingsOut(email_new_messages=await service.get_email_new_messages(actor.id))
    )


@api(
    "PATCH",
    "/api/v1/me/message-settings",
    summary="Turn email about new direct messages on or off",
    tag="messages",
    body=MessageSettingsIn,
    response=MessageSettingsOut,
    auth=True,
)
async def api_update_settings(request: Request) -> Response:
    data = await parse(request, MessageSettingsIn)
    if "email_new_messages" not in data.model_fields_set:
        raise Invalid(fields={"email_new_messages": "Send true or false."})
    value = await service.do_set_email_new_messages(request.user, data.email_new_messages)
    return json_response(MessageSettingsOut(email_new_messages=value))


routes = [
    api_conversations,
    api_start,
    api_conversation,
    api_send,
    api_leave,
    api_blocks,
    api_block,
    api_unblock,
    api_settings,
    api_update_settings,
]
