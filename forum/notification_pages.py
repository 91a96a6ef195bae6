"""HTML pages for a member's notifications (/notifications) and the "mark as read" buttons for
notifications and unread posts (one group, or everything). Each button is a plain form (POST,
CSRF) that sends the browser back where it came from with a short confirmation."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from convene.api import parse, read_input
from forum import service
from forum.access import Need
from forum.depth_schemas import MarkReadIn
from forum.group_pages import render
from forum.schemas import page_number


def _local(url: object, fallback: str) -> str:
    """A "next" address from a form: only a path on this site, never another site's address."""
    text = str(url or "")
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        return text
    return fallback


def _with_done(url: str, done: str) -> str:
    path, _, fragment = url.partition("#")
    path += ("&" if "?" in path else "?") + f"done={done}"
    return path + (f"#{fragment}" if fragment else "")


async def notifications_page(request: Request) -> Response:
    unread_only = request.query_params.get("unread") == "1"
    rows, pagination, unread = await service.list_notifications(
        request.user, page=page_number(request.query_params.get("page")), unread_only=unread_only
    )
    return render(
        request,
        "forum/notifications.html",
        {"notifications": rows, "pagination": pagination, "unread": unread, "unread_only": unread_only},
    )


async def notification_open(request: Request) -> Response:
    """Following a notification marks it read and goes to the post."""
    url = await service.do_open_notification(
        request.user, request.path_params["notification_id"], clock=request.app.state.clock
    )
    return RedirectResponse(url, status_code=303)


async def notifications_read(request: Request) -> Response:
    values = await read_input(request)
    data = await parse(request, MarkReadIn)
    await service.do_mark_notifications_read(request.user, ids=data.ids, clock=request.app.state.clock)
    return RedirectResponse(
        _with_done(_local(values.get("next"), "/notifications"), "notifications_read"), 303
    )


async def group_read(request: Request) -> Response:
    access = await service.get_group(request.user, request.path_params["slug"], Need.READ)
    await service.do_mark_group_read(access, clock=request.app.state.clock)
    return RedirectResponse(f"/g/{access.group.slug}?done=read", status_code=303)


async def all_read(request: Request) -> Response:
    values = await read_input(request)
    await service.do_mark_all_read(request.user, clock=request.app.state.clock)
    return RedirectResponse(_with_done(_local(values.get("next"), "/"), "all_read"), status_code=303)


routes = [
    Route("/notifications", notifications_page, name="notifications"),
    Route("/notifications/read", notifications_read, methods=["POST"], name="notifications_read"),
    Route("/notifications/{notification_id:int}", notification_open, name="notification_open"),
    Route("/g/{slug}/read", group_read, methods=["POST"], name="group_read"),
    Route("/read", all_read, methods=["POST"], name="all_read"),
]
