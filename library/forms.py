"""Reading an upload request: the form fields and at most one file, streamed to disk and checked.

The body has already passed RequestGuard with the upload limit (`is_upload_path`); Starlette's
multipart parser spools the file part to a temporary file, and FileStore.receive copies it to the
upload folder in chunks while hashing, so a large file is never held in memory twice.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from convene.api import form_to_dict
from convene.errors import BadRequest
from library.files import FileStore, ReceivedFile, store_of

# Room for the other form fields (title, description...) next to the file itself.
FORM_OVERHEAD_BYTES = 256 * 1024
_UPLOAD_PATHS = re.compile(r"^/(library/new|library/\d+/edit|api/v1/resources|api/v1/resources/\d+/file)$")


def is_upload_path(path: str) -> bool:
    """Paths whose request bodies may be as large as a library upload (convene/app.py)."""
    return bool(_UPLOAD_PATHS.match(path))


def upload_body_limit(settings: Any, path: str) -> int | None:
    return settings.max_upload_bytes + FORM_OVERHEAD_BYTES if is_upload_path(path) else None


async def read_upload_form(request: Request) -> tuple[dict[str, Any], UploadFile | None]:
    """The fields of a multipart (or urlencoded) form, and its "file" part if one was chosen."""
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        raise BadRequest("Send the resource as a form (multipart/form-data), or as JSON for a link.")
    form = await request.form(max_files=1, max_fields=100)
    upload = form.get("file")
    fields = form_to_dict(form)
    fields.pop("file", None)
    if isinstance(upload, UploadFile) and upload.filename:
        return fields, upload
    return fields, None


async def receive_upload(request: Request, upload: UploadFile | None) -> ReceivedFile | None:
    """Copy the chosen file to the upload folder and check its content (or raise)."""
    if upload is None:
        return None
    settings = request.app.state.settings
    store: FileStore = store_of(settings)
    try:
        return await store.receive(upload.file, upload.filename or "", settings.max_upload_bytes)
    finally:
        await upload.close()


def closing_form(
    endpoint: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Close the parsed form (and its spooled file) whatever happens: Starlette leaves that to us,
    and a refused upload must not leave a temporary file open."""

    @functools.wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        try:
            return await endpoint(request)
        finally:
            await request.close()

    return wrapper
