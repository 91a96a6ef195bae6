"""How members' routes answer: the session cookie, safe redirects, and short notices after a change."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from convene.i18n import translations
from convene.security import SESSION_COOKIE
from members.choices import N_

# A notice travels as a key in the query string (?notice=saved), never as text: a link someone
# else crafted cannot put words on our pages.
NOTICES: dict[str, str] = {
    "welcome": N_("Welcome! Your account is ready. You can complete your profile below."),
    "saved": N_("Your changes have been saved."),
    "password_changed": N_("Your password has been changed. You were signed out on your other devices."),
    "password_reset": N_(
        "Your password has been reset and you are signed in. Other devices were signed out."
    ),
    "signed_out": N_("You have been signed out."),
    "sessions_revoked": N_("You have been signed out on every other device."),
    "session_revoked": N_("That session has been signed out."),
    "token_revoked": N_("The token has been revoked. Programs using it can no longer sign in."),
    "approved": N_("The account has been approved and the member has been emailed."),
    "rejected": N_("The request has been rejected and the pending account deleted."),
    "suspended": N_("The account has been suspended and signed out everywhere."),
    "unsuspended": N_("The account is active again."),
    "role_changed": N_("The role has been changed."),
    "invited": N_("The invitation has been sent."),
    "invitation_revoked": N_("The invitation has been revoked; its link no longer works."),
    "settings_saved": N_("The site settings have been saved."),
    "erased": N_("The account has been erased. The audit log records who did it and why."),
}


def translate(request: Request, message: str) -> str:
    locale = request.app.state.templates.locale_for(request)
    return translations(locale).gettext(message)


def notice_of(request: Request) -> str | None:
    key = request.query_params.get("notice", "")
    return translate(request, NOTICES[key]) if key in NOTICES else None


def safe_next(target: str | None, default: str = "/") -> str:
    """Only paths on this site: "//evil.example", "https://...", "/\\evil" all fall back."""
    if not target or any(ch in target for ch in "\r\n\t\\") or not target.startswith("/"):
        return default
    if target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def redirect(url: str, notice: str | None = None) -> RedirectResponse:
    if notice:
        url += ("&" if "?" in url else "?") + f"notice={notice}"
    return RedirectResponse(url, status_code=303)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    settings = request.app.state.settings
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies
    )


def session_token(request: Request) -> str | None:
    """The session cookie, only when this request was authenticated by it (not by an API token)."""
    if "session" not in request.auth.scopes:
        return None
    return request.cookies.get(SESSION_COOKIE)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


def render(request: Request, name: str, context: dict[str, Any] | None = None, **kw: Any) -> Response:
    ctx = {"flash": notice_of(request), "errors": {}, "values": {}, "message": None, **(context or {})}
    # A context may carry errors=None (no field messages): the templates expect a mapping.
    ctx["errors"] = ctx["errors"] or {}
    ctx["values"] = ctx["values"] or {}
    return request.app.state.templates.render(request, name, ctx, **kw)
