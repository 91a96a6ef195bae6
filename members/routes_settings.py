"""Routes for a member's own account (profile, password, sessions, API tokens) and public profiles."""

from __future__ import annotations

from typing import Any

from babel.dates import format_skeleton
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from convene.api import api, json_response, parse, read_input, validate
from convene.errors import ConveneError
from members.access import (
    do_create_token,
    do_revoke_other_sessions,
    do_revoke_session,
    do_revoke_token,
    list_sessions,
    list_tokens,
)
from members.choices import (
    ORGANISATION_TYPES,
    ROLE_LABELS,
    STATUS_LABELS,
    country_name,
    country_options,
    language_options,
    timezone_options,
)
from members.context import site_of
from members.directory import profile_extras
from members.models import User
from members.outputs import MemberOut, MessageOut, ProfileOut, SessionOut, TokenCreatedOut, TokenOut
from members.permissions import check_signed_in
from members.profiles import do_update_profile, get_profile
from members.recovery import do_change_password
from members.responses import redirect, render, session_token, translate
from members.schemas import PasswordChangeIn, ProfileIn, TokenIn


def _locale(request: Request) -> str:
    return request.app.state.templates.locale_for(request)


def _profile_choices(request: Request) -> dict[str, Any]:
    locale = _locale(request)
    return {
        "organisation_types": [("", translate(request, "Not stated"))]
        + [(key, translate(request, label)) for key, label in ORGANISATION_TYPES.items()],
        "countries": [("", translate(request, "Not stated"))] + list(country_options(locale)),
        "languages": [("", translate(request, "The language my browser asks for"))]
        + list(language_options()),
        "timezones": [(zone, zone.replace("_", " ")) for zone in timezone_options()],
    }


def _profile_values(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "organisation": user.organisation,
        "organisation_type": user.organisation_type,
        "country": user.country,
        "bio": user.bio,
        "locale": user.locale,
        "timezone": user.timezone,
        "hide_presence": "true" if user.hide_presence else "false",
    }


# --- Profile ------------------------------------------------------------------------------


async def settings_page(request: Request) -> Response:
    user = check_signed_in(request.user)
    if request.method == "GET":
        ctx = {"values": _profile_values(user), "section": "profile", **_profile_choices(request)}
        return render(request, "members/settings_profile.html", ctx)
    raw = await read_input(request)
    try:
        await do_update_profile(request.user, validate(ProfileIn, raw))
    except ConveneError as exc:
        ctx = {"values": raw, "errors": exc.fields, "section": "profile", **_profile_choices(request)}
        return render(request, "members/settings_profile.html", ctx, status_code=exc.status)
    return redirect("/settings", "saved")


@api("GET", "/api/v1/me", summary="Your own account", tag="me", response=MemberOut, auth=True)
async def api_me(request: Request) -> Response:
    return json_response(MemberOut.of(check_signed_in(request.user)))


@api(
    "PATCH",
    "/api/v1/me",
    summary="Change your profile: send only the fields to change",
    tag="me",
    body=ProfileIn,
    response=MemberOut,
    auth=True,
)
async def api_update_me(request: Request) -> Response:
    check_signed_in(request.user)
    user = await do_update_profile(request.user, await parse(request, ProfileIn))
    return json_response(MemberOut.of(user))


# --- Password -----------------------------------------------------------------------------


async def password_page(request: Request) -> Response:
    check_signed_in(request.user)
    if request.method == "GET":
        return render(request, "members/settings_password.html", {"section": "password"})
    raw = await read_input(request)
    try:
        data = validate(
            PasswordChangeIn, {**raw, "new_password_confirm": raw.get("new_password_confirm", "")}
        )
        await do_change_password(
            site_of(request),
            request.user,
            current_password=data.current_password,
            new_password=data.new_password,
            keep_session=session_token(request),
        )
    except ConveneError as exc:
        ctx = {"section": "password", "errors": exc.fields, "message": exc.message}
        return render(request, "members/settings_password.html", ctx, status_code=exc.status)
    return redirect("/settings/password", "password_changed")


@api(
    "POST",
    "/api/v1/me/password",
    summary="Change your password (needs the current one); ends every other session",
    tag="me",
    body=PasswordChangeIn,
    response=MessageOut,
    auth=True,
)
async def api_change_password(request: Request) -> Response:
    data = await parse(request, PasswordChangeIn)
    ended = await do_change_password(
        site_of(request),
        request.user,
        current_password=data.current_password,
        new_password=data.new_password,
        keep_session=session_token(request),
    )
    return json_response(
        MessageOut(message=f"Your password has been changed; {ended} other session(s) ended.")
    )


# --- Sessions -----------------------------------------------------------------------------


async def sessions_page(request: Request) -> Response:
    sessions = await list_sessions(site_of(request), request.user, session_token(request))
    return render(request, "members/settings_sessions.html", {"sessions": sessions, "section": "sessions"})


async def revoke_other_sessions(request: Request) -> Response:
    await do_revoke_other_sessions(site_of(request), request.user, session_token(request))
    return redirect("/settings/sessions", "sessions_revoked")


async def revoke_session(request: Request) -> Response:
    await do_revoke_session(site_of(request), request.user, request.path_params["id"])
    return redirect("/settings/sessions", "session_revoked")


@api(
    "GET",
    "/api/v1/me/sessions",
    summary="Your signed-in sessions",
    tag="me",
    response=SessionOut,
    many=True,
    auth=True,
)
async def api_sessions(request: Request) -> Response:
    views = await list_sessions(site_of(request), request.user, session_token(request))
    return json_response(
        [
            SessionOut(
                id=v.session.id,
                created_at=v.session.created_at,
                last_seen_at=v.session.last_seen_at,
                expires_at=v.session.expires_at,
                user_agent=v.session.user_agent,
                current=v.current,
            )
            for v in views
        ]
    )


@api(
    "DELETE",
    "/api/v1/me/sessions",
    summary="Sign out everywhere else: end every session but this one",
    tag="me",
    response=MessageOut,
    auth=True,
)
async def api_revoke_other_sessions(request: Request) -> Response:
    ended = await do_revoke_other_sessions(site_of(request), request.user, session_token(request))
    return json_response(MessageOut(message=f"{ended} other session(s) ended."))


# --- API tokens ---------------------------------------------------------------------------


async def tokens_page(request: Request) -> Response:
    site = site_of(request)
    ctx: dict[str, Any] = {"section": "tokens"}
    status = 200
    if request.method == "POST":
        raw = await read_input(request)
        try:
            row, secret = await do_create_token(site, request.user, validate(TokenIn, raw).name)
            # Shown on this one response only: the secret is not stored, so it cannot be shown again.
            ctx["created"] = {"name": row.name, "secret": secret}
        except ConveneError as exc:
            ctx.update(errors=exc.fields, values=raw)
            status = exc.status
    ctx["tokens"] = await list_tokens(request.user)
    return render(request, "members/settings_tokens.html", ctx, status_code=status)


async def revoke_token(request: Request) -> Response:
    await do_revoke_token(site_of(request), request.user, request.path_params["id"])
    return redirect("/settings/tokens", "token_revoked")


@api("GET", "/api/v1/tokens", summary="Your API tokens", tag="me", response=TokenOut, many=True, auth=True)
async def api_tokens(request: Request) -> Response:
    return json_response([TokenOut.of(t) for t in await list_tokens(request.user)])


@api(
    "POST",
    "/api/v1/tokens",
    summary="Create an API token; the secret is in this answer only",
    tag="me",
    body=TokenIn,
    response=TokenCreatedOut,
    status=201,
    auth=True,
)
async def api_create_token(request: Request) -> Response:
    check_signed_in(request.user)
    data = await parse(request, TokenIn)
    row, secret = await do_create_token(site_of(request), request.user, data.name)
    return json_response(TokenCreatedOut(**TokenOut.of(row).model_dump(), token=secret), status_code=201)


@api("DELETE", "/api/v1/tokens/{id:int}", summary="Revoke an API token", tag="me", status=204, auth=True)
async def api_revoke_token(request: Request) -> Response:
    await do_revoke_token(site_of(request), request.user, request.path_params["id"])
    return Response(status_code=204)


# --- Public profiles ----------------------------------------------------------------------


async def profile_page(request: Request) -> Response:
    view = await get_profile(request.user, request.path_params["username"])
    locale = _locale(request)
    user = view.user
    ctx = {
        "profile": view,
        "member": user,
        "role_label": translate(request, ROLE_LABELS.get(str(user.role), "")),
        "status_label": translate(request, STATUS_LABELS.get(str(user.status), "")),
        "organisation_type_label": translate(request, ORGANISATION_TYPES[user.organisation_type])
        if user.organisation_type in ORGANISATION_TYPES
        else "",
        "country_label": country_name(user.country, locale),
        "joined": format_skeleton("yMMMM", user.created_at, locale=locale),
        **await profile_extras(request.user, user, view.fields, locale),
    }
    return render(request, "members/profile.html", ctx)


@api(
    "GET",
    "/api/v1/members/{username}",
    summary="A member's profile (each detail as the member chose to show it; email for them and admins only)",
    tag="members",
    response=ProfileOut,
)
async def api_profile(request: Request) -> Response:
    view = await get_profile(request.user, request.path_params["username"])
    return json_response(view.out())


routes = [
    Route("/settings", settings_page, methods=["GET", "POST"], name="settings"),
    api_me,
    api_update_me,
    Route("/settings/password", password_page, methods=["GET", "POST"], name="settings_password"),
    api_change_password,
    Route("/settings/sessions", sessions_page, name="settings_sessions"),
    Route("/settings/sessions/revoke-others", revoke_other_sessions, methods=["POST"]),
    Route("/settings/sessions/{id:int}/revoke", revoke_session, methods=["POST"]),
    api_sessions,
    api_revoke_other_sessions,
    Route("/settings/tokens", tokens_page, methods=["GET", "POST"], name="settings_tokens"),
    Route("/settings/tokens/{id:int}/revoke", revoke_token, methods=["POST"]),
    api_tokens,
    api_create_token,
    api_revoke_token,
    Route("/u/{username}", profile_page, name="profile"),
    api_profile,
]
