"""Every library route: the HTML pages and the JSON API under /api/v1."""

from __future__ import annotations

from starlette.routing import BaseRoute

from library.api import routes as api_routes
from library.pages import routes as page_routes

routes: list[BaseRoute] = [*page_routes, *api_routes]
