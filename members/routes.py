"""Members' routes: every page and /api/v1 endpoint about accounts, gathered from the topic modules."""

from __future__ import annotations

from starlette.routing import BaseRoute

from members.routes_account import routes as account_routes
from members.routes_admin import routes as admin_routes
from members.routes_settings import routes as settings_routes

routes: list[BaseRoute] = [*account_routes, *settings_routes, *admin_routes]
