"""HTML pages for direct messages: the inbox, a conversation (live with static/js/realtime.js,
and a plain form without JavaScript), starting a conversation, blocks and email preferences."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from convene.api import read_input, validate
from convene.errors import ConveneError, Invalid
from members.choices import N_
from messages import service
from messages.schemas import BlockIn, MessageIn, MessageSettingsIn, NewConversationIn

PAGE_MESSAGES = 100
NOTICES = {
    "blocked": N_("The member is blocked: neither of you can send messages to the other."),
    "unblocked": N_("The block has been lifted."),
    "left": N_("You have left the conversation."),
    "saved": N_("Your changes have been saved."),
}


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    notice = NOTICES.get(request.query_params.get("done", ""))
    ctx = {"errors": {}, "values": {}, "notice": notice, **context}
    return request.app.state.templates.render(request, name, ctx, status_code=status_code)


def _back(raw: dict[str, Any], default: str) -> str:
    target = str(raw.get("back") or "")
    # Only our own pages: "/messages/3", never "//elsewhere" or a full address.
    return (
        target if target.startswith("/") and not target.startswith("//") and "\\" not in target else default
    )


async def inbox(request: Request) -> Response:
    conversations = await service.list_conversations(request.user)
    return render(request, "messages/inbox.html", {"conversations": conversations})


async def new_conversation(request: Request) -> Response:
    service.check_member(request.user)
    if request.method == "GET":
        values = {"to": request.query_params.get("to", "")}
        return render(request, "messages/new.html", {"values": values})
    raw = await read_input(request)
    clock = request.app.state.clock
    try:
        data = validate(NewConversationIn, raw)
        conversation, _ = await service.do_start_conversation(
            request.user, to=data.to, subject=data.subject, clock=clock
        )
        frame, created = await service.do_send(
            request.user, conversation.id, body=data.body, key=data.key, clock=clock
        )
    except ConveneError as exc:
        if exc.status == 401:
            raise
        return render(
            request,
            "messages/new.html",
            {"values": raw, "errors": exc.fields or {"body": exc.message}},
            exc.status,
        )
    if created:
        await request.app.state.hub.publish(service.room_of(conversation.id), frame)
    return RedirectResponse(f"/messages/{conversation.id}#m{frame['data']['id']}", status_code=303)


async def conversation_page(
    request: Request, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    conversation_id = request.path_params["id"]
    view = await service.get_conversation(request.user, conversation_id)
    before = request.query_params.get("before")
    if before is not None and not before.isdigit():
        raise Invalid("The page number must be a whole number.")
    messages, since = await service.list_conversation_messages(
        request.user, conversation_id, before=int(before) if before else None, limit=PAGE_MESSAGES
    )
    if since and before is None:
        await service.do_mark_read(request.user, conversation_id, since, clock=request.app.state.clock)
    chat = {
        "room": service.room_of(conversation_id),
        "messages": messages,
        "since": since,
        "can_post": view.can_send,
    }
    older = messages[0]["seq"] if len(messages) == PAGE_MESSAGES else None
    blocked_ids = {b.blocked_id for b in await service.list_blocks(request.user)}  # type: ignore[attr-defined]
    ctx = {"view": view, "chat": chat, "older": older, "errors": errors or {}, "blocked_ids": blocked_ids}
    return render(request, "messages/conversation.html", ctx, status_code)


async def send_message(request: Request) -> Response:
    """The no-JavaScript path: a plain form post, stored and broadcast like a WebSocket send."""
    conversation_id = request.path_params["id"]
    try:
        data = validate(MessageIn, await read_input(request))
        frame, created = await service.do_send(
            request.user, conversation_id, body=data.body, key=data.key, clock=request.app.state.clock
        )
    except ConveneError as exc:
        if exc.status in (401, 404):
            raise
        return await conversation_page(
            request, errors=exc.fields or {"body": exc.message}, status_code=exc.status
        )
    if created:
        await request.app.state.hub.publish(service.room_of(conversation_id), frame)
    return RedirectResponse(f"/messages/{conversation_id}#m{frame['data']['id']}", status_code=303)


async def leave(request: Request) -> Response:
    conversation_id = request.path_params["id"]
    await service.do_leave_conversation(request.user, conversation_id, clock=request.app.state.clock)
    actor = request.user
    await request.app.state.hub.revoke(actor.id, f"dm:{conversation_id}")
    return RedirectResponse("/messages?done=left", status_code=303)


async def block(request: Request) -> Response:
    raw = await read_input(request)
    data = validate(BlockIn, raw)
    try:
        await service.do_block(request.user, data.username, clock=request.app.state.clock)
    except ConveneError as exc:
        if exc.status != 409:  # blocking twice is what they wanted anyway
            raise
    return RedirectResponse(_back(raw, "/settings/messages") + "?done=blocked", status_code=303)


async def unblock(request: Request) -> Response:
    raw = await read_input(request)
    await service.do_unblock(request.user, request.path_params["user_id"])
    return RedirectResponse(_back(raw, "/settings/messages") + "?done=unblocked", status_code=303)


async def settings_page(request: Request) -> Response:
    actor = service.check_member(request.user)
    status = 200
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            data = validate(MessageSettingsIn, await read_input(request))
            await service.do_set_email_new_messages(request.user, data.email_new_messages)
            return RedirectResponse("/settings/messages?done=saved", status_code=303)
        except ConveneError as exc:
            errors, status = exc.fields or {"email_new_messages": exc.message}, exc.status
    ctx = {
        "section": "messages",
        "email_new_messages": await service.get_email_new_messages(actor.id),
        "blocks": await service.list_blocks(request.user),
        "errors": errors,
    }
    return render(request, "messages/settings.html", ctx, status)


routes = [
    Route("/messages", inbox, name="messages"),
    Route("/messages/new", new_conversation, methods=["GET", "POST"], name="messages_new"),
    Route("/messages/{id:int}", conversation_page, methods=["GET"], name="conversation"),
    Route("/messages/{id:int}", send_message, methods=["POST"], name="conversation_send"),
    Route("/messages/{id:int}/leave", leave, methods=["POST"]),
    Route("/messages/block", block, methods=["POST"], name="messages_block"),
    Route("/messages/unblock/{user_id:int}", unblock, methods=["POST"]),
    Route("/settings/messages", settings_page, methods=["GET", "POST"], name="settings_messages"),
]
