"""Helpers for the library tests: small but genuine files of every accepted type, built here with
the standard library, and a way to add resources the way a member does (the multipart form)."""

from __future__ import annotations

import asyncio
import io
import re
import struct
import zipfile
import zlib
from typing import Any

from tests.conftest import Browserish, LiveServer, unique

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\x1d\x25\x30")  # filter byte + one pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg() -> bytes:
    """A 1x1 grey baseline JPEG: one-code Huffman tables and an all-zero block."""
    dqt = b"\xff\xdb\x00\x43\x00" + bytes([1] * 64)
    sof = b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00"
    dht_dc = b"\xff\xc4\x00\x14\x00" + bytes([1] + [0] * 15) + b"\x00"
    dht_ac = b"\xff\xc4\x00\x14\x10" + bytes([1] + [0] * 15) + b"\x00"
    sos = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + dqt + sof + dht_dc + dht_ac + sos + b"\x3f" + b"\xff\xd9"


def webp() -> bytes:
    """A 1x1 lossless WebP."""
    vp8l = b"\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
    body = b"WEBP" + b"VP8L" + struct.pack("<I", len(vp8l) - 1) + vp8l
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _zip(entries: list[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (name, data) in enumerate(entries):
            method = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


def _content_types(main: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="{main[0]}" ContentType="{main[1]}"/></Types>'
    ).encode()


def docx(*, macro: bool = False) -> bytes:
    part = (
        "/word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    )
    entries = [
        ("[Content_Types].xml", _content_types(part)),
        ("_rels/.rels", b'<?xml version="1.0"?><Relationships/>'),
        ("word/document.xml", b'<?xml version="1.0"?><w:document xmlns:w="x"><w:body/></w:document>'),
    ]
    if macro:
        entries.append(("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro"))
    return _zip(entries)


def xlsx() -> bytes:
    part = ("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
    return _zip(
        [
            ("[Content_Types].xml", _content_types(part)),
            ("_rels/.rels", b'<?xml version="1.0"?><Relationships/>'),
            ("xl/workbook.xml", b'<?xml version="1.0"?><workbook/>'),
            ("xl/worksheets/sheet1.xml", b'<?xml version="1.0"?><worksheet/>'),
        ]
    )


def odt() -> bytes:
    return _zip(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", b'<?xml version="1.0"?><office:document-content xmlns:office="x"/>'),
            ("META-INF/manifest.xml", b'<?xml version="1.0"?><manifest:manifest xmlns:manifest="x"/>'),
        ],
        stored_first=True,
    )


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 52 + b"\x80\x00\x00\x00" + b"PE\x00\x00" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

LOCATION = re.compile(r"^/library/(\d+)\?done=added$")


async def add_file(
    browser: Browserish, name: str, data: bytes, *, title: str | None = None, **fields: Any
) -> Any:
    """Upload through the HTML form; returns the response (303 to the resource when accepted)."""
    form = {"title": title or f"Resource {unique()}", "csrf_token": await browser.csrf(), **fields}
    return await browser.http.post("/library/new", data=form, files={"file": (name, data)})


async def add_resource(browser: Browserish, name: str = "guide.pdf", data: bytes = PDF, **fields: Any) -> int:
    r = await add_file(browser, name, data, **fields)
    assert r.status_code == 303, r.text
    match = LOCATION.match(r.headers["location"])
    assert match, r.headers["location"]
    return int(match.group(1))


async def add_link(browser: Browserish, **fields: Any) -> dict[str, Any]:
    body = {"title": f"Link {unique()}", "url": "https://example.org/guide", **fields}
    r = await browser.api("POST", "/api/v1/resources", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def in_thread(live: LiveServer, coro: Any) -> Any:
    return await asyncio.to_thread(live.run, coro)
