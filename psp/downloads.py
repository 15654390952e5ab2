"""Private downloads: every view that hands out a stored file (evidence, reports) checks
access first and then answers through `private_download`, so all of them send the same
headers. Nothing in the store is public.

With PSP_DOWNLOADS=stream (the default) the file streams through the app in chunks. With
PSP_DOWNLOADS=signed-url and an object store, the app answers with a redirect to a URL
signed for PSP_SIGNED_URL_SECONDS that makes the store send the same Content-Disposition,
Content-Type and Cache-Control; the store cannot add the sandbox and nosniff headers
itself, which is why the attachment disposition matters there.
"""

from __future__ import annotations

import logging
from typing import IO, Any, cast

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.http import content_disposition_header

from psp import storage as stored

logger = logging.getLogger(__name__)

CACHE_CONTROL = "private, no-store"


def _sandboxed(response: HttpResponseBase) -> HttpResponseBase:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = CACHE_CONTROL
    return response


def private_download(
    request: HttpRequest,
    file: FieldFile,
    *,
    filename: str,
    content_type: str,
    size: int | None = None,
) -> HttpResponseBase:
    """The stored file as an attachment called `filename`. Call only after the access
    check: the response (or the URL it redirects to) hands out the content."""
    storage, name = file.storage, str(file.name)
    disposition = content_disposition_header(True, filename) or "attachment"
    if settings.PSP_DOWNLOADS == "signed-url" and stored.is_object_store(storage):
        url = cast(Any, storage).url(
            name,
            parameters={
                "ResponseContentDisposition": disposition,
                "ResponseContentType": content_type,
                "ResponseCacheControl": CACHE_CONTROL,
            },
            expire=settings.PSP_SIGNED_URL_SECONDS,
        )
        return _sandboxed(HttpResponseRedirect(url))
    try:
        stream = stored.open_stream(name, storage)
    except stored.storage_errors():
        logger.exception("Download of %s: file store unreachable", name)
        message = (
            "The file store cannot be reached. Nothing is lost: try the download again in a "
            "few minutes."
        )
        return render(request, "psp/storage_unavailable.html", {"message": message}, status=503)
    return attachment(stream, filename=filename, content_type=content_type, size=size)


def attachment(
    stream: IO[bytes], *, filename: str, content_type: str, size: int | None = None
) -> HttpResponseBase:
    """An open stream sent in chunks as an attachment with the private-download headers
    (also for files made for one request, such as the subject access archive); the
    stream is closed when the response is, however far it was read."""
    response = FileResponse(
        stream, as_attachment=True, filename=filename, content_type=content_type
    )
    response.block_size = stored.CHUNK_BYTES
    if size is not None:
        response["Content-Length"] = str(size)
    return _sandboxed(response)
