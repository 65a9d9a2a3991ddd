"""Download posters for works that have a poster URL but no stored poster.

Each download has a timeout and a size limit, must announce an image content type and
pass Pillow's verification; server errors and timeouts are retried with exponential
backoff, and requests to one host are spaced by a politeness delay. The URL comes from a
catalogue file, so it goes through :mod:`mangaki.security.outbound`: public addresses on
the web's ports only, checked again at each redirect. A refused poster records its reason
in ``Work.poster_error`` and is not tried again by the batch job. Saving ``Work.poster``
queues tagging (mangaki.signals).

Example::

    fetch_poster(work.pk)            # -> "saved", "skipped" or "error: <why>"
    fetch_missing_posters(limit=50)  # -> Counter of outcomes
"""

from __future__ import annotations

import http.client
import io
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.files.base import ContentFile
from PIL import Image, UnidentifiedImageError

from mangaki.models import Work
from mangaki.security.outbound import BlockedURL, open_url

logger = logging.getLogger(__name__)

_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float = 10.0
    max_bytes: int = 5 * 1024 * 1024
    retries: int = 3
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    host_delay: float = 1.0  # minimum seconds between two requests to the same host
    user_agent: str = "Mangaki poster fetcher (+https://mangaki.fr)"


class PosterFetchError(Exception):
    """A poster that will not be stored; ``transient`` ones are worth retrying."""

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class _HostClock:
    """Last request time per host, shared by the threads of one process."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str, delay: float) -> None:
        with self._lock:
            now = time.monotonic()
            ready = self._last.get(host, 0.0) + delay
            self._last[host] = max(now, ready)
        if ready > now:
            time.sleep(ready - now)


HOSTS = _HostClock()


def _read(response, policy: FetchPolicy) -> bytes:
    """The body, up to ``max_bytes + 1``, within the timeout as a whole (a server sending a
    byte now and then would otherwise hold the fetcher for hours)."""
    deadline = time.monotonic() + policy.timeout
    chunks, size = [], 0
    while size <= policy.max_bytes:
        if time.monotonic() > deadline:
            raise TimeoutError("the download took longer than the timeout")
        chunk = response.read(min(65536, policy.max_bytes + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def download(url: str, policy: FetchPolicy) -> tuple[bytes, str]:
    """(image bytes, file extension) of one URL, or PosterFetchError."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise PosterFetchError(f"unsupported URL scheme in {url!r}")
    HOSTS.wait(urlsplit(url).netloc, policy.host_delay)
    try:
        with open_url(
            url, timeout=policy.timeout, headers={"User-Agent": policy.user_agent}
        ) as response:
            if not 200 <= response.status < 300:
                raise PosterFetchError(
                    f"HTTP {response.status}",
                    transient=response.status >= 500 or response.status == 429,
                )
            kind = response.headers.get_content_type()
            if not kind.startswith("image/"):
                raise PosterFetchError(f"not an image: content type {kind}")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > policy.max_bytes:
                raise PosterFetchError(f"too big: {int(length)} bytes")
            data = _read(response, policy)
    except BlockedURL as error:
        raise PosterFetchError(f"refused: {error}") from None
    except (OSError, http.client.HTTPException) as error:  # timeouts, resets, bad replies
        raise PosterFetchError(f"network: {error}", transient=True) from None
    if len(data) > policy.max_bytes:
        raise PosterFetchError(f"too big: more than {policy.max_bytes} bytes")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            fmt = image.format
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise PosterFetchError(f"not a valid image ({error})") from None
    if fmt not in _FORMATS:
        raise PosterFetchError(f"unsupported image format {fmt}")
    return data, _FORMATS[fmt]


def download_with_retries(url: str, policy: FetchPolicy) -> tuple[bytes, str]:
    for attempt in range(policy.retries + 1):
        try:
            return download(url, policy)
        except PosterFetchError as error:
            if not error.transient or attempt == policy.retries:
                raise
            wait = policy.backoff * 2**attempt
            logger.info("poster %s: %s, retrying in %.1fs", url, error, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")


def fetch_poster(work_id: int, policy: FetchPolicy | None = None, force: bool = False) -> str:
    """Download and store one work's poster; idempotent (a stored poster is kept)."""
    policy = policy or FetchPolicy()
    work = Work.objects.filter(pk=work_id).first()
    if work is None or not work.poster_url or (work.poster and not force):
        return "skipped"
    try:
        data, ext = download_with_retries(work.poster_url, policy)
    except PosterFetchError as error:
        logger.warning("poster of work %s refused: %s", work_id, error)
        Work.objects.filter(pk=work_id).update(poster_error=f"fetch: {error}"[:300])
        return f"error: {error}"
    work.poster.save(f"{work.pk}.{ext}", ContentFile(data), save=True)
    return "saved"


def missing_poster_ids(limit: int | None = None) -> list[int]:
    """Works with a poster URL, no stored poster and no earlier refusal."""
    query = Work.objects.exclude(poster_url="").filter(poster="", poster_error="").order_by("pk")
    ids = query.values_list("pk", flat=True)
    return list(ids[:limit] if limit else ids)


def fetch_missing_posters(limit: int | None = None, policy: FetchPolicy | None = None) -> Counter:
    """Fetch the missing posters one by one; returns how many were saved, refused..."""
    outcomes: Counter = Counter()
    for work_id in missing_poster_ids(limit):
        outcome = fetch_poster(work_id, policy)
        outcomes[outcome.split(":")[0]] += 1
    return outcomes
