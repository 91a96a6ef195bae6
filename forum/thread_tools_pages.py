"""HTML pages for the thread tools (group moderators and admins): one page with every tool, a
POST per action, and the list of the group's deleted threads. Old addresses of a moved thread
redirect to the new ones (see forum/thread_pages.py)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from convene.api import parse, read_input
from convene.errors import Invalid, NotFound
from forum import service
from forum.access import GroupAccess, Need
from forum.depth_schemas import CloseIn, MoveIn, RenameIn, ToolIn
from forum.group_pages import render
from forum.models import Thread

SIMPLE = {
    "pin": (service.do_pin_thread, "pinned"),
    "unpin": (service.do_unpin_thread, "unpinned"),
    "lock": (service.do_lock_thread, "locked"),
    "unlock": (service.do_unlock_thread, "unlocked"),
}


async def _thread(request: Request) -> tuple[GroupAccess, Thread]:
    return await service.get_thread(
        request.user, request.path_params["thread_id"], request.path_params["slug"], need=Need.MODERATE
    )


def _local(request: Request, thread: Thread) -> str:
    """The closing date as a datetime-local field shows it: in the member's time zone."""
    if thread.closes_at is None:
        return ""
    try:
        zone = ZoneInfo(getattr(request.user, "timezone", None) or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return thread.closes_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


async def _tools_page(
    request: Request,
    access: GroupAccess,
    thread: Thread,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    values = {"title": thread.title, "closes_at": _local(request, thread), **(values or {})}
    targets = await service.list_move_targets(access)
    return render(
        request,
        "forum/thread_tools.html",
        {
            "access": access,
            "group": access.group,
            "thread": thread,
            "state": service.thread_state(thread, request.app.state.clock.now()),
            "targets": targets,
            "target_options": [(g.slug, g.name) for g in targets],
            "values": values,
            "errors": errors or {},
        },
        status,
    )


async def tools_page(request: Request) -> Response:
    access, thread = await _thread(request)
    return await _tools_page(request, access, thread)


async def tool_action(request: Request) -> Response:
    access, thread = await _thread(request)
    action, clock = request.path_params["action"], request.app.state.clock
    slug = access.group.slug
    if action in SIMPLE:
        do, done = SIMPLE[action]
        data = await parse(request, ToolIn)
        await do(access, thread, clock=clock, reason=data.reason)
    elif action in ("rename", "move", "close"):
        values = await read_input(request)
        try:
            if action == "rename":
                rename = await parse(request, RenameIn)
                await service.do_rename_thread(
                    access, thread, title=rename.title, reason=rename.reason, clock=clock
                )
                done = "renamed"
            elif action == "move":
                move = await parse(request, MoveIn)
                target = await service.do_move_thread(
                    access, thread, group=move.group, reason=move.reason, clock=clock
                )
                slug, done = target.slug, "moved"
            else:
                close = await parse(request, CloseIn)
                await service.do_set_thread_closing(access, thread, closes_at=close.closes_at, clock=clock)
                done = "closing_set" if close.closes_at else "closing_cleared"
        except Invalid as exc:
            return await _tools_page(request, access, thread, values, exc.fields, exc.status)
    else:
        raise NotFound()
    return RedirectResponse(f"/g/{slug}/t/{thread.id}?done={done}", status_code=303)


async def deleted_threads(request: Request) -> Response:
    access = await service.get_group(request.user, request.path_params["slug"], Need.MODERATE)
    return render(
        request,
        "forum/deleted_threads.html",
        {"access": access, "group": access.group, "threads": await service.list_deleted_threads(access)},
    )


routes = [
    Route("/g/{slug}/t/{thread_id:int}/tools", tools_page, name="thread_tools"),
    Route(
        "/g/{slug}/t/{thread_id:int}/tools/{action:str}", tool_action, methods=["POST"], name="thread_tool"
    ),
    Route("/g/{slug}/deleted", deleted_threads, name="deleted_threads"),
]
