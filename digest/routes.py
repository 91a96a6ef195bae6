"""Every digest route: email settings, one-click unsubscribe, and the admin's email pages."""

from __future__ import annotations

from starlette.routing import BaseRoute

from digest.routes_admin import routes as admin_routes
from digest.routes_settings import routes as settings_routes
from digest.routes_unsubscribe import is_unsubscribe_path
from digest.routes_unsubscribe import routes as unsubscribe_routes

routes: list[BaseRoute] = [*settings_routes, *unsubscribe_routes, *admin_routes]

__all__ = ["is_unsubscribe_path", "routes"]
