"""Every forum route: the HTML pages (groups, threads) and the JSON API under /api/v1."""

from __future__ import annotations

from starlette.routing import BaseRoute

from forum.api import routes as api_routes
from forum.depth_api import routes as depth_api_routes
from forum.editing_pages import routes as editing_routes
from forum.group_pages import routes as group_routes
from forum.moderation_api import routes as moderation_api_routes
from forum.moderation_pages import routes as moderation_routes
from forum.notification_pages import routes as notification_routes
from forum.search_pages import routes as search_routes
from forum.thread_pages import routes as thread_routes
from forum.thread_tools_pages import routes as thread_tools_routes

routes: list[BaseRoute] = [*group_routes, *thread_routes, *api_routes]
# Moderation, search and feeds (issue 4).
routes += [*moderation_routes, *moderation_api_routes, *search_routes]
# Editing, thread tools, notifications and unread marks (issue 4).
routes += [*editing_routes, *thread_tools_routes, *notification_routes, *depth_api_routes]
