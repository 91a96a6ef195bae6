"""A member's email settings: the page /settings/email and GET/PUT /api/v1/me/email-settings."""

from __future__ import annotations

from typing import Any

from babel.dates import get_day_names
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from convene.api import api, json_response, parse, read_input, validate
from convene.errors import ConveneError
from digest.preferences import do_update_email_settings, get_email_settings
from digest.schedule import WEEKDAYS
from digest.schemas import BATCH_CHOICES, EmailSettingsIn, EmailSettingsOut
from members.permissions import check_signed_in
from members.responses import redirect, render

# A form leaves unticked boxes out: for the page, out means off.
FORM_BOOLEANS = ("instant_mentions", "instant_replies", "newsletter")


def _choices(request: Request) -> dict[str, Any]:
    locale = request.app.state.templates.locale_for(request)
    days = get_day_names("wide", locale=locale)
    return {
        "weekdays": [(name, days[i]) for i, name in enumerate(WEEKDAYS)],
        "hours": [(str(h), f"{h:02d}:00") for h in range(24)],
        "batch_choices": BATCH_CHOICES,
    }


def _values(current: EmailSettingsOut) -> dict[str, Any]:
    values = current.model_dump()
    values["hour"] = str(current.hour)
    values["all_groups"] = "true" if current.all_groups else "false"
    return values


async def email_settings_page(request: Request) -> Response:
    user = check_signed_in(request.user)
    clock = request.app.state.clock
    if request.method == "GET":
        current = await get_email_settings(user, clock)
        ctx = {"section": "email", "current": current, "values": _values(current), **_choices(request)}
        return render(request, "digest/settings_email.html", ctx)
    raw = await read_input(request)
    form = {**raw, **{name: raw.get(name) or False for name in FORM_BOOLEANS}}
    form.setdefault("groups", [])
    try:
        await do_update_email_settings(user, validate(EmailSettingsIn, form), clock)
    except ConveneError as exc:
        current = await get_email_settings(user, clock)
        values = {**_values(current), **raw}
        values["groups"] = [int(g) for g in (raw.get("groups") or []) if str(g).isdigit()]
        ctx = {
            "section": "email",
            "current": current,
            "values": values,
            "errors": exc.fields,
            "message": exc.message,
            **_choices(request),
        }
        return render(request, "digest/settings_email.html", ctx, status_code=exc.status)
    return redirect("/settings/email", "saved")


@api(
    "GET",
    "/api/v1/me/email-settings",
    summary="Your email settings: digest schedule and groups, instant emails, newsletter",
    tag="me",
    response=EmailSettingsOut,
    auth=True,
)
async def api_email_settings(request: Request) -> Response:
    return json_response(await get_email_settings(check_signed_in(request.user), request.app.state.clock))


@api(
    "PUT",
    "/api/v1/me/email-settings",
    summary="Change your email settings; fields left out keep their value",
    tag="me",
    body=EmailSettingsIn,
    response=EmailSettingsOut,
    auth=True,
)
async def api_update_email_settings(request: Request) -> Response:
    user = check_signed_in(request.user)
    data = await parse(request, EmailSettingsIn)
    return json_response(await do_update_email_settings(user, data, request.app.state.clock))


routes = [
    Route("/settings/email", email_settings_page, methods=["GET", "POST"], name="settings_email"),
    api_email_settings,
    api_update_email_settings,
]
