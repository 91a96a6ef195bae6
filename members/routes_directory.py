"""Routes for the member directory and one's own directory details and their visibility."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from convene.api import api, json_response, parse, read_input, validate
from convene.errors import ConveneError
from convene.i18n import translations
from members.choices import (
    ORGANISATION_TYPES,
    RESETTLEMENT_STAGES,
    country_name,
    country_options,
    spoken_language_name,
    spoken_language_options,
)
from members.directory import (
    PROFILE_FIELDS,
    DirectoryProfileIn,
    DirectoryProfileOut,
    DirectoryQuery,
    do_update_directory_profile,
    list_directory,
    split_list,
    visibility_of,
)
from members.outputs import ProfileOut
from members.permissions import check_signed_in
from members.responses import redirect, render


def _locale(request: Request) -> str:
    return request.app.state.templates.locale_for(request)


def _choices(request: Request) -> dict[str, Any]:
    locale = _locale(request)
    gettext = translations(locale).gettext
    return {
        "stage_options": [(k, gettext(v)) for k, v in RESETTLEMENT_STAGES.items()],
        "organisation_type_options": [(k, gettext(v)) for k, v in ORGANISATION_TYPES.items()],
        "country_options": list(country_options(locale)),
        "language_options": list(spoken_language_options(locale)),
        "country_name": lambda code: country_name(code, locale),
        "language_name": lambda code: spoken_language_name(code, locale),
        "stage_name": lambda key: gettext(RESETTLEMENT_STAGES.get(key, key)),
        "organisation_type_name": lambda key: gettext(ORGANISATION_TYPES.get(key, key)),
        "level_options": [
            ("everyone", gettext("Everyone, including visitors")),
            ("members", gettext("Signed-in members")),
            ("nobody", gettext("Only me (and the site's administrators)")),
        ],
    }


class DirectoryPageOut(BaseModel):
    items: list[ProfileOut]
    page: int
    pages: int
    total: int


async def directory_page(request: Request) -> Response:
    query = validate(DirectoryQuery, dict(request.query_params))
    page = await list_directory(request.user, query)

    def url(**changes: Any) -> str:
        params = query.params(**changes)
        return "/directory" + ("?" + urlencode(params) if params else "")

    return render(
        request, "directory/index.html", {"page": page, "query": query, "url": url, **_choices(request)}
    )


@api(
    "GET",
    "/api/v1/directory",
    summary="Members of the network, filtered only on details they show you (signed-in members)",
    tag="members",
    response=DirectoryPageOut,
    auth=True,
    query={
        "q": "words in a name, or in a shown organisation, city, expertise or introduction",
        "country": "ISO 3166 code",
        "organisation_type": "kind of organisation",
        "stage": "a stage of resettlement",
        "language": "ISO 639-1 code",
        "expertise": "words in their expertise",
        "page": "page number, from 1",
    },
)
async def api_directory(request: Request) -> Response:
    page = await list_directory(request.user, validate(DirectoryQuery, dict(request.query_params)))
    return json_response(
        DirectoryPageOut(
            items=[c.out() for c in page.cards], page=page.page, pages=page.pages, total=page.total
        )
    )


def _values(user: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "city": user.city,
        "stages": split_list(user.stages),
        "languages": split_list(user.languages),
        "expertise": user.expertise,
    }
    values.update({f"{f}_visibility": level for f, level in visibility_of(user).items()})
    return values


async def settings_directory(request: Request) -> Response:
    user = check_signed_in(request.user)
    ctx: dict[str, Any] = {"section": "directory", "fields": PROFILE_FIELDS, **_choices(request)}
    if request.method == "GET":
        return render(request, "directory/settings.html", {**ctx, "values": _values(user), "member": user})
    raw = await read_input(request)
    # A form sends every field; an unticked list sends nothing, which means "none".
    raw = {"stages": [], "languages": [], **raw}
    try:
        await do_update_directory_profile(request.user, validate(DirectoryProfileIn, raw))
    except ConveneError as exc:
        values = {**raw, "stages": raw["stages"] if isinstance(raw["stages"], list) else [raw["stages"]]}
        values["languages"] = raw["languages"] if isinstance(raw["languages"], list) else [raw["languages"]]
        ctx.update(values=values, errors=exc.fields, member=user)
        return render(request, "directory/settings.html", ctx, status_code=exc.status)
    return redirect("/settings/directory", "saved")


@api(
    "GET",
    "/api/v1/me/directory",
    summary="Your directory details and who sees each detail of your profile",
    tag="me",
    response=DirectoryProfileOut,
    auth=True,
)
async def api_my_directory(request: Request) -> Response:
    return json_response(DirectoryProfileOut.of(check_signed_in(request.user)))


@api(
    "PATCH",
    "/api/v1/me/directory",
    summary="Change your directory details and visibility: send only what changes",
    tag="me",
    body=DirectoryProfileIn,
    response=DirectoryProfileOut,
    auth=True,
)
async def api_update_my_directory(request: Request) -> Response:
    check_signed_in(request.user)
    user = await do_update_directory_profile(request.user, await parse(request, DirectoryProfileIn))
    return json_response(DirectoryProfileOut.of(user))


routes = [
    Route("/directory", directory_page, name="directory"),
    api_directory,
    Route("/settings/directory", settings_directory, methods=["GET", "POST"], name="settings_directory"),
    api_my_directory,
    api_update_my_directory,
]
