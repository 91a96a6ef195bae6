"""HTML pages of the library: browse and search, one resource, add/edit forms, downloads, feeds.

Forms work without JavaScript; on a validation error the form is shown again with the messages
and status 422. Downloads are served with the type we recognised, as attachments (images may be
shown inline), with nosniff and a CSP that lets nothing in them run.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from convene.api import validate
from convene.errors import ConveneError, NotFound
from convene.i18n import translations
from forum.service import list_my_groups
from library import service
from library.browse import facet_label, list_resources
from library.feeds import get_feed
from library.files import ACCEPT_ATTRIBUTE, ACCEPTED, FILE_TYPES, content_disposition, human_size, store_of
from library.forms import closing_form, read_upload_form, receive_upload
from library.schemas import CommentIn, LibraryQuery, ResourceIn, ResourcePatch
from members.choices import RESETTLEMENT_STAGES, country_options, spoken_language_options

DOWNLOAD_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"
)


def _locale(request: Request) -> str:
    return request.app.state.templates.locale_for(request)


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    locale = _locale(request)
    gettext = translations(locale).gettext
    ctx = {
        "stage_labels": {k: gettext(v) for k, v in RESETTLEMENT_STAGES.items()},
        "facet_label": lambda facet, value: facet_label(facet, value, locale),
        "file_types": FILE_TYPES,
        "human_size": human_size,
        "quote": lambda text: quote(text, safe=""),
        "errors": {},
        **context,
    }
    return request.app.state.templates.render(request, name, ctx, status_code=status_code)


def redirect(url: str, done: str | None = None) -> RedirectResponse:
    if done:
        url += ("&" if "?" in url else "?") + f"done={done}"
    return RedirectResponse(url, status_code=303)


# ---- Browse ----


async def library_index(request: Request) -> Response:
    query = validate(LibraryQuery, dict(request.query_params))
    page = await list_resources(request.user, query)

    def url(**changes: Any) -> str:
        params = query.params(page=1, **changes) if "page" not in changes else query.params(**changes)
        return "/library" + ("?" + urlencode(params) if params else "")

    return render(request, "library/index.html", {"page": page, "query": query, "url": url})


# ---- Add and edit ----


async def _form_context(request: Request, values: dict[str, Any]) -> dict[str, Any]:
    locale = _locale(request)
    groups = [a.group for a in await list_my_groups(request.user) if a.can_post]
    return {
        "values": values,
        "countries": list(country_options(locale)),
        "languages": list(spoken_language_options(locale)),
        "groups": groups,
        "accept": ACCEPT_ATTRIBUTE,
        "accepted": ACCEPTED,
        "max_upload": human_size(request.app.state.settings.max_upload_bytes),
    }


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _form_values(raw: dict[str, Any]) -> dict[str, Any]:
    """What was typed, shaped for the form again (lists stay lists)."""
    values = dict(raw)
    for name in ("languages", "stages"):
        values[name] = _as_list(raw.get(name))
    if isinstance(raw.get("tags"), list):
        values["tags"] = ", ".join(raw["tags"])
    return values


async def new_resource(request: Request) -> Response:
    service.check_signed_in_member(request.user, "Please sign in to add resources to the library.")
    if request.method == "GET":
        values = {"group": request.query_params.get("group", ""), "audience": "members"}
        ctx = await _form_context(request, values)
        return render(request, "library/form.html", {**ctx, "resource": None})
    raw, upload = await read_upload_form(request)
    received = None
    try:
        data = validate(ResourceIn, raw)
        received = await receive_upload(request, upload)
        resource = await service.do_create_resource(
            request.user,
            data,
            upload=received,
            store=store_of(request.app.state.settings),
            clock=request.app.state.clock,
        )
    except ConveneError as exc:
        if received is not None:
            store_of(request.app.state.settings).discard(received)
        if exc.status in (401, 413):
            raise
        ctx = await _form_context(request, _form_values(raw))
        ctx.update(resource=None, errors=exc.fields or {"file": exc.message})
        return render(request, "library/form.html", ctx, status_code=exc.status)
    return redirect(f"/library/{resource.id}", "added")


def _values_of(resource: Any) -> dict[str, Any]:
    return {
        "title": resource.title,
        "description": resource.description,
        "url": resource.url,
        "languages": list(resource.languages),
        "country": resource.country,
        "stages": list(resource.stages),
        "tags": ", ".join(resource.tags),
        "publisher": resource.publisher,
        "year": resource.year or "",
        "last_reviewed": resource.last_reviewed.isoformat() if resource.last_reviewed else "",
        "audience": str(resource.audience),
        "translation_of": resource.translation_of_id or "",
    }


async def edit_resource(request: Request) -> Response:
    resource_id = request.path_params["id"]
    view = await service.get_resource(request.user, resource_id)
    if not view.can_edit:
        await service.check_can_edit_resource(request.user, view.resource)
    if request.method == "GET":
        ctx = await _form_context(request, _values_of(view.resource))
        return render(request, "library/form.html", {**ctx, "resource": view.resource})
    raw, upload = await read_upload_form(request)
    # A form sends every field; an unticked checkbox list sends nothing, so it means "none".
    raw = {"languages": [], "stages": [], **raw}
    received = None
    store = store_of(request.app.state.settings)
    try:
        data = validate(ResourcePatch, raw)
        received = await receive_upload(request, upload)
        await service.do_update_resource(
            request.user, resource_id, data, upload=received, store=store, clock=request.app.state.clock
        )
    except ConveneError as exc:
        if received is not None:
            store.discard(received)
        if exc.status in (401, 403, 404, 413):
            raise
        ctx = await _form_context(request, _form_values(raw))
        ctx.update(resource=view.resource, errors=exc.fields or {"file": exc.message})
        return render(request, "library/form.html", ctx, status_code=exc.status)
    return redirect(f"/library/{resource_id}", "saved")


async def delete_resource(request: Request) -> Response:
    await service.do_delete_resource(
        request.user,
        request.path_params["id"],
        store=store_of(request.app.state.settings),
        clock=request.app.state.clock,
    )
    return redirect("/library", "deleted")


# ---- One resource ----


async def resource_page(
    request: Request, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    view = await service.get_resource(request.user, request.path_params["id"])
    return render(
        request,
        "library/resource.html",
        {
            "view": view,
            "resource": view.resource,
            "errors": errors or {},
            "done": request.query_params.get("done"),
        },
        status_code=status_code,
    )


async def add_comment(request: Request) -> Response:
    resource_id = request.path_params["id"]
    try:
        data = validate(CommentIn, dict(await request.form()))
        comment = await service.do_add_comment(
            request.user, resource_id, body=data.body, clock=request.app.state.clock
        )
    except ConveneError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await resource_page(
            request, errors=exc.fields or {"body": exc.message}, status_code=exc.status
        )
    return RedirectResponse(f"/library/{resource_id}#c{comment.id}", status_code=303)


async def delete_comment(request: Request) -> Response:
    resource_id = await service.do_delete_comment(
        request.user, request.path_params["id"], clock=request.app.state.clock
    )
    return RedirectResponse(f"/library/{resource_id}#comments", status_code=303)


async def download(request: Request) -> Response:
    path, file_type, name = await service.get_file(
        request.user, request.path_params["id"], store_of(request.app.state.settings)
    )
    headers = {
        "content-disposition": content_disposition(name, inline=file_type.inline),
        "x-content-type-options": "nosniff",
        "content-security-policy": DOWNLOAD_CSP,
        "cross-origin-resource-policy": "same-origin",
        # Access can change (a group turns private): revalidate every time, cache nothing shared.
        "cache-control": "private, no-cache",
    }
    return FileResponse(path, media_type=file_type.content_type, headers=headers)


# ---- Feeds ----


async def feed(request: Request) -> Response:
    tag = request.path_params.get("tag")
    if tag is not None and not tag.strip():
        raise NotFound()
    settings = request.app.state.settings
    data = await get_feed(settings.site_name, request.app.state.clock.now(), tag)
    body = request.app.state.templates.render_string(
        "library/feed.atom.xml", {"feed": data, "base_url": settings.base_url, "quote": quote}
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


routes = [
    Route("/library", library_index, name="library"),
    Route("/library/new", closing_form(new_resource), methods=["GET", "POST"], name="library_new"),
    Route("/library/feed.atom", feed, name="library_feed"),
    Route("/library/tags/{tag}/feed.atom", feed, name="library_tag_feed"),
    Route("/library/{id:int}", resource_page, name="library_resource"),
    Route(
        "/library/{id:int}/edit", closing_form(edit_resource), methods=["GET", "POST"], name="library_edit"
    ),
    Route("/library/{id:int}/delete", delete_resource, methods=["POST"]),
    Route("/library/{id:int}/file", download, name="library_file"),
    Route("/library/{id:int}/comments", add_comment, methods=["POST"]),
    Route("/library/comments/{id:int}/delete", delete_comment, methods=["POST"]),
]
