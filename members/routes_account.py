"""Routes for getting in and out: registration, sign-in, sign-out, password recovery, the terms page.
HTML pages and their /api/v1 twins call the same service functions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from convene.api import api, json_response, parse, read_input, validate
from convene.errors import BadRequest, ConveneError, Forbidden
from convene.security import SESSION_COOKIE
from members.admin import get_terms_html
from members.context import site_of
from members.invitations import get_open_invitation
from members.outputs import MemberOut, MessageOut, RegistrationOut
from members.recovery import do_request_password_reset, do_reset_password, get_valid_reset
from members.responses import (
    clear_session_cookie,
    client_ip,
    redirect,
    render,
    safe_next,
    set_session_cookie,
    user_agent,
)
from members.schemas import ForgotIn, LoginIn, NewPasswordForm, RegisterForm, RegisterIn, ResetIn
from members.service import EXPIRED_INVITATION, check_can_register, do_register, get_registration_mode
from members.signin import do_sign_in, do_sign_out

FORGOT_SENT = (
    "If an account exists for that email address, we have sent it a link to choose a new password. "
    "Please check your inbox (and your spam folder)."
)


def _form_values(raw: dict[str, Any], *omit: str) -> dict[str, Any]:
    # Passwords are never sent back into a page.
    return {k: v for k, v in raw.items() if k not in omit and "password" not in k}


# --- Registration -------------------------------------------------------------------------


async def _register_context(request: Request, invite: str | None) -> dict[str, Any]:
    site = site_of(request)
    mode = await get_registration_mode(site.settings)
    invitation = await get_open_invitation(invite, site.clock.now()) if invite else None
    return {
        "mode": mode,
        "invitation": invitation,
        "invite": invite if invitation else None,
        # A dead link in open or approval mode: say so, and let them register the ordinary way.
        "stale_invite": bool(invite) and invitation is None,
    }


def _invitation_only(request: Request, message: str, invite_was_given: bool) -> Response:
    return render(
        request,
        "members/invitation_only.html",
        {"message": message, "invite_was_given": invite_was_given},
        status_code=403,
    )


async def register_page(request: Request) -> Response:
    if request.method == "GET":
        if request.user.is_authenticated:
            return redirect("/")
        invite = request.query_params.get("invite") or None
        ctx = await _register_context(request, invite)
        closed = _closed(request, ctx, invite)
        if closed is not None:
            return closed
        values = {"email": ctx["invitation"].email} if ctx["invitation"] else {}
        return render(request, "members/register.html", {**ctx, "values": values})
    raw = await read_input(request)
    invite = raw.get("invite") or None
    try:
        data = validate(RegisterForm, raw)
        registration = await do_register(site_of(request), data, user_agent(request))
    except ConveneError as exc:
        ctx = await _register_context(request, invite)
        closed = _closed(request, ctx, invite)
        if closed is not None:
            return closed
        return render(
            request,
            "members/register.html",
            {**ctx, "values": _form_values(raw), "errors": exc.fields, "message": exc.message},
            status_code=exc.status,
        )
    if registration.pending:
        return render(request, "members/register_pending.html", {"member": registration.user})
    response = redirect("/settings", "welcome")
    assert registration.session is not None
    set_session_cookie(request, response, registration.session)
    return response


def _closed(request: Request, ctx: dict[str, Any], invite: str | None) -> Response | None:
    """The page to show instead of the form when this visitor may not register (403), else None."""
    try:
        check_can_register(ctx["mode"], ctx["invitation"])
    except Forbidden as exc:
        return _invitation_only(request, EXPIRED_INVITATION if invite else exc.message, bool(invite))
    return None


@api(
    "POST",
    "/api/v1/register",
    summary="Create an account (the site's registration mode decides whether it is active at once)",
    tag="account",
    body=RegisterIn,
    response=RegistrationOut,
    status=201,
)
async def api_register(request: Request) -> Response:
    data = await parse(request, RegisterIn)
    registration = await do_register(site_of(request), data, user_agent(request))
    out = RegistrationOut(
        status="pending" if registration.pending else "active",
        message=registration.message,
        member=MemberOut.of(registration.user),
    )
    response = json_response(out, status_code=201)
    if registration.session:
        set_session_cookie(request, response, registration.session)
    return response


# --- Signing in and out -------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    if request.method == "GET":
        target = safe_next(request.query_params.get("next"))
        if request.user.is_authenticated:
            return redirect(target)
        return render(request, "members/login.html", {"next": target, "values": {}})
    raw = await read_input(request)
    target = safe_next(raw.get("next"))
    try:
        data = validate(LoginIn, raw)
        result = await do_sign_in(
            site_of(request),
            email=data.email,
            password=data.password,
            client_ip=client_ip(request),
            user_agent=user_agent(request),
        )
    except ConveneError as exc:
        return render(
            request,
            "members/login.html",
            {"next": target, "values": _form_values(raw), "errors": exc.fields, "message": exc.message},
            status_code=exc.status,
            headers=exc.headers,
        )
    response = redirect(target)
    set_session_cookie(request, response, result.token)
    return response


async def logout(request: Request) -> Response:
    await do_sign_out(site_of(request), request.cookies.get(SESSION_COOKIE))
    response = redirect("/login", "signed_out")
    clear_session_cookie(request, response)
    return response


@api(
    "POST",
    "/api/v1/session",
    summary="Sign in with email and password; sets the session cookie",
    tag="account",
    body=LoginIn,
    response=MemberOut,
)
async def api_sign_in(request: Request) -> Response:
    data = await parse(request, LoginIn)
    result = await do_sign_in(
        site_of(request),
        email=data.email,
        password=data.password,
        client_ip=client_ip(request),
        user_agent=user_agent(request),
    )
    response = json_response(MemberOut.of(result.user))
    set_session_cookie(request, response, result.token)
    return response


@api("DELETE", "/api/v1/session", summary="Sign out: end this session", tag="account", status=204)
async def api_sign_out(request: Request) -> Response:
    await do_sign_out(site_of(request), request.cookies.get(SESSION_COOKIE))
    response = Response(status_code=204)
    clear_session_cookie(request, response)
    return response


# --- Forgotten password -------------------------------------------------------------------


async def forgot_page(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "members/forgot.html", {"values": {}})
    raw = await read_input(request)
    try:
        data = validate(ForgotIn, raw)
        await do_request_password_reset(site_of(request), data.email)
    except ConveneError as exc:
        return render(
            request,
            "members/forgot.html",
            {"values": _form_values(raw), "errors": exc.fields},
            status_code=exc.status,
        )
    return render(request, "members/forgot_sent.html", {"message": FORGOT_SENT})


@api(
    "POST",
    "/api/v1/password/forgot",
    summary="Email a password reset link, if an active account has this address",
    tag="account",
    body=ForgotIn,
    response=MessageOut,
    status=202,
)
async def api_forgot(request: Request) -> Response:
    data = await parse(request, ForgotIn)
    await do_request_password_reset(site_of(request), data.email)
    return json_response(MessageOut(message=FORGOT_SENT), status_code=202)


def _reset_invalid(request: Request, message: str) -> Response:
    return render(request, "members/reset_invalid.html", {"message": message}, status_code=400)


async def reset_page(request: Request) -> Response:
    token = request.path_params["token"]
    site = site_of(request)
    if request.method == "GET":
        try:
            await get_valid_reset(site, token)
        except BadRequest as exc:
            return _reset_invalid(request, exc.message)
        return render(request, "members/reset.html", {"token": token})
    raw = await read_input(request)
    try:
        data = validate(NewPasswordForm, raw)
        result = await do_reset_password(site, token, data.password, user_agent(request))
    except BadRequest as exc:
        return _reset_invalid(request, exc.message)
    except ConveneError as exc:
        return render(
            request, "members/reset.html", {"token": token, "errors": exc.fields}, status_code=exc.status
        )
    response = redirect("/settings", "password_reset")
    set_session_cookie(request, response, result.token)
    return response


@api(
    "POST",
    "/api/v1/password/reset",
    summary="Choose a new password with the token from a reset email; signs out every other session",
    tag="account",
    body=ResetIn,
    response=MemberOut,
)
async def api_reset(request: Request) -> Response:
    data = await parse(request, ResetIn)
    result = await do_reset_password(site_of(request), data.token, data.password, user_agent(request))
    response = json_response(MemberOut.of(result.user))
    set_session_cookie(request, response, result.token)
    return response


async def terms_page(request: Request) -> Response:
    return render(request, "members/terms.html", {"terms_html": await get_terms_html()})


routes = [
    Route("/register", register_page, methods=["GET", "POST"], name="register"),
    api_register,
    Route("/login", login_page, methods=["GET", "POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    api_sign_in,
    api_sign_out,
    Route("/password/forgot", forgot_page, methods=["GET", "POST"], name="password_forgot"),
    api_forgot,
    Route("/password/reset/{token}", reset_page, methods=["GET", "POST"], name="password_reset"),
    api_reset,
    Route("/terms", terms_page, name="terms"),
]
