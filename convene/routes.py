"""Kernel routes: health check and the OpenAPI document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from convene.api import build_openapi
from convene.db import default_db


async def healthz(request: Request) -> JSONResponse:
    try:
        await default_db().execute_query("SELECT 1")
    except Exception:  # noqa: BLE001  any failure to answer means unhealthy
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "up", "version": request.app.state.version})


async def openapi(request: Request) -> JSONResponse:
    doc = getattr(request.app.state, "openapi", None)
    if doc is None:
        doc = build_openapi(
            list(request.app.routes),
            request.app.state.settings.site_name + " API",
            request.app.state.version,
        )
        request.app.state.openapi = doc
    return JSONResponse(doc)


routes = [
    Route("/healthz", healthz, name="healthz"),
    Route("/api/v1/openapi.json", openapi, name="openapi"),
]
