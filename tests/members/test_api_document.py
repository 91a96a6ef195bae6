"""Every members endpoint under /api/v1 is described in the generated OpenAPI document."""

from __future__ import annotations

import httpx

MEMBERS_OPERATIONS = {
    ("post", "/api/v1/register"),
    ("post", "/api/v1/session"),
    ("delete", "/api/v1/session"),
    ("post", "/api/v1/password/forgot"),
    ("post", "/api/v1/password/reset"),
    ("get", "/api/v1/me"),
    ("patch", "/api/v1/me"),
    ("post", "/api/v1/me/password"),
    ("get", "/api/v1/me/sessions"),
    ("delete", "/api/v1/me/sessions"),
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{id}"),
    ("get", "/api/v1/members/{username}"),
    ("get", "/api/v1/admin/overview"),
    ("patch", "/api/v1/admin/settings"),
    ("get", "/api/v1/admin/members"),
    ("post", "/api/v1/admin/members/{id}/role"),
    ("post", "/api/v1/admin/members/{id}/approve"),
    ("post", "/api/v1/admin/members/{id}/reject"),
    ("post", "/api/v1/admin/members/{id}/suspend"),
    ("post", "/api/v1/admin/members/{id}/unsuspend"),
    ("get", "/api/v1/admin/invitations"),
    ("post", "/api/v1/admin/invitations"),
    ("delete", "/api/v1/admin/invitations/{id}"),
}


async def test_openapi_describes_the_members_api(live):
    async with httpx.AsyncClient(base_url=live.url) as http:
        doc = (await http.get("/api/v1/openapi.json")).json()
    found = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert MEMBERS_OPERATIONS <= found, MEMBERS_OPERATIONS - found
    register = doc["paths"]["/api/v1/register"]["post"]
    assert register["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/RegisterIn")
    assert set(doc["components"]["schemas"]["RegisterIn"]["required"]) == {"name", "email", "password"}
    me = doc["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"session": []}, {"token": []}]
    created = doc["paths"]["/api/v1/tokens"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"]["$ref"].endswith("/TokenCreatedOut")
