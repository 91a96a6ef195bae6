"""Every forum route: the HTML pages (groups, threads) and the JSON API under /api/v1."""

from __future__ import annotations

from starlette.routing import BaseRoute

from forum.api import routes as api_routes
from forum.group_pages import routes as group_routes
from forum.thread_pages import routes as thread_routes

routes: list[BaseRoute] = [*group_routes, *thread_routes, *api_routes]
