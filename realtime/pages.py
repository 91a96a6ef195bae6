"""HTML side of group chat: the panel on the group page, the full chat page, and a no-JS send."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from convene.api import parse
from convene.errors import ConveneError, Invalid
from realtime import service

PANEL_MESSAGES = 30
PAGE_MESSAGES = 100


async def chat_panel_context(request: Request, access: Any) -> dict[str, Any]:
    """What the group page needs to show its live chat: recent messages, rendered on the server so
    the page reads without JavaScript, and the seq the live client continues from. `access` is
    the viewer's standing in the group (forum.access.GroupAccess), looked up by the page."""
    if not request.user.is_authenticated or not access.can_read:
        return {}
    room, messages, since = await service.list_group_panel(request.user, access, limit=PANEL_MESSAGES)
    return {
        "room": room,
        "messages": messages,
        "since": since,
        "can_post": access.can_post,
        "group": access.group,
    }


async def _group_access(request: Request) -> Any:
    from forum.service import get_group

    return await get_group(request.user, request.path_params["slug"])


async def chat_page(
    request: Request, *, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    from forum.access import check_can_read_group

    access = await _group_access(request)
    await check_can_read_group(request.user, access.group)
    before = request.query_params.get("before")
    if before is not None and not before.isdigit():
        raise Invalid("The page number must be a whole number.")
    room = f"group:{access.group.id}"
    messages = await service.list_messages(
        request.user, room, before=int(before) if before else None, limit=PAGE_MESSAGES
    )
    chat = {
        "room": room,
        "messages": messages,
        "since": await service.get_last_seq(room),
        "can_post": access.can_post,
        "group": access.group,
        "full": True,
    }
    older = messages[0]["seq"] if len(messages) == PAGE_MESSAGES else None
    return request.app.state.templates.render(
        request,
        "realtime/chat.html",
        {
            "group": access.group,
            "access": access,
            "chat": chat,
            "older": older,
            "paged": before is not None,
            "errors": errors or {},
        },  # fmt: skip
        status_code=status_code,
    )


class ChatForm(BaseModel):
    body: str = Field(min_length=1, max_length=service.MAX_MESSAGE_CHARS)
    key: str = Field(default_factory=lambda: uuid.uuid4().hex, min_length=1, max_length=64)


async def chat_send(request: Request) -> Response:
    """The no-JavaScript path: a plain form post, stored and broadcast like a WebSocket send."""
    access = await _group_access(request)
    room = f"group:{access.group.id}"
    try:
        form = await parse(request, ChatForm)
        event, created = await service.do_send_message(
            request.user, room, body=form.body, client_key=form.key, clock=request.app.state.clock
        )
    except ConveneError as exc:
        if exc.status in (401, 404):
            raise
        return await chat_page(request, errors=exc.fields or {"body": exc.message}, status_code=exc.status)
    if created:
        await request.app.state.hub.publish(room, event)
    return RedirectResponse(f"/g/{access.group.slug}/chat#m{event['data']['id']}", status_code=303)


routes = [
    Route("/g/{slug}/chat", chat_page, methods=["GET"], name="chat_page"),
    Route("/g/{slug}/chat", chat_send, methods=["POST"], name="chat_send"),
]
