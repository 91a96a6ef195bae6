"""Every consultations route: the HTML pages and the JSON API under /api/v1."""

from __future__ import annotations

from starlette.routing import BaseRoute

from consultations.api import routes as api_routes
from consultations.api_participation import routes as participation_api_routes
from consultations.api_structure import routes as structure_api_routes
from consultations.live_pages import routes as live_routes
from consultations.manage_pages import routes as manage_routes
from consultations.pages import routes as page_routes

# /consultations/new is listed before /consultations/{id} patterns (which only match integers anyway).
routes: list[BaseRoute] = [
    *manage_routes,
    *page_routes,
    *live_routes,
    *api_routes,
    *structure_api_routes,
    *participation_api_routes,
]
