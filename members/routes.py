"""Members' routes: every page and /api/v1 endpoint about accounts, gathered from the topic modules."""

from __future__ import annotations

from starlette.routing import BaseRoute

from members.routes_account import routes as account_routes
from members.routes_admin import routes as admin_routes
from members.routes_directory import routes as directory_routes
from members.routes_privacy import routes as privacy_routes
from members.routes_settings import routes as settings_routes

# Privacy routes come before the admin ones: /admin/members/{id}/erase is more specific than the
# admin area's /admin/members/{id}/{action}.
routes: list[BaseRoute] = [
    *account_routes,
    *settings_routes,
    *directory_routes,
    *privacy_routes,
    *admin_routes,
]
