"""Admin pages for email: /admin/email (failing addresses, the outbox at a glance) and
/admin/newsletter (write in Markdown, preview, send a test to yourself, send to subscribers).
The services check that the viewer is an administrator; these routes parse and choose the page."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from convene.api import read_input, validate
from convene.errors import ConveneError
from convene.i18n import translations
from convene.markup import render_markdown
from digest.context import Mailroom
from digest.health import do_clear_failing, get_email_overview
from digest.newsletter import (
    count_subscribers,
    do_create_newsletter,
    do_send_newsletter,
    do_send_test,
    do_update_newsletter,
    get_newsletter,
    list_newsletters,
)
from digest.schemas import NewsletterIn
from members.choices import N_
from members.responses import redirect, render

NOTICES = {
    "saved": N_("The draft has been saved."),
    "test_sent": N_("A test has been sent to your own address. Check how it looks before sending."),
    "sent": N_("The newsletter is on its way to every subscriber."),
    "cleared": N_("The address has been cleared: email to it starts again."),
}


def _flash(request: Request) -> str | None:
    key = request.query_params.get("notice", "")
    if key not in NOTICES:
        return None
    locale = request.app.state.templates.locale_for(request)
    return translations(locale).gettext(NOTICES[key])


# --- /admin/email -------------------------------------------------------------------------


async def email_page(request: Request) -> Response:
    overview = await get_email_overview(request.user)
    return render(
        request,
        "digest/admin_email.html",
        {"overview": overview, "section": "email", "flash": _flash(request)},
    )


async def clear_failing(request: Request) -> Response:
    await do_clear_failing(request.user, request.path_params["id"])
    return redirect("/admin/email", "cleared")


# --- /admin/newsletter --------------------------------------------------------------------


async def newsletters_page(request: Request) -> Response:
    items = await list_newsletters(request.user)
    ctx: dict[str, Any] = {"items": items, "section": "newsletter", "subscribers": await count_subscribers()}
    if request.method == "GET":
        return render(request, "digest/admin_newsletters.html", ctx)
    raw = await read_input(request)
    try:
        newsletter = await do_create_newsletter(
            Mailroom.of_app(request.app), request.user, validate(NewsletterIn, raw)
        )
    except ConveneError as exc:
        ctx.update(values=raw, errors=exc.fields)
        return render(request, "digest/admin_newsletters.html", ctx, status_code=exc.status)
    return redirect(f"/admin/newsletter/{newsletter.id}", "saved")


async def newsletter_page(request: Request) -> Response:
    newsletter = await get_newsletter(request.user, request.path_params["id"])
    ctx: dict[str, Any] = {
        "newsletter": newsletter,
        "values": {"subject": newsletter.subject, "body": newsletter.body},
        "preview_html": newsletter.body_html,
        "subscribers": await count_subscribers(),
        "section": "newsletter",
        "flash": _flash(request),
    }
    if request.method == "GET":
        return render(request, "digest/admin_newsletter.html", ctx)
    raw = await read_input(request)
    try:
        data = validate(NewsletterIn, raw)
        if raw.get("action") == "preview":
            # Show the unsaved text rendered, as members will read it; nothing is stored.
            ctx.update(values=raw, preview_html=render_markdown(data.body), previewing=True)
            return render(request, "digest/admin_newsletter.html", ctx)
        await do_update_newsletter(Mailroom.of_app(request.app), request.user, newsletter.id, data)
    except ConveneError as exc:
        ctx.update(values=raw, errors=exc.fields, message=exc.message)
        return render(request, "digest/admin_newsletter.html", ctx, status_code=exc.status)
    return redirect(f"/admin/newsletter/{newsletter.id}", "saved")


async def newsletter_test(request: Request) -> Response:
    await do_send_test(Mailroom.of_app(request.app), request.user, request.path_params["id"])
    return redirect(f"/admin/newsletter/{request.path_params['id']}", "test_sent")


async def newsletter_send(request: Request) -> Response:
    await do_send_newsletter(Mailroom.of_app(request.app), request.user, request.path_params["id"])
    return redirect(f"/admin/newsletter/{request.path_params['id']}", "sent")


routes = [
    Route("/admin/email", email_page, name="admin_email"),
    Route("/admin/email/{id:int}/clear", clear_failing, methods=["POST"]),
    Route("/admin/newsletter", newsletters_page, methods=["GET", "POST"], name="admin_newsletters"),
    Route("/admin/newsletter/{id:int}", newsletter_page, methods=["GET", "POST"], name="admin_newsletter"),
    Route("/admin/newsletter/{id:int}/test", newsletter_test, methods=["POST"]),
    Route("/admin/newsletter/{id:int}/send", newsletter_send, methods=["POST"]),
]
