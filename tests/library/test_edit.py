"""Editing a resource through its form: fields, lists that are unticked, replacing the file."""

from __future__ import annotations

from tests.conftest import make_user, signed_in
from tests.library.conftest import PDF, add_resource, png


async def test_edit_form_changes_fields_and_replaces_the_file(live):
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        resource_id = await add_resource(
            browser,
            "old.pdf",
            PDF,
            title="First title",
            stages=["health", "travel"],
            languages=["fr"],
            tags="a, b",
        )
        form = await browser.get("/library/new")
        assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
        page = await browser.get(f"/library/{resource_id}/edit")
        assert page.status_code == 200 and 'value="First title"' in page.text
        assert 'value="health" checked' in page.text and '<option value="fr" selected>' in page.text

        new_pdf = PDF.replace(b"%%EOF", b"% second version\n%%EOF")
        data = {"title": "Second title", "tags": "c", "year": "2024", "last_reviewed": "2025-01-31",
                "csrf_token": await browser.csrf()}  # fmt: skip
        r = await browser.http.post(
            f"/library/{resource_id}/edit", data=data, files={"file": ("new version.pdf", new_pdf)}
        )
        assert r.status_code == 303, r.text
        shown = (await browser.get(f"/api/v1/resources/{resource_id}")).json()
        assert shown["title"] == "Second title" and shown["stages"] == [] and shown["languages"] == []
        assert shown["tags"] == ["c"] and shown["year"] == 2024 and shown["last_reviewed"] == "2025-01-31"
        assert shown["file_name"] == "new version.pdf"
        assert (await browser.get(f"/library/{resource_id}/file")).content == new_pdf

        bad = await browser.http.post(
            f"/library/{resource_id}/edit",
            data={"title": "", "csrf_token": await browser.csrf()},
            files={"file": ("pic.pdf", png())},
        )
        assert bad.status_code == 422
        assert "Give the resource a title." in bad.text or "content is a PNG image" in bad.text
        assert (await browser.get(f"/api/v1/resources/{resource_id}")).json()["title"] == "Second title"
