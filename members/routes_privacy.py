"""Routes for personal data: the privacy page (and its admin editor), downloading one's data,
deleting one's account, and an administrator erasing an account on request."""

from __future__ import annotations

import os
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from convene.api import api, json_response, parse, read_input, validate
from convene.errors import ConveneError, NotFound
from members.context import site_of
from members.erasure import Erasure, do_erase_member
from members.models import User
from members.outputs import MessageOut
from members.permissions import check_is_admin, check_signed_in
from members.privacy import build_export, do_update_privacy, get_privacy
from members.responses import clear_session_cookie, redirect, render


def _keep_or_delete(value: Any) -> Any:
    if value not in ("keep", "delete"):
        raise ValueError("Choose whether to keep or delete what you wrote.")
    return value


class PrivacyIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    privacy: str = ""


class PrivacyOut(BaseModel):
    markdown: str
    html: str


class DeleteAccountIn(BaseModel):
    """`content`: "keep" leaves what you wrote under "Former member"; "delete" removes it."""

    model_config = ConfigDict(extra="ignore")
    password: str = ""
    content: Literal["keep", "delete"] = Field(default="keep")
    confirm: bool = True  # the form's "I understand" box; API clients confirm by calling

    @field_validator("confirm", mode="before")
    @classmethod
    def _confirm(cls, value: Any) -> Any:
        if value in (None, "", False, "false"):
            raise ValueError("Tick the box to confirm that you want to delete your account.")
        return value

    _content = field_validator("content", mode="before")(classmethod(lambda cls, v: _keep_or_delete(v)))


class AdminEraseIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    reason: str = ""
    content: Literal["keep", "delete"] = "keep"

    _content = field_validator("content", mode="before")(classmethod(lambda cls, v: _keep_or_delete(v)))


# ---- The privacy page ----


async def privacy_page(request: Request) -> Response:
    _, html = await get_privacy()
    return render(request, "members/privacy.html", {"privacy_html": html})


async def admin_privacy(request: Request) -> Response:
    check_is_admin(request.user)
    ctx: dict[str, Any] = {"section": "privacy"}
    if request.method == "POST":
        raw = await read_input(request)
        try:
            await do_update_privacy(site_of(request), request.user, validate(PrivacyIn, raw).privacy)
        except ConveneError as exc:
            ctx.update(values=raw, errors=exc.fields)
            return render(request, "members/privacy_admin.html", ctx, status_code=exc.status)
        return redirect("/admin/privacy", "settings_saved")
    markdown, _ = await get_privacy()
    return render(request, "members/privacy_admin.html", {**ctx, "values": {"privacy": markdown}})


@api("GET", "/api/v1/privacy", summary="The site's privacy notice", tag="members", response=PrivacyOut)
async def api_privacy(request: Request) -> Response:
    markdown, html = await get_privacy()
    return json_response(PrivacyOut(markdown=markdown, html=html))


@api(
    "PUT",
    "/api/v1/admin/privacy",
    summary="Replace the privacy notice (Markdown; empty shows the built-in notice)",
    tag="admin",
    body=PrivacyIn,
    response=PrivacyOut,
    auth=True,
)
async def api_update_privacy(request: Request) -> Response:
    data = await parse(request, PrivacyIn)
    html = await do_update_privacy(site_of(request), request.user, data.privacy)
    return json_response(PrivacyOut(markdown=data.privacy.strip(), html=html))


# ---- Your data ----


async def data_page(request: Request) -> Response:
    user = check_signed_in(request.user)
    return render(request, "members/privacy_data.html", {"section": "data", "member": user})


async def _export(request: Request) -> Response:
    path, name = await build_export(site_of(request), request.user)
    return FileResponse(
        path,
        media_type="application/zip",
        headers={
            "content-disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
        },
        background=BackgroundTask(os.unlink, path),
    )


async def export_zip(request: Request) -> Response:
    return await _export(request)


@api(
    "GET",
    "/api/v1/me/export",
    summary="Download all your data: a zip with data.json and the files you uploaded",
    tag="me",
    auth=True,
)
async def api_export(request: Request) -> Response:
    return await _export(request)


# ---- Deleting an account ----


async def _after_erasure(request: Request, erasure: Erasure) -> None:
    hub = getattr(request.app.state, "hub", None)
    if hub is not None:
        for scope in erasure.scopes:
            await hub.revoke(erasure.user_id, scope)


async def delete_account(request: Request) -> Response:
    user = check_signed_in(request.user)
    ctx: dict[str, Any] = {"section": "data", "member": user}
    if request.method == "GET":
        return render(request, "members/privacy_delete.html", {**ctx, "values": {"content": "keep"}})
    raw = await read_input(request)
    raw.setdefault("confirm", "")
    try:
        data = validate(DeleteAccountIn, raw)
        erasure = await do_erase_member(
            site_of(request), user, user.id, delete_content=data.content == "delete", password=data.password
        )
    except ConveneError as exc:
        ctx.update(values={**raw, "password": ""}, errors=exc.fields, message=exc.message)
        return render(request, "members/privacy_delete.html", ctx, status_code=exc.status)
    await _after_erasure(request, erasure)
    response = render(request, "members/privacy_deleted.html", {"kept": data.content == "keep"})
    clear_session_cookie(request, response)
    return response


@api(
    "DELETE",
    "/api/v1/me",
    summary="Delete your account (needs your password); content 'keep' or 'delete'",
    tag="me",
    body=DeleteAccountIn,
    status=204,
    auth=True,
)
async def api_delete_me(request: Request) -> Response:
    user = check_signed_in(request.user)
    data = await parse(request, DeleteAccountIn)
    erasure = await do_erase_member(
        site_of(request), user, user.id, delete_content=data.content == "delete", password=data.password
    )
    await _after_erasure(request, erasure)
    return Response(status_code=204)


async def admin_erase(request: Request) -> Response:
    check_is_admin(request.user)
    target = await User.get_or_none(id=request.path_params["id"])
    if target is None:
        raise NotFound("There is no member with that id.")
    ctx: dict[str, Any] = {"section": "members", "target": target}
    if request.method == "GET":
        return render(request, "members/privacy_erase.html", {**ctx, "values": {"content": "keep"}})
    raw = await read_input(request)
    try:
        data = validate(AdminEraseIn, raw)
        erasure = await do_erase_member(
            site_of(request),
            request.user,
            target.id,
            delete_content=data.content == "delete",
            reason=data.reason,
        )
    except ConveneError as exc:
        ctx.update(values=raw, errors=exc.fields, message=exc.message)
        return render(request, "members/privacy_erase.html", ctx, status_code=exc.status)
    await _after_erasure(request, erasure)
    return redirect("/admin/members", "erased")


@api(
    "POST",
    "/api/v1/admin/members/{id:int}/erase",
    summary="Erase a member's account on their request (a reason is required; audited)",
    tag="admin",
    body=AdminEraseIn,
    response=MessageOut,
    auth=True,
)
async def api_admin_erase(request: Request) -> Response:
    data = await parse(request, AdminEraseIn)
    erasure = await do_erase_member(
        site_of(request),
        request.user,
        request.path_params["id"],
        delete_content=data.content == "delete",
        reason=data.reason,
    )
    await _after_erasure(request, erasure)
    return json_response(MessageOut(message="The account has been erased."))


routes = [
    Route("/privacy", privacy_page, name="privacy"),
    Route("/admin/privacy", admin_privacy, methods=["GET", "POST"], name="admin_privacy"),
    api_privacy,
    api_update_privacy,
    Route("/settings/data", data_page, name="settings_data"),
    Route("/settings/data/export.zip", export_zip, name="settings_export"),
    api_export,
    Route("/settings/delete", delete_account, methods=["GET", "POST"], name="settings_delete"),
    api_delete_me,
    Route("/admin/members/{id:int}/erase", admin_erase, methods=["GET", "POST"], name="admin_erase"),
    api_admin_erase,
]
