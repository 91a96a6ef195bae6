"""The forum's JSON API under /api/v1: groups, memberships, threads and posts.

Each endpoint looks the thing up through the service (which checks the viewer may know of it
and act on it) before reading the body, so an anonymous or unauthorised caller gets 401/403/404
and never a validation answer that would reveal more.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from convene.api import api, json_response, parse
from forum import service
from forum.access import GroupAccess, Need
from forum.models import Membership, Thread
from forum.publish import announce_membership_change, publish_post
from forum.schemas import (
    AuthorOut,
    GroupIn,
    GroupOut,
    GroupPatch,
    InviteIn,
    MemberOut,
    MembershipOut,
    PostIn,
    PostOut,
    RoleIn,
    ThreadDetailOut,
    ThreadIn,
    ThreadListOut,
    ThreadOut,
    page_number,
)

TAG = "Forum"
PAGE = {"page": "Page number, from 1"}


def _author(author_id: int | None, username: str | None, name: str | None) -> AuthorOut:
    return AuthorOut(id=author_id, username=username, name=name or "Former member")


def _membership_out(slug: str, membership: Membership) -> MembershipOut:
    return MembershipOut(
        group=slug,
        user_id=membership.user_id,  # type: ignore[attr-defined]
        role=membership.role,
        status=membership.status,
        since=membership.created_at,
    )


def group_out(access: GroupAccess) -> GroupOut:
    group = access.group
    return GroupOut(
        slug=group.slug,
        name=group.name,
        description=group.description,
        description_html=group.description_html,
        visibility=group.visibility,
        member_count=group.member_count,
        thread_count=group.thread_count,
        created_at=group.created_at,
        last_activity_at=group.last_activity_at,
        url=f"/g/{group.slug}",
        membership=_membership_out(group.slug, access.membership) if access.membership else None,
        can_read=access.can_read,
        can_post=access.can_post,
        can_moderate=access.can_moderate,
    )


def thread_out(row: dict[str, Any], now: datetime | None = None) -> ThreadOut:
    closes_at = row.get("closes_at")
    closed = closes_at is not None and now is not None and closes_at <= now
    first_unread = row.get("first_unread")
    return ThreadOut(
        id=row["id"],
        group=row["group__slug"],
        title=row["title"],
        author=_author(row["author_id"], row["author__username"], row["author__name"]),
        created_at=row["created_at"],
        last_post_at=row["last_post_at"],
        post_count=row["post_count"],
        url=f"/g/{row['group__slug']}/t/{row['id']}",
        pinned=row.get("pinned_at") is not None,
        locked=row.get("locked_at") is not None or closed,
        closes_at=closes_at,
        deleted=row.get("deleted_at") is not None,
        unread=row.get("unread"),
        first_unread_url=f"/g/{row['group__slug']}/t/{row['id']}/p/{first_unread}" if first_unread else None,
    )


def _thread_row(thread: Thread, slug: str) -> dict[str, Any]:
    author = thread.author if thread.author_id else None  # type: ignore[attr-defined]
    return {
        "id": thread.id,
        "group__slug": slug,
        "title": thread.title,
        "author_id": thread.author_id,  # type: ignore[attr-defined]
        "author__username": getattr(author, "username", None),
        "author__name": getattr(author, "name", None),
        "created_at": thread.created_at,
        "last_post_at": thread.last_post_at,
        "post_count": thread.post_count,
        "pinned_at": thread.pinned_at,
        "locked_at": thread.locked_at,
        "closes_at": thread.closes_at,
        "deleted_at": thread.deleted_at,
    }


def post_out(row: dict[str, Any], slug: str) -> PostOut:
    return PostOut(
        id=row["id"],
        number=row["number"],
        thread_id=row["thread_id"],
        author=_author(row["author_id"], row["author__username"], row["author__name"]),
        parent_id=row["parent_id"],
        parent_number=row["parent__number"],
        depth=row.get("depth", 0),
        body=row["body"],
        body_html=row["body_html"],
        created_at=row["created_at"],
        url=f"/g/{slug}/t/{row['thread_id']}/p/{row['number']}",
        hidden=row.get("hidden", False),
        deleted=row.get("deleted", False),
        deleted_by=row.get("deleted_by"),
        delete_reason=row.get("delete_reason") or "",
        edited_at=row.get("edited_at"),
        edit_count=row.get("edit_count") or 0,
    )


def _member_out(row: dict[str, Any]) -> MemberOut:
    return MemberOut(
        user_id=row["user_id"],
        username=row["user__username"],
        name=row["user__name"],
        role=row["role"],
        status=row["status"],
        since=row["created_at"],
    )


def _no_content() -> Response:
    return Response(status_code=204)


# ---- Groups ----


@api("GET", "/api/v1/groups", summary="List the groups you may see", tag=TAG, response=GroupOut, many=True,
     query=PAGE)  # fmt: skip
async def api_list_groups(request: Request) -> JSONResponse:
    groups, _ = await service.list_groups(request.user, page=page_number(request.query_params.get("page")))
    return json_response([group_out(a) for a in groups])


@api("POST", "/api/v1/groups", summary="Create a group (facilitators, moderators, admins)", tag=TAG,
     body=GroupIn, response=GroupOut, status=201, auth=True)  # fmt: skip
async def api_create_group(request: Request) -> JSONResponse:
    service.check_can_create_group(request.user)
    data = await parse(request, GroupIn)
    group = await service.do_create_group(
        request.user,
        name=data.name,
        description=data.description,
        visibility=data.visibility,
        slug=data.slug,
        clock=request.app.state.clock,
    )
    return json_response(group_out(await service.get_group(request.user, group.slug)), 201)


@api("GET", "/api/v1/groups/{slug}", summary="One group", tag=TAG, response=GroupOut)
async def api_get_group(request: Request) -> JSONResponse:
    access = await service.get_group(request.user, request.path_params["slug"])
    return json_response(group_out(access))


@api("PATCH", "/api/v1/groups/{slug}", summary="Edit a group (group moderators)", tag=TAG, body=GroupPatch,
     response=GroupOut, auth=True)  # fmt: skip
async def api_update_group(request: Request) -> JSONResponse:
    access = await service.get_group(request.user, request.path_params["slug"], Need.MODERATE)
    data = await parse(request, GroupPatch)
    await service.do_update_group(
        request.user,
        access.group,
        name=data.name,
        description=data.description,
        visibility=data.visibility,
        clock=request.app.state.clock,
    )
    return json_response(group_out(access))


@api("POST", "/api/v1/groups/{slug}/join", summary="Join, ask to join (private), or accept an invitation",
     tag=TAG, response=MembershipOut, auth=True)  # fmt: skip
async def api_join_group(request: Request) -> JSONResponse:
    access = await service.get_group(request.user, request.path_params["slug"], Need.JOIN)
    membership = await service.do_join_group(request.user, access.group, clock=request.app.state.clock)
    return json_response(_membership_out(access.group.slug, membership))


@api("POST", "/api/v1/groups/{slug}/leave", summary="Leave, withdraw a request, or decline an invitation",
     tag=TAG, status=204, auth=True)  # fmt: skip
async def api_leave_group(request: Request) -> Response:
    access = await service.get_group(request.user, request.path_params["slug"], Need.JOIN)
    await service.do_leave_group(request.user, access.group, clock=request.app.state.clock)
    await announce_membership_change(request, access.group.id, request.user.id)
    return _no_content()


# ---- Members ----


@api("GET", "/api/v1/groups/{slug}/members", summary="Members (moderators also see pending ones)", tag=TAG,
     response=MemberOut, many=True, auth=True)  # fmt: skip
async def api_list_members(request: Request) -> JSONResponse:
    access = await service.get_group(request.user, request.path_params["slug"], Need.MEMBERS)
    members, pending = await service.list_members(access)
    return json_response([_member_out(r) for r in members + pending])


@api("POST", "/api/v1/groups/{slug}/members", summary="Invite a member by username (or add: true)",
     tag=TAG, body=InviteIn, response=MemberOut, status=201, auth=True)  # fmt: skip
async def api_add_member(request: Request) -> JSONResponse:
    access = await service.get_group(request.user, request.path_params["slug"], Need.MODERATE)
    data = await parse(request, InviteIn)
    user = await service.get_user_by_username(data.username)
    clock = request.app.state.clock
    if data.add:
        await service.do_add_member(request.user, access.group, user, clock=clock)
    else:
        await service.do_invite_member(request.user, access.group, user, clock=clock)
    return json_response(await _member(access, user.id), 201)


async def _member(access: GroupAccess, user_id: int) -> MemberOut:
    members, pending = await service.list_members(access)
    return next(_member_out(r) for r in members + pending if r["user_id"] == user_id)


@api("PATCH", "/api/v1/groups/{slug}/members/{user_id:int}", summary="Make a member moderator or member",
     tag=TAG, body=RoleIn, response=MemberOut, auth=True)  # fmt: skip
async def api_set_member_role(request: Request) -> JSONResponse:
    access = await service.get_group(request.user, request.path_params["slug"], Need.MODERATE)
    data = await parse(request, RoleIn)
    user_id = request.path_params["user_id"]
    assert data.role is not None
    await service.do_set_member_role(
        request.user, access.group, user_id, role=data.role, clock=request.app.state.clock
    )
    return json_response(await _member(access, user_id))


@api("POST", "/api/v1/groups/{slug}/members/{user_id:int}/approve", summary="Approve a request to join",
     tag=TAG, response=MemberOut, auth=True)  # fmt: skip
async def api_approve_member(request: Request) -> JSONResponse:
    access = await service.get_group(request.user, request.path_params["slug"], Need.MODERATE)
    user_id = request.path_params["user_id"]
    await service.do_approve_member(request.user, access.group, user_id, clock=request.app.state.clock)
    return json_response(await _member(access, user_id))


@api("DELETE", "/api/v1/groups/{slug}/members/{user_id:int}",
     summary="Remove a member, decline a request or withdraw an invitation", tag=TAG, status=204,
     auth=True)  # fmt: skip
async def api_remove_member(request: Request) -> Response:
    access = await service.get_group(request.user, request.path_params["slug"], Need.JOIN)
    user_id = request.path_params["user_id"]
    await service.do_remove_member(request.user, access.group, user_id, clock=request.app.state.clock)
    await announce_membership_change(request, access.group.id, user_id)
    return _no_content()


# ---- Threads and posts ----


@api("GET", "/api/v1/groups/{slug}/threads", summary="A group's threads, latest activity first", tag=TAG,
     response=ThreadListOut, query=PAGE)  # fmt: skip
async def api_list_threads(request: Request) -> JSONResponse:
    access = await service.get_group(request.user, request.path_params["slug"], Need.READ)
    rows, pagination = await service.list_group_threads(
        access, page=page_number(request.query_params.get("page"))
    )
    return json_response(
        ThreadListOut(
            threads=[thread_out(r, request.app.state.clock.now()) for r in rows],
            page=pagination.page,
            pages=pagination.pages,
            per_page=pagination.per_page,
            total=pagination.total,
        )
    )


@api("POST", "/api/v1/groups/{slug}/threads", summary="Start a thread (group members)", tag=TAG,
     body=ThreadIn, response=ThreadOut, status=201, auth=True)  # fmt: skip
async def api_create_thread(request: Request) -> JSONResponse:
    access = await service.get_group(request.user, request.path_params["slug"], Need.POST)
    data = await parse(request, ThreadIn)
    thread = await service.do_create_thread(
        request.user, access.group, title=data.title, body=data.body, clock=request.app.state.clock
    )
    return json_response(thread_out(_thread_row(thread, access.group.slug)), 201)


@api("GET", "/api/v1/threads/{thread_id:int}", summary="A thread and one page of its posts", tag=TAG,
     response=ThreadDetailOut, query={**PAGE, "view": "flat (default) or threaded"})  # fmt: skip
async def api_get_thread(request: Request) -> JSONResponse:
    access, thread = await service.get_thread(request.user, request.path_params["thread_id"])
    view = service.THREADED if request.query_params.get("view") == service.THREADED else service.FLAT
    rows, pagination = await service.list_thread_posts(
        access, thread, view=view, page=page_number(request.query_params.get("page")), with_source=True
    )
    slug = access.group.slug
    return json_response(
        ThreadDetailOut(
            thread=thread_out(_thread_row(thread, slug), request.app.state.clock.now()),
            view=view,
            posts=[post_out(r, slug) for r in rows],
            page=pagination.page,
            pages=pagination.pages,
            per_page=pagination.per_page,
            total=pagination.total,
        )
    )


@api("POST", "/api/v1/threads/{thread_id:int}/posts", summary="Reply to a thread, or to one post (parent_id)",
     tag=TAG, body=PostIn, response=PostOut, status=201, auth=True)  # fmt: skip
async def api_reply(request: Request) -> JSONResponse:
    access, thread = await service.get_thread(request.user, request.path_params["thread_id"], need=Need.POST)
    data = await parse(request, PostIn)
    post = await service.do_reply(
        request.user, thread, body=data.body, parent_id=data.parent_id, clock=request.app.state.clock
    )
    await publish_post(request, thread, post)
    return json_response(post_out(await service.get_post(post.id, with_source=True), access.group.slug), 201)


routes = [
    api_list_groups,
    api_create_group,
    api_get_group,
    api_update_group,
    api_join_group,
    api_leave_group,
    api_list_members,
    api_add_member,
    api_set_member_role,
    api_approve_member,
    api_remove_member,
    api_list_threads,
    api_create_thread,
    api_get_thread,
    api_reply,
]
