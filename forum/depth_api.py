"""The JSON API for editing and deleting posts, the thread tools, notifications and unread marks.

Same services, same rules as the pages: each endpoint looks the post or thread up through the
service (which checks the caller may know of it) before reading the body, so a caller without
access gets 401/403/404 and never a validation answer that would reveal more.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from convene.api import api, json_response, parse
from forum import service
from forum.access import Need
from forum.api import post_out, thread_out
from forum.depth_schemas import (
    CloseIn,
    DeleteIn,
    GroupRefOut,
    GroupUnreadOut,
    MarkedReadOut,
    MarkReadIn,
    MoveIn,
    NotificationListOut,
    NotificationOut,
    PostEditIn,
    ReadDoneOut,
    RenameIn,
    RevisionOut,
    ToolIn,
    UnreadThreadOut,
)
from forum.editing import PostContext
from forum.models import Thread
from forum.schemas import AuthorOut, PostOut, ThreadOut, page_number
from forum.threads import THREAD_COLUMNS

TAG = "Forum: editing and thread tools"
TAG_NOTIFY = "Notifications and unread"


def _author(author_id: int | None, username: str | None, name: str | None) -> AuthorOut:
    return AuthorOut(id=author_id, username=username, name=name or "Former member")


async def _post(request: Request) -> PostContext:
    return await service.get_post_context(request.user, post_id=request.path_params["post_id"])


async def _post_answer(ctx: PostContext) -> JSONResponse:
    row = await service.get_post(ctx.post.id, with_source=True, reveal_hidden=ctx.access.can_moderate)
    return json_response(post_out(row, ctx.group.slug))


async def _thread_answer(request: Request, thread_id: int) -> JSONResponse:
    # Read back as the caller now sees it (a moved thread answers with its new group).
    await service.get_thread(request.user, thread_id)
    row = await Thread.filter(id=thread_id).first().values(*THREAD_COLUMNS)
    return json_response(thread_out(row, request.app.state.clock.now()))


# ---- Posts ----


@api("PATCH", "/api/v1/posts/{post_id:int}", summary="Edit a post (its author, or a group moderator); "
     "on the opening post, title renames the thread", tag=TAG, body=PostEditIn, response=PostOut,
     auth=True)  # fmt: skip
async def api_edit_post(request: Request) -> JSONResponse:
    ctx = await _post(request)
    service.check_can_edit_post(ctx, request.app.state.clock.now())
    data = await parse(request, PostEditIn)
    await service.do_edit_post(
        ctx, body=data.body, title=data.title, reason=data.reason, clock=request.app.state.clock
    )
    return await _post_answer(ctx)


@api("DELETE", "/api/v1/posts/{post_id:int}", summary="Delete a post softly (the opening post deletes "
     "the thread); moderators give a reason for others' posts", tag=TAG, body=DeleteIn, status=204,
     auth=True)  # fmt: skip
async def api_delete_post(request: Request) -> Response:
    ctx = await _post(request)
    data = await parse(request, DeleteIn)
    await service.do_delete_post(ctx, reason=data.reason, clock=request.app.state.clock)
    return Response(status_code=204)


@api("POST", "/api/v1/posts/{post_id:int}/restore", summary="Restore a deleted post (group moderators)",
     tag=TAG, response=PostOut, auth=True)  # fmt: skip
async def api_restore_post(request: Request) -> JSONResponse:
    ctx = await _post(request)
    await service.do_restore_post(ctx, clock=request.app.state.clock)
    return await _post_answer(ctx)


@api("GET", "/api/v1/posts/{post_id:int}/revisions", summary="Every version of a post, newest first "
     "(its author and the group's moderators)", tag=TAG, response=RevisionOut, many=True,
     auth=True)  # fmt: skip
async def api_post_revisions(request: Request) -> JSONResponse:
    ctx = await _post(request)
    rows = await service.list_revisions(ctx)
    return json_response(
        [
            RevisionOut(
                number=r["number"],
                title=r["title"],
                body=r["body"],
                body_html=r["body_html"],
                editor=_author(r["editor_id"], r["editor__username"], r["editor__name"]),
                created_at=r["created_at"],
                reason=r["reason"],
                title_changed=r["title_changed"],
                diff=r["diff"],
            )
            for r in rows
        ]
    )


# ---- Thread tools ----


async def _tool(request: Request) -> tuple[Any, Thread]:
    return await service.get_thread(request.user, request.path_params["thread_id"], need=Need.MODERATE)


def _simple_tool(action: str, summary: str) -> Any:
    do = {
        "pin": service.do_pin_thread,
        "unpin": service.do_unpin_thread,
        "lock": service.do_lock_thread,
        "unlock": service.do_unlock_thread,
    }[action]

    async def endpoint(request: Request) -> JSONResponse:
        access, thread = await _tool(request)
        data = await parse(request, ToolIn)
        await do(access, thread, clock=request.app.state.clock, reason=data.reason)
        return await _thread_answer(request, thread.id)

    endpoint.__name__ = f"api_{action}_thread"
    return api("POST", f"/api/v1/threads/{{thread_id:int}}/{action}", summary=summary, tag=TAG, body=ToolIn,
               response=ThreadOut, auth=True)(endpoint)  # fmt: skip


api_pin_thread = _simple_tool("pin", "Pin a thread to the top of its group (group moderators)")
api_unpin_thread = _simple_tool("unpin", "Unpin a thread (group moderators)")
api_lock_thread = _simple_tool("lock", "Lock a thread: no new replies (group moderators)")
api_unlock_thread = _simple_tool("unlock", "Unlock a thread, or reopen one past its closing date")


@api("POST", "/api/v1/threads/{thread_id:int}/rename", summary="Rename a thread (group moderators); the "
     "old title stays in the opening post's revisions", tag=TAG, body=RenameIn, response=ThreadOut,
     auth=True)  # fmt: skip
async def api_rename_thread(request: Request) -> JSONResponse:
    access, thread = await _tool(request)
    data = await parse(request, RenameIn)
    await service.do_rename_thread(
        access, thread, title=data.title, reason=data.reason, clock=request.app.state.clock
    )
    return await _thread_answer(request, thread.id)


@api("POST", "/api/v1/threads/{thread_id:int}/move", summary="Move a thread to another group you "
     "moderate", tag=TAG, body=MoveIn, response=ThreadOut, auth=True)  # fmt: skip
async def api_move_thread(request: Request) -> JSONResponse:
    access, thread = await _tool(request)
    data = await parse(request, MoveIn)
    await service.do_move_thread(
        access, thread, group=data.group, reason=data.reason, clock=request.app.state.clock
    )
    return await _thread_answer(request, thread.id)


@api("POST", "/api/v1/threads/{thread_id:int}/close", summary="Close a thread to replies after a date "
     "(closes_at: ISO 8601; null clears it)", tag=TAG, body=CloseIn, response=ThreadOut,
     auth=True)  # fmt: skip
async def api_close_thread(request: Request) -> JSONResponse:
    access, thread = await _tool(request)
    data = await parse(request, CloseIn)
    await service.do_set_thread_closing(
        access, thread, closes_at=data.closes_at, clock=request.app.state.clock
    )
    return await _thread_answer(request, thread.id)


@api("DELETE", "/api/v1/threads/{thread_id:int}", summary="Delete a thread softly (its author while "
     "no one else has replied, or a group moderator)", tag=TAG, body=DeleteIn, status=204,
     auth=True)  # fmt: skip
async def api_delete_thread(request: Request) -> Response:
    ctx = await service.get_post_context(request.user, thread_id=request.path_params["thread_id"], number=1)
    data = await parse(request, DeleteIn)
    await service.do_delete_post(ctx, reason=data.reason, clock=request.app.state.clock)
    return Response(status_code=204)


@api("POST", "/api/v1/threads/{thread_id:int}/restore", summary="Restore a deleted thread (group "
     "moderators)", tag=TAG, response=ThreadOut, auth=True)  # fmt: skip
async def api_restore_thread(request: Request) -> JSONResponse:
    ctx = await service.get_post_context(request.user, thread_id=request.path_params["thread_id"], number=1)
    await service.do_restore_post(ctx, clock=request.app.state.clock)
    return await _thread_answer(request, ctx.thread.id)


# ---- Notifications ----


def _notification_out(row: dict[str, Any]) -> NotificationOut:
    return NotificationOut(
        id=row["id"],
        kind=str(row["kind"]),
        read=row["read"],
        created_at=row["created_at"],
        actor=_author(row["actor_id"], row["actor__username"], row["actor__name"]),
        group=GroupRefOut(slug=row["group_slug"], name=row["group_name"]),
        thread_id=row["thread_id"],
        thread_title=row["thread__title"],
        post_id=row["post_id"],
        post_number=row["number"],
        excerpt=row["excerpt"],
        url=row["url"],
    )


@api("GET", "/api/v1/notifications", summary="Your notifications (mentions, replies), unread first",
     tag=TAG_NOTIFY, response=NotificationListOut, auth=True,
     query={"page": "Page number, from 1", "unread": "1: only unread ones"})  # fmt: skip
async def api_notifications(request: Request) -> JSONResponse:
    rows, pagination, unread = await service.list_notifications(
        request.user,
        page=page_number(request.query_params.get("page")),
        unread_only=request.query_params.get("unread") == "1",
    )
    return json_response(
        NotificationListOut(
            notifications=[_notification_out(r) for r in rows],
            unread_count=unread,
            page=pagination.page,
            pages=pagination.pages,
            total=pagination.total,
        )
    )


@api("POST", "/api/v1/notifications/read", summary="Mark notifications read: these ids, or all of them",
     tag=TAG_NOTIFY, body=MarkReadIn, response=MarkedReadOut, auth=True)  # fmt: skip
async def api_notifications_read(request: Request) -> JSONResponse:
    data = await parse(request, MarkReadIn)
    marked = await service.do_mark_notifications_read(
        request.user, ids=data.ids, clock=request.app.state.clock
    )
    return json_response(
        MarkedReadOut(marked=marked, unread_count=await service.count_unread_notifications(request.user))
    )


# ---- Unread ----


@api("GET", "/api/v1/groups/{slug}/unread", summary="The group's threads with posts new to you",
     tag=TAG_NOTIFY, response=GroupUnreadOut, auth=True)  # fmt: skip
async def api_group_unread(request: Request) -> JSONResponse:
    access = await service.get_group(request.user, request.path_params["slug"], Need.READ)
    rows = await service.list_group_unread(access)
    return json_response(
        GroupUnreadOut(
            group=access.group.slug,
            threads_with_unread=len(rows),
            threads=[
                UnreadThreadOut(
                    id=r["id"],
                    title=r["title"],
                    unread=r["unread"],
                    new_thread=r["new_thread"],
                    first_unread_url=r["first_unread_url"],
                    last_post_at=r["last_post_at"],
                )
                for r in rows
            ],
        )
    )


@api("POST", "/api/v1/groups/{slug}/read", summary="Mark everything in a group read", tag=TAG_NOTIFY,
     response=ReadDoneOut, auth=True)  # fmt: skip
async def api_group_read(request: Request) -> JSONResponse:
    access = await service.get_group(request.user, request.path_params["slug"], Need.READ)
    moved = await service.do_mark_group_read(access, clock=request.app.state.clock)
    return json_response(ReadDoneOut(marked_at=request.app.state.clock.now(), threads_marked=moved))


@api("POST", "/api/v1/read", summary="Mark everything everywhere read", tag=TAG_NOTIFY, response=ReadDoneOut,
     auth=True)  # fmt: skip
async def api_all_read(request: Request) -> JSONResponse:
    marked_at = await service.do_mark_all_read(request.user, clock=request.app.state.clock)
    return json_response(ReadDoneOut(marked_at=marked_at, threads_marked=0))


routes = [
    api_edit_post,
    api_delete_post,
    api_restore_post,
    api_post_revisions,
    api_pin_thread,
    api_unpin_thread,
    api_lock_thread,
    api_unlock_thread,
    api_rename_thread,
    api_move_thread,
    api_close_thread,
    api_delete_thread,
    api_restore_thread,
    api_notifications,
    api_notifications_read,
    api_group_unread,
    api_group_read,
    api_all_read,
]
