"""Finding and following: the search page and GET /api/v1/search, and the Atom feeds of public
groups and their threads. The services (forum/search.py, forum/feeds.py) decide what anyone sees."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from convene.api import api, json_response, validate
from convene.errors import Invalid
from forum.feeds import ATOM_TYPE, get_group_feed, get_thread_feed
from forum.group_pages import render
from forum.search import PER_PAGE, SearchPage, search_posts
from forum.search_query import SORT_DATE, SORT_RELEVANCE, SearchHitOut, SearchQuery, SearchResultsOut
from forum.service import list_my_groups

SEARCH_QUERY = {
    "q": 'what to search for: words, "a phrase", prefix*, -leave-out',
    "group": "only this group (its address)",
    "author": "only posts by this username",
    "since": "from this day (YYYY-MM-DD, UTC)",
    "until": "up to and including this day",
    "sort": "relevance (default) or date",
    "page": "page number, from 1",
}


async def search_page(request: Request) -> Response:
    raw = dict(request.query_params)
    values: dict[str, Any] = {k: raw.get(k, "") for k in ("q", "group", "author", "since", "until", "sort")}
    ctx: dict[str, Any] = {"values": values, "results": None, "errors": {}, "groups": []}
    mine = await list_my_groups(request.user)
    ctx["groups"] = [a.group for a in mine if a.is_member]
    if not raw.get("q", "").strip() and not any(values[k] for k in ("group", "author", "since", "until")):
        return render(request, "forum/search.html", ctx)  # the empty form, before any search
    try:
        query = validate(SearchQuery, raw)
    except Invalid as exc:
        ctx["errors"] = exc.fields
        return render(request, "forum/search.html", ctx, exc.status)
    results = await search_posts(request.user, query)

    def url(**changes: Any) -> str:
        return "/search?" + urlencode(query.params(**changes))

    ctx.update(results=results, query=query, url=url, sorts=(SORT_RELEVANCE, SORT_DATE))
    return render(request, "forum/search.html", ctx)


def _results_out(results: SearchPage) -> SearchResultsOut:
    return SearchResultsOut(
        q=results.query.q,
        sort=results.query.sort,
        hits=[
            SearchHitOut(
                post_id=h.post_id,
                number=h.number,
                thread_id=h.thread_id,
                thread_title=h.thread_title,
                title_html=str(h.title_html),
                snippet_html=str(h.snippet_html),
                group=h.group_slug,
                group_name=h.group_name,
                author_username=h.author_username,
                author_name=h.author_name,
                created_at=h.created_at,
                url=h.url,
            )
            for h in results.hits
        ],
        page=results.page,
        pages=results.pages,
        per_page=PER_PAGE,
        total=results.total,
    )


@api("GET", "/api/v1/search", summary="Search the threads and posts you may read", tag="Forum",
     response=SearchResultsOut, query=SEARCH_QUERY)  # fmt: skip
async def api_search(request: Request) -> JSONResponse:
    query = validate(SearchQuery, dict(request.query_params))
    return json_response(_results_out(await search_posts(request.user, query)))


# ---- Feeds ----


def _atom(body: bytes) -> Response:
    # Public content only, so shared caches may keep it for a few minutes.
    headers = {"Cache-Control": "public, max-age=300"}
    return Response(body, media_type=f"{ATOM_TYPE}; charset=utf-8", headers=headers)


async def group_feed(request: Request) -> Response:
    settings = request.app.state.settings
    return _atom(
        await get_group_feed(
            request.path_params["slug"], base_url=settings.base_url, site_name=settings.site_name
        )
    )


async def thread_feed(request: Request) -> Response:
    settings = request.app.state.settings
    return _atom(
        await get_thread_feed(
            request.path_params["slug"],
            request.path_params["thread_id"],
            base_url=settings.base_url,
            site_name=settings.site_name,
        )
    )


routes = [
    Route("/search", search_page, name="search"),
    api_search,
    Route("/g/{slug}/feed.atom", group_feed, name="group_feed"),
    Route("/g/{slug}/t/{thread_id:int}/feed.atom", thread_feed, name="thread_feed"),
]
