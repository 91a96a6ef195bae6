"""HTML pages for moderation: the flag form, the queues (a group's and the whole site's), a post's
moderation page, the moderator actions, the audit logs, a member's record (warn, suspend) and the
member's own warnings. Every action is a plain form; the service decides who may do it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from convene.api import read_input, validate
from convene.errors import Conflict, Invalid, NotFound
from forum import moderation, sanctions
from forum.access import Need
from forum.group_pages import redirect, render
from forum.models import FlagReason, Group
from forum.moderation_schemas import AuditQuery, FlagIn, SuspendIn, UnsuspendIn, WarnIn
from forum.schemas import page_number
from forum.service import get_group, get_post_page
from forum.thread_pages import thread_url
from members.audit import KNOWN_ACTIONS, list_audit
from members.responses import safe_next
from members.suspensions import can_suspend, do_suspend_member, do_unsuspend_member

FLAG_REASONS = [r.value for r in FlagReason]
POST_ACTIONS = frozenset({"hide", "unhide", "dismiss", "warn"})
MEMBER_ACTIONS = frozenset({"warn", "suspend", "unsuspend"})


def _clock(request: Request) -> Any:
    return request.app.state.clock


# ---- Flagging ----


async def flag_post(request: Request) -> Response:
    slug, post_id = request.path_params["slug"], request.path_params["post_id"]
    found = await moderation.get_post_for(request.user, post_id, Need.READ_THREAD, slug)
    ctx: dict[str, Any] = {"found": found, "group": found.group, "reasons": FLAG_REASONS, "values": {}}
    ctx["existing"] = await moderation.get_my_open_flag(request.user, post_id)
    if request.method == "GET":
        return render(request, "forum/moderation_flag.html", ctx)
    values = await read_input(request)
    try:
        data = validate(FlagIn, values)
        await moderation.do_flag_post(
            request.user, post_id, reason=data.reason, note=data.note, clock=_clock(request)
        )
    except (Invalid, Conflict) as exc:
        ctx.update(values=values, errors=exc.fields, alert=None if exc.fields else exc.message)
        return render(request, "forum/moderation_flag.html", ctx, exc.status)
    post = found.post
    page = await get_post_page(post.thread, post.number)
    url = thread_url(slug, post.thread.id, page=page)
    return RedirectResponse(
        url + ("&" if "?" in url else "?") + f"done=flagged#p{post.number}", status_code=303
    )


# ---- Queues ----


async def group_queue(request: Request) -> Response:
    access = await get_group(request.user, request.path_params["slug"], Need.MODERATE)
    queue = await moderation.list_group_queue(
        request.user, access.group, page=page_number(request.query_params.get("page"))
    )
    return _queue_page(request, queue, access.group, f"/g/{access.group.slug}/moderation")


async def site_queue(request: Request) -> Response:
    queue = await moderation.list_site_queue(request.user, page=page_number(request.query_params.get("page")))
    return _queue_page(request, queue, None, "/admin/moderation")


def _queue_page(request: Request, queue: moderation.QueuePage, group: Group | None, here: str) -> Response:
    back = here + (f"?page={queue.page}" if queue.page > 1 else "")
    return render(
        request,
        "forum/moderation_queue.html",
        {
            "queue": queue,
            "group": group,
            "here": here,
            "back": back,
            "section": "moderation",
            "can_suspend": can_suspend(request.user),
        },
    )


async def post_moderation(request: Request) -> Response:
    return await _post_page(request)


async def _post_page(
    request: Request, *, alert: str | None = None, errors: dict | None = None, status_code: int = 200
) -> Response:
    slug, post_id = request.path_params["slug"], request.path_params["post_id"]
    found, flags = await moderation.list_post_flags(request.user, post_id, slug)
    return render(
        request,
        "forum/moderation_post.html",
        {
            "found": found,
            "group": found.group,
            "flags": flags,
            "alert": alert,
            "errors": errors or {},
            "back": f"/g/{slug}/moderation/posts/{post_id}",
            "can_suspend": can_suspend(request.user),
        },
        status_code,
    )


def _back(raw: dict[str, Any], slug: str, default: str) -> str:
    # Back to the queue or page the moderator acted from; only this group's pages or the admin queue.
    target = safe_next(raw.get("back"), default)
    return target if target.startswith((f"/g/{slug}/", "/admin/moderation")) else default


async def post_action(request: Request) -> Response:
    slug, post_id, action = (request.path_params[k] for k in ("slug", "post_id", "action"))
    if action not in POST_ACTIONS:
        raise NotFound()
    raw = await read_input(request)
    clock = _clock(request)
    try:
        if action == "hide":
            await moderation.do_hide_post(
                request.user, post_id, reason=raw.get("reason", ""), clock=clock, slug=slug
            )
        elif action == "unhide":
            await moderation.do_unhide_post(
                request.user, post_id, reason=raw.get("reason", ""), clock=clock, slug=slug
            )
        elif action == "dismiss":
            await moderation.do_dismiss_flags(
                request.user, post_id, reason=raw.get("reason", ""), clock=clock, slug=slug
            )
        else:
            found = await moderation.get_post_for(request.user, post_id, Need.MODERATE, slug)
            author_id = found.post.author_id  # type: ignore[attr-defined]
            if author_id is None:
                raise Conflict("The author of this post has left; there is nobody to warn.")
            data = validate(WarnIn, {"reason": raw.get("reason", ""), "post_id": post_id})
            await sanctions.do_warn_member(
                request.user, author_id, reason=data.reason, post_id=post_id, group=found.group, clock=clock
            )
    except (Conflict, Invalid) as exc:
        return await _post_page(request, alert=exc.message, errors=exc.fields, status_code=exc.status)
    done = {"hide": "hidden", "unhide": "unhidden", "dismiss": "dismissed", "warn": "warned"}[action]
    return redirect(_back(raw, slug, f"/g/{slug}/moderation/posts/{post_id}"), done)


# ---- Audit logs ----


async def _group_of_slug(slug: str | None) -> int | None:
    if not slug:
        return None
    group = await Group.get_or_none(slug=slug.lower())
    return group.id if group else -1  # an unknown group matches nothing, never everything


def _audit_ctx(query: AuditQuery, base: str) -> dict[str, Any]:
    def page_url(number: int) -> str:
        params = query.params(page=number)
        return base + ("?" + urlencode(params) if params else "")

    return {"query": query, "page_url": page_url, "actions": KNOWN_ACTIONS}


async def _audit_query(request: Request) -> tuple[AuditQuery, dict[str, str]]:
    try:
        return validate(AuditQuery, dict(request.query_params)), {}
    except Invalid as exc:
        return AuditQuery(), exc.fields


async def admin_audit(request: Request) -> Response:
    query, errors = await _audit_query(request)
    page = await list_audit(
        request.user,
        action=query.action,
        actor=query.actor,
        group_id=await _group_of_slug(query.group),
        since=query.since_at,
        until=query.until_at,
        page=query.page,
    )
    groups = {g.id: g for g in await Group.filter(id__in={e.group_id for e in page.items if e.group_id})}
    ctx = {
        "page": page,
        "groups": groups,
        "errors": errors,
        "section": "audit",
        **_audit_ctx(query, "/admin/audit"),
    }
    return render(request, "admin/audit.html", ctx, 422 if errors else 200)


async def group_audit(request: Request) -> Response:
    access = await get_group(request.user, request.path_params["slug"], Need.MODERATE)
    query, errors = await _audit_query(request)
    page = await moderation.list_group_audit(
        request.user,
        access.group,
        action=query.action,
        actor=query.actor,
        since=query.since_at,
        until=query.until_at,
        page=query.page,
    )
    base = f"/g/{access.group.slug}/moderation/log"
    ctx = {"page": page, "group": access.group, "errors": errors, **_audit_ctx(query, base)}
    return render(request, "forum/moderation_log.html", ctx, 422 if errors else 200)


# ---- A member's record: warn, suspend, unsuspend (site moderators and administrators) ----


async def member_record(request: Request) -> Response:
    return await _member_page(request)


async def _member_page(
    request: Request,
    *,
    errors: dict | None = None,
    values: dict | None = None,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    record = await sanctions.get_member_record(request.user, request.path_params["user_id"])
    ctx = {"record": record, "errors": errors or {}, "values": values or {}, "alert": alert}
    return render(request, "forum/moderation_member.html", ctx, status_code)


async def member_action(request: Request) -> Response:
    user_id, action = request.path_params["user_id"], request.path_params["action"]
    if action not in MEMBER_ACTIONS:
        raise NotFound()
    sanctions.check_is_site_moderator(request.user)
    raw = await read_input(request)
    clock = _clock(request)
    try:
        if action == "warn":
            data = validate(WarnIn, raw)
            await sanctions.do_warn_member(request.user, user_id, reason=data.reason, clock=clock)
        elif action == "suspend":
            data = validate(SuspendIn, raw)
            await do_suspend_member(
                request.user, user_id, until=data.ends_at(clock.now()), reason=data.reason, clock=clock
            )
        else:
            data = validate(UnsuspendIn, raw)
            await do_unsuspend_member(request.user, user_id, reason=data.reason, clock=clock)
    except (Invalid, Conflict) as exc:
        errors = {f"{action}_{k}": v for k, v in exc.fields.items()}
        return await _member_page(
            request,
            errors=errors,
            values=raw,
            alert=None if exc.fields else exc.message,
            status_code=exc.status,
        )
    done = {"warn": "warned", "suspend": "suspended", "unsuspend": "unsuspended"}[action]
    return redirect(f"/moderation/members/{user_id}", done)


# ---- The member's own warnings ----


async def my_warnings(request: Request) -> Response:
    if request.method == "POST":
        raw = await read_input(request)
        raw_id = str(raw.get("warning_id") or "")
        warning_id = int(raw_id) if raw_id.isdigit() and len(raw_id) < 12 else None
        await sanctions.do_acknowledge_warnings(request.user, clock=_clock(request), warning_id=warning_id)
        return redirect("/settings/warnings", "acknowledged")
    warnings = await sanctions.list_my_warnings(request.user)
    return render(request, "forum/moderation_warnings.html", {"warnings": warnings, "section": "warnings"})


routes = [
    Route("/g/{slug}/posts/{post_id:int}/flag", flag_post, methods=["GET", "POST"], name="flag_post"),
    Route("/g/{slug}/moderation", group_queue, name="group_moderation"),
    Route("/g/{slug}/moderation/log", group_audit, name="group_moderation_log"),
    Route("/g/{slug}/moderation/posts/{post_id:int}", post_moderation, name="post_moderation"),
    Route("/g/{slug}/moderation/posts/{post_id:int}/{action:str}", post_action, methods=["POST"]),
    Route("/admin/moderation", site_queue, name="admin_moderation"),
    Route("/admin/audit", admin_audit, name="admin_audit"),
    Route("/moderation/members/{user_id:int}", member_record, name="member_record"),
    Route("/moderation/members/{user_id:int}/{action:str}", member_action, methods=["POST"]),
    Route("/settings/warnings", my_warnings, methods=["GET", "POST"], name="my_warnings"),
]
