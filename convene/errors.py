"""One exception tree, and the one handler that renders it as HTML or JSON by the request."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class ConfigError(Exception):
    """A setting is wrong; raised at start-up, never during a request."""


class ConveneError(Exception):
    status = 400
    code = "bad_request"
    default_message = "The request could not be understood."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.fields = fields or {}
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(ConveneError):
    pass


class NotAuthenticated(ConveneError):
    status = 401
    code = "not_authenticated"
    default_message = "Please sign in to do that."


class Forbidden(ConveneError):
    status = 403
    code = "forbidden"
    default_message = "You do not have permission to do that."


class NotFound(ConveneError):
    status = 404
    code = "not_found"
    default_message = "We could not find that page. It may have moved, or you may not have access."


class Conflict(ConveneError):
    status = 409
    code = "conflict"
    default_message = "That conflicts with something that already exists."


class TooLarge(ConveneError):
    status = 413
    code = "too_large"
    default_message = "What you sent is too large."


class Invalid(ConveneError):
    status = 422
    code = "invalid"
    default_message = "Some of what you entered needs fixing."


class RateLimited(ConveneError):
    status = 429
    code = "rate_limited"
    default_message = "Too many attempts. Please wait a little and try again."


_HTTP_MESSAGES = {
    400: (BadRequest.code, BadRequest.default_message),
    404: (NotFound.code, NotFound.default_message),
    405: ("method_not_allowed", "That action is not available here."),
    413: (TooLarge.code, TooLarge.default_message),
}


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def render_error(
    request: Request, status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> Response:
    fields = fields or {}
    if wants_json(request):
        body: dict[str, Any] = {"error": {"code": code, "message": message}}
        if fields:
            body["error"]["fields"] = fields
        return JSONResponse(body, status_code=status)
    templates = request.app.state.templates
    return templates.render(
        request,
        "error.html",
        {"status": status, "message": message, "fields": fields},
        status_code=status,
    )


async def handle_convene_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConveneError)
    if isinstance(exc, NotAuthenticated) and not wants_json(request) and request.method == "GET":
        from starlette.responses import RedirectResponse

        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    response = render_error(request, exc.status, exc.code, exc.message, exc.fields)
    response.headers.update(exc.headers)
    return response


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = _HTTP_MESSAGES.get(exc.status_code, ("error", str(exc.detail)))
    response = render_error(request, exc.status_code, code, message)
    # Keep the headers the exception carries: a 405 must say which methods are allowed (Allow).
    response.headers.update(exc.headers or {})
    return response


async def handle_server_error(request: Request, exc: Exception) -> Response:
    return render_error(request, 500, "server_error", "Something went wrong on our side. Please try again.")
