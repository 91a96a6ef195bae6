"""HTML pages for discussions: a thread (flat or threaded), permalinks to posts, the new-thread
form and the reply form (which can quote the post being answered)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from convene.api import parse, read_input
from convene.errors import Invalid, NotFound
from forum import service
from forum.access import GroupAccess, Need
from forum.group_pages import redirect, render
from forum.models import Thread
from forum.publish import publish_post
from forum.schemas import PostIn, ThreadIn, page_number


def _view(request: Request) -> str:
    return service.THREADED if request.query_params.get("view") == service.THREADED else service.FLAT


def thread_url(slug: str, thread_id: int, *, view: str = service.FLAT, page: int = 1) -> str:
    params = []
    if view == service.THREADED:
        params.append(f"view={view}")
    if page > 1:
        params.append(f"page={page}")
    return f"/g/{slug}/t/{thread_id}" + ("?" + "&".join(params) if params else "")


async def _post_location(slug: str, thread: Thread, number: int, view: str) -> str:
    page = await service.get_post_page(thread, number, view=view)
    return thread_url(slug, thread.id, view=view, page=page) + f"#p{number}"


async def thread_new(request: Request) -> Response:
    access = await service.get_group(request.user, request.path_params["slug"], Need.POST)
    if request.method == "GET":
        return _thread_form(request, access, {})
    values = await read_input(request)
    try:
        data = await parse(request, ThreadIn)
        thread = await service.do_create_thread(
            request.user, access.group, title=data.title, body=data.body, clock=request.app.state.clock
        )
    except Invalid as exc:
        return _thread_form(request, access, values, exc.fields, exc.status)
    return redirect(f"/g/{access.group.slug}/t/{thread.id}")


def _thread_form(
    request: Request,
    access: GroupAccess,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "forum/thread_form.html",
        {"access": access, "group": access.group, "values": values, "errors": errors or {}},
        status_code,
    )


async def _moved(request: Request) -> Response | None:
    """A thread moved to another group (forum/thread_tools.py): its old addresses redirect to
    the new ones, for those who may read it there."""
    thread_id = request.path_params["thread_id"]
    url = await service.get_current_thread_url(request.user, thread_id, request.path_params["slug"])
    if url is None or request.url.path.startswith(url + "/") or request.url.path == url:
        return None
    rest = request.url.path.split(f"/t/{thread_id}", 1)[1]
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(url + rest + query, status_code=301)


async def thread_page(request: Request) -> Response:
    try:
        access, thread = await service.get_thread(
            request.user, request.path_params["thread_id"], request.path_params["slug"]
        )
    except NotFound:
        moved = await _moved(request)
        if moved is None:
            raise
        return moved
    view = _view(request)
    posts, pagination = await service.list_thread_posts(
        access, thread, view=view, page=page_number(request.query_params.get("page"))
    )
    on_page = {p["number"] for p in posts}
    clock = request.app.state.clock
    # Unread (forum/unread.py): where the new posts start, then remember what this page showed.
    first_unread = await service.do_visit_thread(request.user, thread, max(on_page, default=0), clock=clock)
    state = service.thread_state(thread, clock.now())
    return render(
        request,
        "forum/thread.html",
        {
            "access": access,
            "group": access.group,
            "thread": thread,
            "view": view,
            "posts": posts,
            "tree": service.nest(posts) if view == service.THREADED else posts,
            "on_page": on_page,
            "pagination": pagination,
            "base_url": f"/g/{access.group.slug}/t/{thread.id}",
            "thread_url": thread_url,
            "first_unread": first_unread,
            "state": state,
            "can_reply": access.can_post and (not state["locked"] or access.can_moderate),
        },
    )


async def post_permalink(request: Request) -> Response:
    try:
        access, thread = await service.get_thread(
            request.user, request.path_params["thread_id"], request.path_params["slug"]
        )
    except NotFound:
        moved = await _moved(request)
        if moved is None:
            raise
        return moved
    location = await _post_location(access.group.slug, thread, request.path_params["number"], _view(request))
    return RedirectResponse(location, status_code=303)


def _to_post(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 12 else None


async def reply(request: Request) -> Response:
    access, thread = await service.get_thread(
        request.user, request.path_params["thread_id"], request.path_params["slug"], need=Need.POST
    )
    if request.method == "GET":
        quote = request.query_params.get("quote", "1") != "0"
        parent, draft = await service.get_reply_draft(
            access,
            thread,
            _to_post(request.query_params.get("to")),
            quote=quote,
            now=request.app.state.clock.now(),
        )
        values = {"body": draft, "parent_id": parent["id"] if parent else "", "view": _view(request)}
        return _reply_form(request, access, thread, parent, values)
    values = await read_input(request)
    view = service.THREADED if values.get("view") == service.THREADED else service.FLAT
    try:
        data = await parse(request, PostIn)
        post = await service.do_reply(
            request.user, thread, body=data.body, parent_id=data.parent_id, clock=request.app.state.clock
        )
    except Invalid as exc:
        parent = None
        parent_id = _to_post(str(values.get("parent_id") or ""))
        if parent_id is not None and "parent_id" not in exc.fields:
            parent, _ = await service.get_reply_draft(access, thread, parent_id, quote=False)
        return _reply_form(request, access, thread, parent, values, exc.fields, exc.status)
    await publish_post(request, thread, post)
    return RedirectResponse(
        await _post_location(access.group.slug, thread, post.number, view), status_code=303
    )


def _reply_form(
    request: Request,
    access: GroupAccess,
    thread: Thread,
    parent: dict[str, Any] | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "forum/reply.html",
        {
            "access": access,
            "group": access.group,
            "thread": thread,
            "parent": parent,
            "values": values,
            "errors": errors or {},
        },
        status_code,
    )


routes = [
    Route("/g/{slug}/new", thread_new, methods=["GET", "POST"], name="thread_new"),
    Route("/g/{slug}/t/{thread_id:int}", thread_page, name="thread"),
    Route("/g/{slug}/t/{thread_id:int}/p/{number:int}", post_permalink, name="post"),
    Route("/g/{slug}/t/{thread_id:int}/reply", reply, methods=["GET", "POST"], name="reply"),
]
