"""The library's JSON API under /api/v1: the same service functions as the pages.

POST /api/v1/resources takes JSON for a link, or multipart/form-data with a "file" part (and the
same fields as form fields) for an upload. A file is downloaded from its `download_url`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from convene.api import api, json_response, parse, read_input, validate
from convene.errors import ConveneError, Invalid
from library import service
from library.browse import list_resources, resource_out
from library.files import store_of
from library.forms import closing_form, read_upload_form, receive_upload
from library.schemas import (
    CommentIn,
    CommentOut,
    LibraryPageOut,
    LibraryQuery,
    PersonOut,
    ResourceIn,
    ResourceOut,
    ResourcePatch,
)


async def _out(request: Request, resource_id: int) -> ResourceOut:
    view = await service.get_resource(request.user, resource_id)
    return resource_out(view.resource, view.family)


@api(
    "GET",
    "/api/v1/resources",
    summary="Browse and search the library; facet counts are for all the matches",
    tag="library",
    response=LibraryPageOut,
    query={
        "q": "words to search for",
        "stage": "a stage of resettlement, e.g. pre_departure",
        "country": "ISO 3166 country code",
        "language": "ISO 639-1 language code",
        "tag": "a topic tag",
        "group": "a group's address (slug)",
        "page": "page number, from 1",
    },
)
async def api_list_resources(request: Request) -> Response:
    page = await list_resources(request.user, validate(LibraryQuery, dict(request.query_params)))
    locale = request.app.state.templates.locale_for(request)
    return json_response(
        LibraryPageOut(
            items=[resource_out(r, page.families.get(r.id)) for r in page.items],
            facets=page.facet_out(locale),
            page=page.page,
            pages=page.pages,
            total=page.total,
        )
    )


@api(
    "POST",
    "/api/v1/resources",
    summary="Add a resource: JSON for a link, or multipart/form-data with a 'file' part for an upload",
    tag="library",
    body=ResourceIn,
    response=ResourceOut,
    status=201,
    auth=True,
)
@closing_form
async def api_create_resource(request: Request) -> Response:
    store = store_of(request.app.state.settings)
    if request.headers.get("content-type", "").startswith("application/json"):
        data, received = await parse(request, ResourceIn), None
    else:
        raw, upload = await read_upload_form(request)
        data = validate(ResourceIn, raw)
        received = await receive_upload(request, upload)
    try:
        resource = await service.do_create_resource(
            request.user, data, upload=received, store=store, clock=request.app.state.clock
        )
    except ConveneError:
        if received is not None:
            store.discard(received)
        raise
    return json_response(await _out(request, resource.id), status_code=201)


@api("GET", "/api/v1/resources/{id:int}", summary="One resource", tag="library", response=ResourceOut)
async def api_get_resource(request: Request) -> Response:
    return json_response(await _out(request, request.path_params["id"]))


@api(
    "PATCH",
    "/api/v1/resources/{id:int}",
    summary="Change a resource: send only the fields to change",
    tag="library",
    body=ResourcePatch,
    response=ResourceOut,
    auth=True,
)
async def api_update_resource(request: Request) -> Response:
    data = validate(ResourcePatch, await read_input(request))
    await service.do_update_resource(
        request.user,
        request.path_params["id"],
        data,
        upload=None,
        store=store_of(request.app.state.settings),
        clock=request.app.state.clock,
    )
    return json_response(await _out(request, request.path_params["id"]))


@api(
    "PUT",
    "/api/v1/resources/{id:int}/file",
    summary="Replace a file resource's file (multipart/form-data with a 'file' part)",
    tag="library",
    response=ResourceOut,
    auth=True,
)
@closing_form
async def api_replace_file(request: Request) -> Response:
    _, upload = await read_upload_form(request)
    if upload is None:
        raise Invalid(fields={"file": "Choose a file to upload."})
    store = store_of(request.app.state.settings)
    received = await receive_upload(request, upload)
    try:
        await service.do_update_resource(
            request.user,
            request.path_params["id"],
            ResourcePatch(),
            upload=received,
            store=store,
            clock=request.app.state.clock,
        )
    except ConveneError:
        store.discard(received)  # type: ignore[arg-type]
        raise
    return json_response(await _out(request, request.path_params["id"]))


@api(
    "DELETE", "/api/v1/resources/{id:int}", summary="Remove a resource", tag="library", status=204, auth=True
)
async def api_delete_resource(request: Request) -> Response:
    await service.do_delete_resource(
        request.user,
        request.path_params["id"],
        store=store_of(request.app.state.settings),
        clock=request.app.state.clock,
    )
    return Response(status_code=204)


def _comment_out(comment: object) -> CommentOut:
    author = comment.author  # type: ignore[attr-defined]
    return CommentOut(
        id=comment.id,  # type: ignore[attr-defined]
        author=PersonOut(username=author.username, name=author.name) if author is not None else None,
        html=comment.body_html,  # type: ignore[attr-defined]
        created_at=comment.created_at,  # type: ignore[attr-defined]
    )


@api(
    "GET",
    "/api/v1/resources/{id:int}/comments",
    summary="Comments on a network-wide resource",
    tag="library",
    response=CommentOut,
    many=True,
)
async def api_comments(request: Request) -> Response:
    comments = await service.list_comments(request.user, request.path_params["id"])
    return json_response([_comment_out(c) for c in comments])


@api(
    "POST",
    "/api/v1/resources/{id:int}/comments",
    summary="Comment on a network-wide resource (Markdown)",
    tag="library",
    body=CommentIn,
    response=CommentOut,
    status=201,
    auth=True,
)
async def api_add_comment(request: Request) -> Response:
    data = await parse(request, CommentIn)
    comment = await service.do_add_comment(
        request.user, request.path_params["id"], body=data.body, clock=request.app.state.clock
    )
    return json_response(_comment_out(comment), status_code=201)


routes = [
    api_list_resources,
    api_create_resource,
    api_get_resource,
    api_update_resource,
    api_replace_file,
    api_delete_resource,
    api_comments,
    api_add_comment,
]
