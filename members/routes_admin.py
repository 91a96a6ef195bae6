"""Routes for the admin area: overview and site settings, members, invitations. The service checks
that the viewer is an administrator; these routes only parse input and choose the answer."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from convene.api import api, json_response, parse, read_input, validate
from convene.errors import ConveneError, NotFound
from members.admin import (
    Overview,
    do_approve,
    do_reject,
    do_set_role,
    do_suspend,
    do_unsuspend,
    do_update_site_settings,
    get_overview,
    list_members,
)
from members.choices import REGISTRATION_MODE_LABELS, ROLE_LABELS, STATUS_LABELS
from members.context import site_of
from members.invitations import do_invite, do_revoke_invitation, list_invitations
from members.models import Role
from members.outputs import AdminMemberOut, InvitationOut, MemberPageOut, OverviewOut
from members.responses import redirect, render, safe_next, translate
from members.schemas import InvitationIn, MemberQuery, RoleIn, SiteSettingsIn

MEMBER_ACTIONS = ("role", "approve", "reject", "suspend", "unsuspend")


def _labels(request: Request) -> dict[str, Any]:
    return {
        "role_options": [(k, translate(request, v)) for k, v in ROLE_LABELS.items()],
        "status_options": [(k, translate(request, v)) for k, v in STATUS_LABELS.items()],
        "mode_options": [(k, translate(request, v)) for k, v in REGISTRATION_MODE_LABELS.items()],
        "role_labels": {k: translate(request, v) for k, v in ROLE_LABELS.items()},
        "status_labels": {k: translate(request, v) for k, v in STATUS_LABELS.items()},
    }


def _overview_out(overview: Overview) -> OverviewOut:
    return OverviewOut(
        registration_mode=overview.registration_mode,  # type: ignore[arg-type]
        members_by_status=overview.by_status,
        members_by_role=overview.by_role,
        open_invitations=overview.open_invitations,
    )


def _back(request: Request, raw: dict[str, Any]) -> str:
    # Actions return to the list the admin was looking at, filters and page kept.
    target = safe_next(raw.get("back"), "/admin/members")
    return target if target.startswith("/admin/") else "/admin/members"


# --- Overview and site settings -----------------------------------------------------------


async def overview_page(request: Request) -> Response:
    overview = await get_overview(site_of(request), request.user)
    return render(
        request, "admin/overview.html", {"overview": overview, "section": "overview", **_labels(request)}
    )


async def site_settings_form(request: Request) -> Response:
    raw = await read_input(request)
    site = site_of(request)
    try:
        await do_update_site_settings(site, request.user, validate(SiteSettingsIn, raw))
    except ConveneError as exc:
        overview = await get_overview(site, request.user)
        ctx = {"overview": overview, "section": "overview", "errors": exc.fields, **_labels(request)}
        return render(request, "admin/overview.html", ctx, status_code=exc.status)
    return redirect("/admin", "settings_saved")


@api(
    "GET",
    "/api/v1/admin/overview",
    summary="Member counts and the registration mode",
    tag="admin",
    response=OverviewOut,
    auth=True,
)
async def api_overview(request: Request) -> Response:
    return json_response(_overview_out(await get_overview(site_of(request), request.user)))


@api(
    "PATCH",
    "/api/v1/admin/settings",
    summary="Change the registration mode and/or the terms page",
    tag="admin",
    body=SiteSettingsIn,
    response=OverviewOut,
    auth=True,
)
async def api_site_settings(request: Request) -> Response:
    data = await parse(request, SiteSettingsIn)
    return json_response(_overview_out(await do_update_site_settings(site_of(request), request.user, data)))


# --- Members ------------------------------------------------------------------------------


async def members_page(request: Request) -> Response:
    query = validate(MemberQuery, dict(request.query_params))
    page = await list_members(request.user, query)
    filters = {k: v for k, v in (("status", query.status), ("role", query.role), ("q", query.q)) if v}

    def page_url(number: int) -> str:
        return "/admin/members?" + urlencode({**filters, "page": number})

    ctx = {
        "page": page,
        "query": query,
        "page_url": page_url,
        "here": page_url(page.page),
        "section": "members",
        **_labels(request),
    }
    return render(request, "admin/members.html", ctx)


async def member_action(request: Request) -> Response:
    raw = await read_input(request)
    site = site_of(request)
    user_id: int = request.path_params["id"]
    action: str = request.path_params["action"]
    if action not in MEMBER_ACTIONS:
        raise NotFound()
    if action == "role":
        await do_set_role(request.user, user_id, Role(validate(RoleIn, raw).role), clock=site.clock)
        notice = "role_changed"
    elif action == "approve":
        await do_approve(site, request.user, user_id)
        notice = "approved"
    elif action == "reject":
        await do_reject(request.user, user_id, clock=site.clock)
        notice = "rejected"
    elif action == "suspend":
        await do_suspend(site, request.user, user_id)
        notice = "suspended"
    else:  # "unsuspend"
        await do_unsuspend(request.user, user_id, clock=site.clock)
        notice = "unsuspended"
    return redirect(_back(request, raw), notice)


@api(
    "GET",
    "/api/v1/admin/members",
    summary="Members, filtered and paginated",
    tag="admin",
    response=MemberPageOut,
    auth=True,
    query={
        "status": "active, pending, suspended or deleted",
        "role": "member, facilitator, moderator or admin",
        "q": "search in name, username and email",
        "page": "page number, from 1",
    },
)
async def api_members(request: Request) -> Response:
    page = await list_members(request.user, validate(MemberQuery, dict(request.query_params)))
    return json_response(
        MemberPageOut(
            items=[AdminMemberOut.of(u) for u in page.items],
            page=page.page,
            pages=page.pages,
            total=page.total,
        )
    )


@api(
    "POST",
    "/api/v1/admin/members/{id:int}/role",
    summary="Change a member's role",
    tag="admin",
    body=RoleIn,
    response=AdminMemberOut,
    auth=True,
)
async def api_set_role(request: Request) -> Response:
    data = await parse(request, RoleIn)
    user = await do_set_role(
        request.user, request.path_params["id"], Role(data.role), clock=site_of(request).clock
    )
    return json_response(AdminMemberOut.of(user))


@api(
    "POST",
    "/api/v1/admin/members/{id:int}/approve",
    summary="Approve a pending account (emails the member)",
    tag="admin",
    response=AdminMemberOut,
    auth=True,
)
async def api_approve(request: Request) -> Response:
    user = await do_approve(site_of(request), request.user, request.path_params["id"])
    return json_response(AdminMemberOut.of(user))


@api(
    "POST",
    "/api/v1/admin/members/{id:int}/reject",
    summary="Reject a pending account (deletes it)",
    tag="admin",
    status=204,
    auth=True,
)
async def api_reject(request: Request) -> Response:
    await do_reject(request.user, request.path_params["id"], clock=site_of(request).clock)
    return Response(status_code=204)


@api(
    "POST",
    "/api/v1/admin/members/{id:int}/suspend",
    summary="Suspend a member (ends their sessions)",
    tag="admin",
    response=AdminMemberOut,
    auth=True,
)
async def api_suspend(request: Request) -> Response:
    user = await do_suspend(site_of(request), request.user, request.path_params["id"])
    return json_response(AdminMemberOut.of(user))


@api(
    "POST",
    "/api/v1/admin/members/{id:int}/unsuspend",
    summary="Lift a suspension",
    tag="admin",
    response=AdminMemberOut,
    auth=True,
)
async def api_unsuspend(request: Request) -> Response:
    user = await do_unsuspend(request.user, request.path_params["id"], clock=site_of(request).clock)
    return json_response(AdminMemberOut.of(user))


# --- Invitations --------------------------------------------------------------------------


async def invitations_page(request: Request) -> Response:
    site = site_of(request)
    ctx: dict[str, Any] = {"section": "invitations", "values": {}, **_labels(request)}
    status = 200
    if request.method == "POST":
        raw = await read_input(request)
        try:
            data = validate(InvitationIn, raw)
            await do_invite(site, request.user, data.email, Role(data.role))
            return redirect("/admin/invitations", "invited")
        except ConveneError as exc:
            ctx.update(errors=exc.fields, message=exc.message, values=raw)
            status = exc.status
    now = site.clock.now()
    ctx["invitations"] = [InvitationOut.of(i, now) for i in await list_invitations(request.user)]
    return render(request, "admin/invitations.html", ctx, status_code=status)


async def revoke_invitation(request: Request) -> Response:
    await do_revoke_invitation(request.user, request.path_params["id"])
    return redirect("/admin/invitations", "invitation_revoked")


@api(
    "GET",
    "/api/v1/admin/invitations",
    summary="Invitations, newest first",
    tag="admin",
    response=InvitationOut,
    many=True,
    auth=True,
)
async def api_invitations(request: Request) -> Response:
    now = site_of(request).clock.now()
    return json_response([InvitationOut.of(i, now) for i in await list_invitations(request.user)])


@api(
    "POST",
    "/api/v1/admin/invitations",
    summary="Invite someone by email, with a role",
    tag="admin",
    body=InvitationIn,
    response=InvitationOut,
    status=201,
    auth=True,
)
async def api_invite(request: Request) -> Response:
    data = await parse(request, InvitationIn)
    site = site_of(request)
    invitation = await do_invite(site, request.user, data.email, Role(data.role))
    await invitation.fetch_related("invited_by")
    return json_response(InvitationOut.of(invitation, site.clock.now()), status_code=201)


@api(
    "DELETE",
    "/api/v1/admin/invitations/{id:int}",
    summary="Revoke an unused invitation",
    tag="admin",
    status=204,
    auth=True,
)
async def api_revoke_invitation(request: Request) -> Response:
    await do_revoke_invitation(request.user, request.path_params["id"])
    return Response(status_code=204)


routes = [
    Route("/admin", overview_page, name="admin"),
    Route("/admin/settings", site_settings_form, methods=["POST"]),
    api_overview,
    api_site_settings,
    Route("/admin/members", members_page, name="admin_members"),
    Route("/admin/members/{id:int}/{action:str}", member_action, methods=["POST"]),
    api_members,
    api_set_role,
    api_approve,
    api_reject,
    api_suspend,
    api_unsuspend,
    Route("/admin/invitations", invitations_page, methods=["GET", "POST"], name="admin_invitations"),
    Route("/admin/invitations/{id:int}/revoke", revoke_invitation, methods=["POST"]),
    api_invitations,
    api_invite,
    api_revoke_invitation,
]
