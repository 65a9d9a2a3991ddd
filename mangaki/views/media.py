"""Posters under MEDIA_URL: from MEDIA_ROOT on the local disk, or streamed from the
database storage (every web host serves every poster, whichever host received it)."""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.urls import re_path
from django.utils.http import http_date
from django.views.decorators.http import condition, require_safe
from django.views.static import serve

from mangaki.storage import DatabaseStorage

# Served with their own type; anything else is a download, never rendered by a browser.
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"}


def _stat(request, name: str):
    """The stored file's row, read once per request (validators and view share it)."""
    if not hasattr(request, "_stored_file"):
        row = None
        if isinstance(default_storage, DatabaseStorage):
            try:
                row = default_storage.stat(name)
            except ValueError:  # not a valid name: the view answers 404
                row = None
        request._stored_file = row
    return request._stored_file


def _etag(request, path: str) -> str | None:
    row = _stat(request, path)
    return f'"{row.sha256}"' if row is not None and row.sha256 else None


def _last_modified(request, path: str):
    row = _stat(request, path)
    return row.modified if row is not None else None


@require_safe
@condition(etag_func=_etag, last_modified_func=_last_modified)
def stored_media(request, path: str):
    row = _stat(request, path)
    if row is None:
        raise Http404("no such file")
    try:
        handle = default_storage.open(path, "rb")
    except FileNotFoundError:
        raise Http404("no such file") from None
    content_type = mimetypes.guess_type(path)[0] or ""
    inline = content_type in INLINE_TYPES
    response = FileResponse(
        handle,
        content_type=content_type if inline else "application/octet-stream",
        as_attachment=not inline,
        filename=path.rsplit("/", 1)[-1],
    )
    response["Content-Length"] = str(row.size)
    response["Cache-Control"] = f"public, max-age={settings.MEDIA_MAX_AGE}"
    response["ETag"] = f'"{row.sha256}"'
    response["Last-Modified"] = http_date(row.modified.timestamp())
    response["X-Content-Type-Options"] = "nosniff"
    # An uploaded file is never a page of this site, whatever its content.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def media_patterns() -> list:
    """The route under MEDIA_URL, if this site serves media itself (SERVE_MEDIA)."""
    if not settings.SERVE_MEDIA:
        return []
    if settings.FILE_STORAGE == "database":
        return [re_path(r"^media/(?P<path>.+)$", stored_media, name="media")]
    if settings.FILE_STORAGE == "local":
        # Self-hosted installs serve uploaded posters themselves; a proxy may take this over.
        return [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]
    return []  # S3: posters are linked at the bucket's own URL
