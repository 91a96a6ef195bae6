"""Every direct-message route: the HTML pages and the JSON API under /api/v1."""

from __future__ import annotations

from starlette.routing import BaseRoute

from messages.api import routes as api_routes
from messages.pages import routes as page_routes

routes: list[BaseRoute] = [*page_routes, *api_routes]
