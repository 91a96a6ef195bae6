"""The moderation JSON API under /api/v1: flags, the queues, hide/unhide/dismiss, warnings,
suspensions and the audit logs. The same service functions as the pages, so the same rules."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from convene.api import api, json_response, parse, require_user, validate
from forum import moderation, sanctions
from forum.access import Need
from forum.models import Flag, Group, Post
from forum.moderation_schemas import (
    AuditEntryOut,
    AuditPageOut,
    AuditQuery,
    FlagIn,
    FlagOut,
    HideIn,
    ModerationResultOut,
    QueueItemOut,
    QueueOut,
    SuspendIn,
    SuspensionOut,
    UnsuspendIn,
    WarnIn,
    WarningOut,
)
from forum.schemas import page_number
from forum.service import get_group
from members.audit import AuditPage, list_audit
from members.models import AuditEntry, MemberWarning, User
from members.suspensions import do_suspend_member, do_unsuspend_member

TAG = "Moderation"
AUDIT_QUERY = {
    "action": "only this action, e.g. post.hide",
    "actor": "only actions by this username",
    "group": "only entries about this group (its address)",
    "since": "from this day (YYYY-MM-DD, UTC)",
    "until": "up to and including this day",
    "page": "page number, from 1",
}

GROUP_AUDIT_QUERY = {k: v for k, v in AUDIT_QUERY.items() if k != "group"}


def _flag_out(flag: Flag, username: str | None) -> FlagOut:
    return FlagOut(
        id=flag.id,
        post_id=flag.post_id,  # type: ignore[attr-defined]
        reason=flag.reason,
        note=flag.note,
        flagged_by=username,
        created_at=flag.created_at,
        resolved_at=flag.resolved_at,
        resolution=flag.resolution,
    )


def _queue_out(queue: moderation.QueuePage) -> QueueOut:
    items = []
    for item in queue.items:
        p = item.post
        items.append(
            QueueItemOut(
                post_id=p["id"],
                post_number=p["number"],
                post_url=item.url,
                thread_id=p["thread_id"],
                thread_title=p["thread__title"],
                group=p["thread__group__slug"],
                author_id=p["author_id"],
                author_username=p["author__username"],
                body_html=p["body_html"],
                hidden=p["hidden_at"] is not None,
                hide_reason=p["hide_reason"],
                flag_count=item.flag_count,
                flags=[
                    FlagOut(
                        id=f["id"],
                        post_id=f["post_id"],
                        reason=f["reason"],
                        note=f["note"],
                        flagged_by=f["user__username"],
                        created_at=f["created_at"],
                    )
                    for f in item.flags
                ],
            )
        )
    return QueueOut(items=items, page=queue.page, pages=queue.pages, total=queue.total)


async def _result(post_id: int) -> ModerationResultOut:
    post = await Post.get(id=post_id)
    return ModerationResultOut(
        post_id=post_id,
        hidden=post.hidden_at is not None,
        open_flags=await Flag.filter(post_id=post_id, resolved_at=None).count(),
    )


def _warning_out(w: MemberWarning | dict[str, Any]) -> WarningOut:
    get = w.get if isinstance(w, dict) else lambda k: getattr(w, k)
    return WarningOut(
        id=get("id"),
        user_id=get("user_id"),
        reason=get("reason"),
        reason_html=get("reason_html"),
        group_id=get("group_id"),
        post_id=get("post_id"),
        created_at=get("created_at"),
        acknowledged_at=get("acknowledged_at"),
    )


def _audit_out(page: AuditPage) -> AuditPageOut:
    def entry(e: AuditEntry) -> AuditEntryOut:
        return AuditEntryOut(
            id=e.id,
            action=e.action,
            actor=e.actor.username if e.actor else None,
            target_type=e.target_type,
            target_id=e.target_id,
            group_id=e.group_id,
            reason=e.reason,
            data=e.data or {},
            created_at=e.created_at,
        )

    return AuditPageOut(
        items=[entry(e) for e in page.items], page=page.page, pages=page.pages, total=page.total
    )


# ---- Flags and posts ----


@api("POST", "/api/v1/posts/{post_id:int}/flags", summary="Flag a post for the moderators", tag=TAG,
     body=FlagIn, response=FlagOut, status=201, auth=True)  # fmt: skip
async def api_flag_post(request: Request) -> JSONResponse:
    require_user(request)
    post_id = request.path_params["post_id"]
    await moderation.get_post_for(request.user, post_id, Need.READ_THREAD)
    data = await parse(request, FlagIn)
    flag = await moderation.do_flag_post(
        request.user, post_id, reason=data.reason, note=data.note, clock=request.app.state.clock
    )
    return json_response(_flag_out(flag, request.user.username), 201)


@api("POST", "/api/v1/posts/{post_id:int}/hide", summary="Hide a post (group moderators)", tag=TAG,
     body=HideIn, response=ModerationResultOut, auth=True)  # fmt: skip
async def api_hide_post(request: Request) -> JSONResponse:
    post_id = request.path_params["post_id"]
    await moderation.get_post_for(request.user, post_id, Need.MODERATE)
    data = await parse(request, HideIn)
    await moderation.do_hide_post(request.user, post_id, reason=data.reason, clock=request.app.state.clock)
    return json_response(await _result(post_id))


@api("POST", "/api/v1/posts/{post_id:int}/unhide", summary="Show a hidden post again (group moderators)",
     tag=TAG, body=HideIn, response=ModerationResultOut, auth=True)  # fmt: skip
async def api_unhide_post(request: Request) -> JSONResponse:
    post_id = request.path_params["post_id"]
    await moderation.get_post_for(request.user, post_id, Need.MODERATE)
    data = await parse(request, HideIn)
    await moderation.do_unhide_post(request.user, post_id, reason=data.reason, clock=request.app.state.clock)
    return json_response(await _result(post_id))


@api("POST", "/api/v1/posts/{post_id:int}/flags/dismiss", summary="Dismiss a post's open flags", tag=TAG,
     body=HideIn, response=ModerationResultOut, auth=True)  # fmt: skip
async def api_dismiss_flags(request: Request) -> JSONResponse:
    post_id = request.path_params["post_id"]
    await moderation.get_post_for(request.user, post_id, Need.MODERATE)
    data = await parse(request, HideIn)
    await moderation.do_dismiss_flags(
        request.user, post_id, reason=data.reason, clock=request.app.state.clock
    )
    return json_response(await _result(post_id))


@api("GET", "/api/v1/groups/{slug}/moderation/queue", summary="A group's open flags, by post", tag=TAG,
     response=QueueOut, auth=True, query={"page": "page number, from 1"})  # fmt: skip
async def api_group_queue(request: Request) -> JSONResponse:
    access = await get_group(request.user, request.path_params["slug"], Need.MODERATE)
    page = page_number(request.query_params.get("page"))
    return json_response(_queue_out(await moderation.list_group_queue(request.user, access.group, page=page)))


@api("GET", "/api/v1/admin/moderation/queue", summary="Every group's open flags (administrators)", tag=TAG,
     response=QueueOut, auth=True, query={"page": "page number, from 1"})  # fmt: skip
async def api_site_queue(request: Request) -> JSONResponse:
    page = page_number(request.query_params.get("page"))
    return json_response(_queue_out(await moderation.list_site_queue(request.user, page=page)))


# ---- Warnings and suspensions ----


@api("POST", "/api/v1/members/{user_id:int}/warnings",
     summary="Warn a member (site moderators; group moderators name their group)", tag=TAG, body=WarnIn,
     response=WarningOut, status=201, auth=True)  # fmt: skip
async def api_warn_member(request: Request) -> JSONResponse:
    require_user(request)
    data = await parse(request, WarnIn)
    group = None
    if data.group:
        group = (await get_group(request.user, data.group, Need.MODERATE)).group
    warning = await sanctions.do_warn_member(
        request.user,
        request.path_params["user_id"],
        reason=data.reason,
        post_id=data.post_id,
        group=group,
        clock=request.app.state.clock,
    )
    return json_response(_warning_out(warning), 201)


def _suspension_out(user: User) -> SuspensionOut:
    return SuspensionOut(
        user_id=user.id, username=user.username, status=user.status, suspended_until=user.suspended_until
    )


@api("POST", "/api/v1/members/{user_id:int}/suspension",
     summary="Suspend a member for a period (site moderators and administrators)", tag=TAG, body=SuspendIn,
     response=SuspensionOut, auth=True)  # fmt: skip
async def api_suspend_member(request: Request) -> JSONResponse:
    require_user(request)
    data = await parse(request, SuspendIn)
    clock = request.app.state.clock
    user = await do_suspend_member(
        request.user, request.path_params["user_id"], until=data.ends_at(clock.now()), reason=data.reason,
        clock=clock,
    )  # fmt: skip
    return json_response(_suspension_out(user))


@api("DELETE", "/api/v1/members/{user_id:int}/suspension", summary="Lift a suspension", tag=TAG,
     response=SuspensionOut, auth=True)  # fmt: skip
async def api_unsuspend_member(request: Request) -> JSONResponse:
    data = validate(UnsuspendIn, dict(request.query_params))
    user = await do_unsuspend_member(
        request.user, request.path_params["user_id"], reason=data.reason, clock=request.app.state.clock
    )
    return json_response(_suspension_out(user))


@api("GET", "/api/v1/me/warnings", summary="Your warnings from moderators, newest first", tag=TAG,
     response=WarningOut, many=True, auth=True)  # fmt: skip
async def api_my_warnings(request: Request) -> JSONResponse:
    return json_response([_warning_out(w) for w in await sanctions.list_my_warnings(request.user)])


@api("POST", "/api/v1/me/warnings/acknowledge", summary="Mark your warnings as read", tag=TAG, status=204,
     auth=True)  # fmt: skip
async def api_acknowledge_warnings(request: Request) -> Response:
    await sanctions.do_acknowledge_warnings(request.user, clock=request.app.state.clock)
    return Response(status_code=204)


# ---- Audit logs ----


@api("GET", "/api/v1/admin/audit", summary="The audit log of moderator and admin actions (administrators)",
     tag=TAG, response=AuditPageOut, auth=True, query=AUDIT_QUERY)  # fmt: skip
async def api_admin_audit(request: Request) -> JSONResponse:
    query = validate(AuditQuery, dict(request.query_params))
    group_id = None
    if query.group:
        group = await Group.get_or_none(slug=query.group.lower())
        group_id = group.id if group else -1
    page = await list_audit(
        request.user,
        action=query.action,
        actor=query.actor,
        group_id=group_id,
        since=query.since_at,
        until=query.until_at,
        page=query.page,
    )
    return json_response(_audit_out(page))


@api("GET", "/api/v1/groups/{slug}/moderation/log", summary="A group's audit log (its moderators)", tag=TAG,
     response=AuditPageOut, auth=True, query=GROUP_AUDIT_QUERY)  # fmt: skip
async def api_group_audit(request: Request) -> JSONResponse:
    access = await get_group(request.user, request.path_params["slug"], Need.MODERATE)
    query = validate(AuditQuery, dict(request.query_params))
    page = await moderation.list_group_audit(
        request.user,
        access.group,
        action=query.action,
        actor=query.actor,
        since=query.since_at,
        until=query.until_at,
        page=query.page,
    )
    return json_response(_audit_out(page))


routes = [
    api_flag_post,
    api_hide_post,
    api_unhide_post,
    api_dismiss_flags,
    api_group_queue,
    api_site_queue,
    api_warn_member,
    api_suspend_member,
    api_unsuspend_member,
    api_my_warnings,
    api_acknowledge_warnings,
    api_admin_audit,
    api_group_audit,
]
