"""HTML pages for one post: edit it (the opening post also renames the thread), delete it with a
reason, restore it (moderators), and read its revision history. Plain forms that work without
JavaScript; a refused change (locked thread, someone else's post) gets the error page with its
status, a form mistake re-renders the form with the messages (422)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from convene.api import parse, read_input
from convene.errors import Invalid
from forum import service
from forum.depth_schemas import DeleteIn, PostEditIn
from forum.editing import PostContext
from forum.group_pages import render
from forum.thread_pages import thread_url


async def _context(request: Request) -> PostContext:
    params = request.path_params
    return await service.get_post_context(
        request.user, thread_id=params["thread_id"], number=params["number"], slug=params["slug"]
    )


async def _back(ctx: PostContext, done: str) -> RedirectResponse:
    """Back to the post, on its page of the thread, with a short confirmation."""
    page = await service.get_post_page(ctx.thread, ctx.post.number)
    url = thread_url(ctx.group.slug, ctx.thread.id, page=page)
    separator = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{separator}done={done}#p{ctx.post.number}", status_code=303)


def _edit_form(
    request: Request,
    ctx: PostContext,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "forum/post_edit.html",
        {"ctx": ctx, "group": ctx.group, "thread": ctx.thread, "post": ctx.post, "values": values,
         "errors": errors or {}},
        status,
    )  # fmt: skip


async def post_edit(request: Request) -> Response:
    ctx = await _context(request)
    clock = request.app.state.clock
    service.check_can_edit_post(ctx, clock.now())  # refuse before showing a form that cannot work
    if request.method == "GET":
        values = {"body": ctx.post.body, "title": ctx.thread.title if ctx.post.number == 1 else None}
        return _edit_form(request, ctx, values)
    values = await read_input(request)
    try:
        data = await parse(request, PostEditIn)
        await service.do_edit_post(ctx, body=data.body, title=data.title, reason=data.reason, clock=clock)
    except Invalid as exc:
        return _edit_form(request, ctx, values, exc.fields, exc.status)
    return await _back(ctx, "edited")


def _delete_form(
    request: Request,
    ctx: PostContext,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "forum/post_delete.html",
        {"ctx": ctx, "group": ctx.group, "thread": ctx.thread, "post": ctx.post, "values": values,
         "errors": errors or {}, "reason_required": ctx.access.can_moderate and not ctx.is_author},
        status,
    )  # fmt: skip


async def post_delete(request: Request) -> Response:
    ctx = await _context(request)
    if request.method == "GET":
        return _delete_form(request, ctx, {})
    values = await read_input(request)
    try:
        data = await parse(request, DeleteIn)
        await service.do_delete_post(ctx, reason=data.reason, clock=request.app.state.clock)
    except Invalid as exc:
        return _delete_form(request, ctx, values, exc.fields, exc.status)
    if ctx.post.number == 1 and not ctx.access.can_moderate:
        # The author deleted their own thread: it is gone for them, so go back to the group.
        return RedirectResponse(f"/g/{ctx.group.slug}?done=thread_deleted", status_code=303)
    return await _back(ctx, "thread_deleted" if ctx.post.number == 1 else "deleted")


async def post_restore(request: Request) -> Response:
    ctx = await _context(request)
    await service.do_restore_post(ctx, clock=request.app.state.clock)
    return await _back(ctx, "restored")


async def post_revisions(request: Request) -> Response:
    ctx = await _context(request)
    revisions = await service.list_revisions(ctx)
    return render(
        request,
        "forum/revisions.html",
        {"ctx": ctx, "group": ctx.group, "thread": ctx.thread, "post": ctx.post, "revisions": revisions},
    )


PREFIX = "/g/{slug}/t/{thread_id:int}/p/{number:int}"
routes = [
    Route(PREFIX + "/edit", post_edit, methods=["GET", "POST"], name="post_edit"),
    Route(PREFIX + "/delete", post_delete, methods=["GET", "POST"], name="post_delete"),
    Route(PREFIX + "/restore", post_restore, methods=["POST"], name="post_restore"),
    Route(PREFIX + "/revisions", post_revisions, name="post_revisions"),
]
