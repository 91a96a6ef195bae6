"""/api/v1/openapi.json: a valid OpenAPI 3.1 document that lists every /api/v1 route the app serves."""

from __future__ import annotations

import re

import httpx
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from starlette.routing import BaseRoute, Mount, Route

_PARAM = re.compile(r"{([a-zA-Z_]+)(?::[a-z]+)?}")


def api_routes(routes: list[BaseRoute]) -> set[tuple[str, str]]:
    """(method, path in OpenAPI form) for every HTTP route under /api/v1, walking mounts."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, Mount):
            found |= {(m, route.path + p) for m, p in api_routes(list(route.routes))}
        elif isinstance(route, Route) and route.path.startswith("/api/v1/"):
            for method in route.methods or ():
                if method != "HEAD":  # Starlette adds HEAD to every GET
                    found.add((method, _PARAM.sub(r"{\1}", route.path)))
    return found


async def fetch_doc(live) -> dict:
    async with httpx.AsyncClient(base_url=live.url) as client:
        r = await client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    return r.json()


async def test_openapi_document_is_valid_openapi_3_1(live):
    doc = await fetch_doc(live)
    assert doc["openapi"].startswith("3.1")
    validate(doc, cls=OpenAPIV31SpecValidator)


async def test_every_api_route_is_documented_and_nothing_else(live):
    doc = await fetch_doc(live)
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    served = api_routes(list(live.app.routes)) - {("GET", "/api/v1/openapi.json")}
    assert served, "the app serves no /api/v1 routes"
    missing = served - documented
    assert not missing, f"served but missing from the OpenAPI document: {sorted(missing)}"
    extra = documented - served
    assert not extra, f"documented but not served: {sorted(extra)}"


async def test_operations_are_well_formed(live):
    doc = await fetch_doc(live)
    operation_ids = []
    for path, operations in doc["paths"].items():
        declared = set(_PARAM.findall(path))
        for method, op in operations.items():
            operation_ids.append(op["operationId"])
            assert op["summary"], (method, path)
            assert op["tags"], (method, path)
            in_path = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert in_path == declared, (method, path)
            assert "4XX" in op["responses"]
            if method in ("post", "put", "patch") and "requestBody" in op:
                ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                assert ref.removeprefix("#/components/schemas/") in doc["components"]["schemas"]
    assert len(operation_ids) == len(set(operation_ids)), "operationIds must be unique"
