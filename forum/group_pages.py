"""HTML pages for groups: home, the directory, one group, its members and settings, and the
join/leave/invite/approve buttons. Every button is a plain form that works without JavaScript;
after a change the browser is sent back (303) to the page with a short confirmation."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from convene.api import parse, read_input
from convene.errors import Conflict, ConveneError, Invalid, NotFound
from forum import service
from forum.access import GroupAccess, Need
from forum.models import GroupRole, MembershipStatus, Visibility
from forum.publish import announce_membership_change
from forum.schemas import GroupIn, GroupPatch, InviteIn, RoleIn, page_number


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.templates.render(request, name, context, status_code=status_code)


def redirect(url: str, done: str | None = None) -> RedirectResponse:
    if done:
        url += ("&" if "?" in url else "?") + f"done={done}"
    return RedirectResponse(url, status_code=303)


def form_problem(exc: ConveneError, default_field: str) -> dict[str, str]:
    """Field messages for a form: validation errors as they are, any other refusal on one field."""
    return exc.fields or {default_field: exc.message}


async def home(request: Request) -> Response:
    viewer = request.user
    groups, _ = await service.list_groups(viewer)
    mine = await service.list_my_groups(viewer)
    readable = {a.group.id for a in [*groups[:12], *mine] if a.can_read}
    return render(
        request,
        "home.html",
        {
            "mine": mine,
            "groups": groups[:12],
            "more_groups": len(groups) > 12,
            "latest": await service.list_latest_threads(viewer, limit=12),
            "can_create": service.can_create_group(viewer),
            # Threads with posts new to the member, per group (forum/unread.py).
            "unread_counts": await service.count_unread_by_group(viewer, sorted(readable)),
        },
    )


async def groups_index(request: Request) -> Response:
    groups, pagination = await service.list_groups(
        request.user, page=page_number(request.query_params.get("page"))
    )
    return render(
        request,
        "forum/groups.html",
        {
            "groups": groups,
            "pagination": pagination,
            "invitations": [
                a for a in await service.list_my_groups(request.user) if a.status == MembershipStatus.INVITED
            ],
            "can_create": service.can_create_group(request.user),
            "unread_counts": await service.count_unread_by_group(
                request.user, [a.group.id for a in groups if a.can_read]
            ),
        },
    )


def _group_form(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    access: GroupAccess | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "forum/group_form.html",
        {
            "values": values,
            "errors": errors or {},
            "access": access,
            "visibilities": [v.value for v in Visibility],
        },
        status_code,
    )


async def group_new(request: Request) -> Response:
    service.check_can_create_group(request.user)
    if request.method == "GET":
        return _group_form(request, {"visibility": Visibility.PUBLIC.value})
    values = await read_input(request)
    try:
        data = await parse(request, GroupIn)
        group = await service.do_create_group(
            request.user,
            name=data.name,
            description=data.description,
            visibility=data.visibility,
            slug=data.slug,
            clock=request.app.state.clock,
        )
    except (Invalid, Conflict) as exc:
        return _group_form(request, values, form_problem(exc, "name"), status_code=exc.status)
    return redirect(f"/g/{group.slug}", "created")


async def group_settings(request: Request) -> Response:
    access = await service.get_group(request.user, request.path_params["slug"], Need.MODERATE)
    group = access.group
    if request.method == "GET":
        values = {"name": group.name, "description": group.description, "visibility": group.visibility}
        return _group_form(request, values, access=access)
    values = await read_input(request)
    try:
        data = await parse(request, GroupPatch)
        await service.do_update_group(
            request.user,
            group,
            name=data.name,
            description=data.description,
            visibility=data.visibility,
            clock=request.app.state.clock,
        )
    except Invalid as exc:
        return _group_form(request, values, exc.fields, access=access, status_code=exc.status)
    return redirect(f"/g/{group.slug}", "saved")


async def _group_page(
    request: Request, access: GroupAccess, *, alert: str | None = None, status_code: int = 200
) -> Response:
    threads, pagination = [], None
    if access.can_read:
        threads, pagination = await service.list_group_threads(
            access, page=page_number(request.query_params.get("page"))
        )
    from realtime.pages import chat_panel_context  # the live chat is optional for the forum

    chat = await chat_panel_context(request, access)
    return render(
        request,
        "forum/group.html",
        {
            "access": access,
            "group": access.group,
            "threads": threads,
            "pagination": pagination,
            "alert": alert,
            "chat": chat,
        },
        status_code,
    )


async def group_page(request: Request) -> Response:
    return await _group_page(request, await service.get_group(request.user, request.path_params["slug"]))


async def group_join(request: Request) -> Response:
    access = await service.get_group(request.user, request.path_params["slug"], Need.JOIN)
    was = access.status
    try:
        membership = await service.do_join_group(request.user, access.group, clock=request.app.state.clock)
    except Conflict as exc:
        return await _group_page(request, access, alert=exc.message, status_code=exc.status)
    if membership.status == MembershipStatus.REQUESTED:
        done = "requested"
    else:
        done = "accepted" if was == MembershipStatus.INVITED else "joined"
    return redirect(f"/g/{access.group.slug}", done)


async def group_leave(request: Request) -> Response:
    access = await service.get_group(request.user, request.path_params["slug"], Need.JOIN)
    try:
        membership = await service.do_leave_group(request.user, access.group, clock=request.app.state.clock)
    except Conflict as exc:
        return await _group_page(request, access, alert=exc.message, status_code=exc.status)
    await announce_membership_change(request, access.group.id, request.user.id)
    done = {MembershipStatus.REQUESTED: "withdrawn", MembershipStatus.INVITED: "declined_invitation"}.get(
        MembershipStatus(membership.status), "left"
    )
    return redirect(f"/g/{access.group.slug}", done)


async def _members_page(
    request: Request,
    access: GroupAccess,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    members, pending = await service.list_members(access)
    return render(
        request,
        "forum/members.html",
        {
            "access": access,
            "group": access.group,
            "members": members,
            "requests": [r for r in pending if r["status"] == MembershipStatus.REQUESTED],
            "invitations": [r for r in pending if r["status"] == MembershipStatus.INVITED],
            "errors": errors or {},
            "values": values or {},
            "alert": alert,
        },
        status_code,
    )


async def members_page(request: Request) -> Response:
    access = await service.get_group(request.user, request.path_params["slug"], Need.MEMBERS)
    return await _members_page(request, access)


async def member_invite(request: Request) -> Response:
    access = await service.get_group(request.user, request.path_params["slug"], Need.MODERATE)
    values = await read_input(request)
    try:
        data = await parse(request, InviteIn)
        user = await service.get_user_by_username(data.username)
        membership = await service.do_invite_member(
            request.user, access.group, user, clock=request.app.state.clock
        )
    except (Invalid, Conflict) as exc:
        errors = form_problem(exc, "username")
        return await _members_page(request, access, errors=errors, values=values, status_code=exc.status)
    done = "invited" if membership.status == MembershipStatus.INVITED else "approved"
    return redirect(f"/g/{access.group.slug}/members", done)


MEMBER_ACTIONS = frozenset({"approve", "decline", "remove", "role"})


async def member_action(request: Request) -> Response:
    """approve | decline | remove | role: one moderator action on one membership."""
    access = await service.get_group(request.user, request.path_params["slug"], Need.MODERATE)
    group, user_id, action = access.group, request.path_params["user_id"], request.path_params["action"]
    if action not in MEMBER_ACTIONS:
        raise NotFound()
    clock = request.app.state.clock
    try:
        if action == "approve":
            await service.do_approve_member(request.user, group, user_id, clock=clock)
            done = "approved"
        elif action in ("decline", "remove"):
            await service.do_remove_member(request.user, group, user_id, clock=clock)
            await announce_membership_change(request, group.id, user_id)
            done = "declined" if action == "decline" else "removed"
        else:
            data = await parse(request, RoleIn)
            assert data.role is not None
            await service.do_set_member_role(request.user, group, user_id, role=data.role, clock=clock)
            done = "promoted" if data.role == GroupRole.MODERATOR else "demoted"
    except (Conflict, Invalid) as exc:
        return await _members_page(
            request, access, alert=next(iter(exc.fields.values()), exc.message), status_code=exc.status
        )
    if user_id == access.actor.id and action == "remove":  # type: ignore[union-attr]
        return redirect(f"/g/{group.slug}", "left")
    return redirect(f"/g/{group.slug}/members", done)


routes = [
    Route("/", home, name="home"),
    Route("/groups", groups_index, name="groups"),
    Route("/groups/new", group_new, methods=["GET", "POST"], name="group_new"),
    Route("/g/{slug}", group_page, name="group"),
    Route("/g/{slug}/join", group_join, methods=["POST"], name="group_join"),
    Route("/g/{slug}/leave", group_leave, methods=["POST"], name="group_leave"),
    Route("/g/{slug}/settings", group_settings, methods=["GET", "POST"], name="group_settings"),
    Route("/g/{slug}/members", members_page, name="group_members"),
    Route("/g/{slug}/members/invite", member_invite, methods=["POST"], name="member_invite"),
    Route(
        "/g/{slug}/members/{user_id:int}/{action:str}",
        member_action,
        methods=["POST"],
        name="member_action",
    ),
]
