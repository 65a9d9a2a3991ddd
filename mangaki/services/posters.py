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
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape

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


# The drawn placeholder of a work without a poster (or whose poster fails to load): its
# title on a background coloured by its genres, so that cards of posterless works can be
# told apart at a glance. Drawn as SVG and inlined as a data: address (the site's
# Content-Security-Policy allows data: images), a kilobyte a card before compression.

PLACEHOLDER_SIZE = (225, 320)
_LINE_CHARS = 15  # characters a title line holds at the placeholder's font size
_MAX_LINES = 5


def genre_hue(name: str) -> int:
    """The hue (0-359) of a genre: the same in every process and on every page, so that
    "Romance" has one colour wherever it is drawn.

    Example::

        >>> genre_hue("Romance") == genre_hue("romance")
        True
    """
    return zlib.crc32(name.strip().casefold().encode()) % 360


def _title_lines(title: str) -> list[str]:
    lines: list[str] = []
    for word in title.split():
        while len(word) > _LINE_CHARS:  # a very long word is cut, not overflowing
            lines.append(word[: _LINE_CHARS - 1] + "-")
            word = word[_LINE_CHARS - 1 :]
        if lines and len(lines[-1]) + 1 + len(word) <= _LINE_CHARS and not lines[-1].endswith("-"):
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > _MAX_LINES:
        lines = lines[:_MAX_LINES]
        lines[-1] = lines[-1][: _LINE_CHARS - 1].rstrip() + "…"
    return lines or ["?"]


def placeholder_svg(title: str, genres: Iterable[str] = (), caption: str = "") -> str:
    """An SVG poster drawn for a work: the title in large type over a gradient of its two
    first genres' colours, up to three genres as coloured bands with their names at the
    bottom, and a caption (type and year) at the top. Works without genres take their
    colours from the title. Deterministic: the same work is drawn the same way.

    Example::

        >>> svg = placeholder_svg("Cowboy Bebop", ["Action", "Space"], "TV · 1998")
        >>> "Cowboy Bebop" in svg and "Space" in svg
        True
    """
    genres = [g for g in genres if g.strip()][:3]
    hues = [genre_hue(g) for g in genres] or [genre_hue(title), (genre_hue(title) + 40) % 360]
    first, second = hues[0], hues[1] if len(hues) > 1 else (hues[0] + 40) % 360
    width, height = PLACEHOLDER_SIZE
    lines = _title_lines(title)
    top = 150 - 13 * (len(lines) - 1)
    text = "".join(
        f'<tspan x="112.5" y="{top + 26 * i}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    bands = "".join(
        f'<rect y="{height - 30 * (len(genres) - i)}" width="{width}" height="30" '
        f'fill="hsl({genre_hue(g)} 55% 24%)"/>'
        f'<text x="12" y="{height - 30 * (len(genres) - i) + 20}">{escape(g)}</text>'
        for i, g in enumerate(genres)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="system-ui,sans-serif">'
        '<defs><linearGradient id="g" x2="1" y2="1">'
        f'<stop offset="0" stop-color="hsl({first} 45% 36%)"/>'
        f'<stop offset="1" stop-color="hsl({second} 50% 22%)"/></linearGradient></defs>'
        f'<rect width="{width}" height="{height}" fill="url(#g)"/>'
        f'<text x="12" y="24" fill="#fff" fill-opacity=".85" font-size="14">'
        f"{escape(caption)}</text>"
        f'<text fill="#fff" font-size="22" font-weight="700" text-anchor="middle">{text}</text>'
        f'<g fill="#fff" font-size="14">{bands}</g></svg>'
    )


def placeholder_data_url(title: str, genres: Iterable[str] = (), caption: str = "") -> str:
    """:func:`placeholder_svg` as a ``data:`` address for an ``<img src>``."""
    return "data:image/svg+xml," + quote(
        placeholder_svg(title, genres, caption), safe=" =:/\"',.()"
    )
