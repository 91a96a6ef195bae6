"""Uploaded files: what we accept (judged by content, not by name), and where they are kept.

A file is accepted only if its bytes are one of a few document and image formats and its name's
extension agrees with them: a PDF header and trailer; a ZIP whose [Content_Types].xml declares a
Word or Excel main part (and carries no macros), or whose first entry `mimetype` says
OpenDocument text; PNG, JPEG or WebP signatures. Programs, web pages, SVG, scripts and anything
else are refused. Accepted files are stored under the sha256 of their content in
`<data_dir>/uploads/`, outside the web root, and only ever served as downloads with their type
fixed by us (library/pages.py), never executed or rendered as HTML.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote

from convene.errors import Invalid, TooLarge

CHUNK = 64 * 1024
# Parsing a ZIP's directory is bounded, and a declared size this large is refused outright: a
# document of a few MB does not unpack to gigabytes.
MAX_ZIP_ENTRIES = 5000
MAX_ZIP_UNPACKED = 1024 * 1024 * 1024
MAX_CONTENT_TYPES_BYTES = 1024 * 1024


@dataclass(frozen=True)
class FileType:
    key: str
    content_type: str
    extensions: tuple[str, ...]
    label: str
    inline: bool  # images may be shown in the page; documents are always downloaded


FILE_TYPES: dict[str, FileType] = {
    t.key: t
    for t in (
        FileType("pdf", "application/pdf", (".pdf",), "PDF document", False),
        FileType(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
            "Word document (DOCX)",
            False,
        ),
        FileType(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
            "Excel spreadsheet (XLSX)",
            False,
        ),
        FileType(
            "odt", "application/vnd.oasis.opendocument.text", (".odt",), "OpenDocument text (ODT)", False
        ),
        FileType("png", "image/png", (".png",), "PNG image", True),
        FileType("jpeg", "image/jpeg", (".jpg", ".jpeg"), "JPEG image", True),
        FileType("webp", "image/webp", (".webp",), "WebP image", True),
    )
}
TYPE_BY_EXTENSION = {ext: t for t in FILE_TYPES.values() for ext in t.extensions}
ACCEPTED = "PDF, Word (.docx), Excel (.xlsx), OpenDocument text (.odt), PNG, JPEG or WebP"
ACCEPT_ATTRIBUTE = ",".join(sorted(TYPE_BY_EXTENSION))

_DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_XLSX_MAIN = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def _zip_type(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > MAX_ZIP_UNPACKED:
                return None
            names = {e.filename for e in entries}
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                return None  # an Office file with macros: a program in disguise
            # OpenDocument: the first entry is "mimetype", stored, holding the exact type.
            if entries and entries[0].filename == "mimetype":
                with archive.open(entries[0]) as fh:
                    declared = fh.read(200).strip()
                ok = declared == _ODT_MIMETYPE and "content.xml" in names
                return "odt" if ok else None
            if "[Content_Types].xml" not in names:
                return None
            with archive.open("[Content_Types].xml") as fh:
                types = fh.read(MAX_CONTENT_TYPES_BYTES)
            if _DOCX_MAIN in types and "word/document.xml" in names:
                return "docx"
            if _XLSX_MAIN in types and "xl/workbook.xml" in names:
                return "xlsx"
            return None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, KeyError, RuntimeError, ValueError):
        return None


def _tail(path: Path, size: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        length = fh.tell()
        fh.seek(max(0, length - size))
        return fh.read()


def detect_type(path: Path) -> str | None:
    """The key of the accepted format this file's content is, or None."""
    with path.open("rb") as fh:
        head = fh.read(64)
    if head.startswith(b"%PDF-") and b"%%EOF" in _tail(path, 2048):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP" and head[12:16] in (b"VP8 ", b"VP8L", b"VP8X"):
        return "webp"
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(path)
    return None


_TEXTUAL = re.compile(rb"^\s*(<!doctype html|<html|<head|<body|<script|<svg|<\?xml|<!--)", re.IGNORECASE)


def describe_refused(path: Path) -> str:
    """What a refused file looks like, for a message a person can act on."""
    with path.open("rb") as fh:
        head = fh.read(512)
    if head.startswith((b"\x7fELF", b"MZ", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")):
        return "This file is a program. Programs cannot be uploaded to the library."
    if _TEXTUAL.match(head.lstrip(b"\xef\xbb\xbf")):
        if b"<svg" in head.lower():
            return "This file is an SVG image, which can carry scripts. Upload it as PNG or PDF instead."
        return "This file is a web page (HTML or XML). Upload it as PDF instead."
    if head.startswith(b"PK\x03\x04"):
        return (
            "This archive is not a Word, Excel or OpenDocument text file we can accept "
            "(macro-enabled documents are refused too)."
        )
    return f"This file's content is not a format we accept. Upload {ACCEPTED}."


def clean_file_name(name: str, file_type: FileType) -> str:
    """The member's file name without any folder, control characters or odd extension: what the
    download is saved as. Its extension always matches the content's type."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C" and ch not in '"*:<>?|')
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    ext = "." + ext.lower()
    if ext not in file_type.extensions:
        ext = file_type.extensions[0]
    stem = " ".join(stem.split()).strip(" .")[:150] or "resource"
    return stem + ext


def content_disposition(file_name: str, inline: bool) -> str:
    """RFC 6266: an ASCII fallback name for old clients and the real name as UTF-8 (filename*)."""
    ascii_name = unicodedata.normalize("NFKD", file_name).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9._ -]+", "_", ascii_name).strip() or "file"
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, round(size / 1024))} KB"


@dataclass
class ReceivedFile:
    """An upload written to a temporary file, hashed, its type checked; not yet stored."""

    temp_path: Path
    sha256: str
    size: int
    file_type: FileType
    file_name: str


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FileStore:
    """Files by content: `<root>/ab/abcdef...`. The same content uploaded twice is kept once."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path_for(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError("not a sha256")
        return self.root / sha256[:2] / sha256

    def _copy(self, source: IO[bytes], max_bytes: int) -> tuple[Path, str, int]:
        # Runs on a worker thread: reading and hashing megabytes must not stall the event loop.
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        temp = tmp_dir / uuid.uuid4().hex
        digest, size = hashlib.sha256(), 0
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                source.seek(0)
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"This file is too large: the limit is {human_size(max_bytes)}.")
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return temp, digest.hexdigest(), size

    async def receive(self, source: IO[bytes], name: str, max_bytes: int) -> ReceivedFile:
        """Stream an upload to disk and check it. Raises TooLarge (413) or Invalid (422, on the
        "file" field) and leaves nothing behind when the file is refused."""
        extension = "." + name.rpartition(".")[2].lower() if "." in name else ""
        claimed = TYPE_BY_EXTENSION.get(extension)
        if claimed is None:
            shown = extension or "without an extension"
            raise Invalid(fields={"file": f"Files {shown} cannot be uploaded. Upload {ACCEPTED}."})
        temp, sha256, size = await asyncio.to_thread(self._copy, source, max_bytes)
        try:
            if size == 0:
                raise Invalid(fields={"file": "This file is empty."})
            found = await asyncio.to_thread(detect_type, temp)
            if found is None:
                raise Invalid(fields={"file": await asyncio.to_thread(describe_refused, temp)})
            if found != claimed.key:
                actual = FILE_TYPES[found]
                raise Invalid(
                    fields={
                        "file": f"This file is named as a {claimed.label}, but its content is a "
                        f"{actual.label}. Rename it to end in {actual.extensions[0]}, "
                        "or upload the right file."
                    }
                )
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return ReceivedFile(temp, sha256, size, claimed, clean_file_name(name, claimed))

    def keep(self, received: ReceivedFile) -> Path:
        """Move a checked upload to its content-addressed place (idempotent)."""
        final = self.path_for(received.sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            received.temp_path.unlink(missing_ok=True)
        else:
            os.replace(received.temp_path, final)
            os.chmod(final, 0o640)
        return final

    def discard(self, received: ReceivedFile) -> None:
        received.temp_path.unlink(missing_ok=True)

    def remove(self, sha256: str) -> None:
        """Delete a stored file. Callers first check that no resource refers to it any more."""
        if sha256 and _SHA256.match(sha256):
            self.path_for(sha256).unlink(missing_ok=True)


def store_of(settings: object) -> FileStore:
    return FileStore(Path(settings.data_dir) / "uploads")  # type: ignore[attr-defined]
