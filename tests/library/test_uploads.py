"""Uploads are judged by their content: every accepted type goes in and comes back out with safe
headers; programs, web pages, SVG, disguised files and oversized files are refused."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from library.models import Resource
from tests.conftest import Browserish, make_user, signed_in, start_server, unique
from tests.library.conftest import (
    ELF,
    HTML,
    PDF,
    PE,
    SVG,
    add_file,
    add_resource,
    docx,
    in_thread,
    jpeg,
    odt,
    png,
    webp,
    xlsx,
)

ACCEPTED = [
    ("report.pdf", PDF, "application/pdf", False),
    (
        "handbook.docx",
        docx(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        False,
    ),
    ("arrivals.xlsx", xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
    ("leaflet.odt", odt(), "application/vnd.oasis.opendocument.text", False),
    ("map.png", png(), "image/png", True),
    ("photo.jpg", jpeg(), "image/jpeg", True),
    ("poster.webp", webp(), "image/webp", True),
]


@pytest.mark.parametrize(("name", "data", "content_type", "inline"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
async def test_each_accepted_type_is_stored_by_hash_and_downloaded_safely(
    live, name, data, content_type, inline
):
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        resource_id = await add_resource(browser, name, data, audience="members", languages="en")
        page = await browser.get(f"/library/{resource_id}")
        assert page.status_code == 200 and name in page.text

        download = await browser.get(f"/library/{resource_id}/file")
        assert download.status_code == 200
        assert download.content == data
        assert download.headers["content-type"] == content_type
        assert download.headers["x-content-type-options"] == "nosniff"
        csp = download.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
        disposition = download.headers["content-disposition"]
        assert disposition.startswith("inline;" if inline else "attachment;")
        assert f"filename*=UTF-8''{name}" in disposition

    sha = hashlib.sha256(data).hexdigest()
    stored = Path(live.settings.data_dir) / "uploads" / sha[:2] / sha
    assert stored.read_bytes() == data
    row = await in_thread(live, lambda: Resource.get(id=resource_id))
    assert row.file_sha256 == sha and row.file_size == len(data)
    # Outside the web root: /static serves nothing of it.
    async with Browserish(live.url) as anonymous:
        assert (await anonymous.get(f"/static/../uploads/{sha[:2]}/{sha}")).status_code == 404


async def test_download_name_is_cleaned_and_sent_as_utf8(live):
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        resource_id = await add_resource(browser, "../../etc/Guide für Ankunft.PDF", PDF)
        r = await browser.get(f"/library/{resource_id}/file")
        disposition = r.headers["content-disposition"]
        assert "filename*=UTF-8''Guide%20f%C3%BCr%20Ankunft.pdf" in disposition
        assert 'filename="Guide fur Ankunft.pdf"' in disposition
        assert "/" not in disposition.split("filename*=")[1] and ".." not in disposition


REFUSED = [
    ("ELF program named .pdf", "manual.pdf", ELF, "program"),
    ("Windows program named .docx", "form.docx", PE, "program"),
    ("HTML page", "page.html", HTML, "cannot be uploaded"),
    ("HTML named .pdf", "page.pdf", HTML, "web page"),
    ("SVG image", "logo.svg", SVG, "cannot be uploaded"),
    ("SVG named .png", "logo.png", SVG, "SVG"),
    ("JavaScript", "script.js", b"alert(1)", "cannot be uploaded"),
    ("PNG named .pdf", "picture.pdf", png(), "content is a PNG image"),
    ("Word with macros", "macro.docx", docx(macro=True), "macro"),
    ("Empty", "empty.pdf", b"", "empty"),
]


@pytest.mark.parametrize(("label", "name", "data", "says"), REFUSED, ids=[r[0] for r in REFUSED])
async def test_disguised_and_dangerous_files_are_refused_with_422(live, label, name, data, says):
    member = await make_user(live)
    title = f"Refused {unique()}"
    async with await signed_in(live, member) as browser:
        page = await add_file(browser, name, data, title=title)
        assert page.status_code == 422, label
        assert says in page.text and 'aria-invalid="true"' in page.text
        assert title in page.text  # the form keeps what was typed

        csrf = await browser.csrf()
        api = await browser.http.post(
            "/api/v1/resources",
            data={"title": title},
            files={"file": (name, data)},
            headers={"x-csrf-token": csrf},
        )
        assert api.status_code == 422
        assert says in api.json()["error"]["fields"]["file"]
    assert not await in_thread(live, lambda: Resource.filter(title=title).exists())
    leftovers = Path(live.settings.data_dir) / "uploads" / "tmp"
    assert not leftovers.exists() or not any(leftovers.iterdir())


def _declared_upload_status(server, length: int, path: str = "/library/new") -> int:
    """Announce a body of `length` bytes and send none: the answer must not wait for it."""
    parts = urlsplit(server.url)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: application/json\r\n"
        f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {length}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        sock.sendall(head.encode("latin-1"))
        answer = sock.recv(65536)
    return int(answer.split(b" ", 2)[1])


async def test_oversized_uploads_get_413(tmp_path, smtp):
    server = start_server(tmp_path, smtp_port=smtp.port, max_upload_bytes=64 * 1024)
    try:
        member = await make_user(server)
        async with await signed_in(server, member) as browser:
            # Just over the file limit: the body passes the request limit, the file check refuses it.
            just_over = PDF[:-7] + b" " * (64 * 1024) + b"\n%%EOF\n"
            r = await add_file(browser, "big.pdf", just_over)
            assert r.status_code == 413 and "too large" in r.text
            # Far over: refused from the declared length, before the body is sent.
            assert _declared_upload_status(server, 600 * 1024) == 413
            assert _declared_upload_status(server, 600 * 1024, path="/api/v1/resources") == 413
            # Within the limit it is fine.
            assert (await add_file(browser, "fine.pdf", PDF)).status_code == 303
        assert not await in_thread(server, lambda: Resource.filter(file_name="big.pdf").exists())
    finally:
        server.stop()


async def test_a_large_upload_spills_to_disk_and_arrives_intact(live):
    """Over the in-memory spool (1 MB), the body is checked for its CSRF token and handed on from a
    temporary file: the stored file is byte for byte what was sent, and a form without the token
    is still refused."""
    from convene.security import SpooledBody

    member = await make_user(live)
    filler = bytes(range(256)) * (3 * SpooledBody.SPOOL_BYTES // 256)  # 3 MB of every byte value
    big = PDF[:-7] + b"\n%" + filler + b"\n%%EOF\n"
    async with await signed_in(live, member) as browser:
        resource_id = await add_resource(browser, "big-handbook.pdf", big, audience="members")
        download = await browser.get(f"/library/{resource_id}/file")
        assert download.status_code == 200 and download.content == big

        forged = await browser.http.post(
            "/library/new", data={"title": "No token"}, files={"file": ("x.pdf", big)}
        )
        assert forged.status_code == 403
    sha = hashlib.sha256(big).hexdigest()
    assert (Path(live.settings.data_dir) / "uploads" / sha[:2] / sha).read_bytes() == big


async def test_links_must_be_http_or_https(live):
    member = await make_user(live)
    async with await signed_in(live, member) as browser:
        for bad in ("javascript:alert(1)", "ftp://example.org/x", "data:text/html,hi", "https://"):
            r = await browser.api("POST", "/api/v1/resources", json={"title": "A link", "url": bad})
            assert r.status_code == 422 and "url" in r.json()["error"]["fields"], bad
        r = await browser.api("POST", "/api/v1/resources", json={"title": "Neither"})
        assert r.status_code == 422 and "file" in r.json()["error"]["fields"]
        ok = await browser.api(
            "POST",
            "/api/v1/resources",
            json={"title": "UNHCR handbook", "url": "https://www.unhcr.org/handbook"},
        )
        assert ok.status_code == 201 and ok.json()["kind"] == "link" and ok.json()["download_url"] is None
        page = await browser.get(f"/library/{ok.json()['id']}")
        assert 'href="https://www.unhcr.org/handbook" rel="nofollow noopener noreferrer ugc"' in page.text
        assert (await browser.get(f"/library/{ok.json()['id']}/file")).status_code == 404
