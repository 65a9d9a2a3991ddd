"""External URLs the site stores and shows (posters): absolute http(s) URLs, nothing else.

A catalogue file may carry anything in its picture field; what reaches a page's ``src`` or
the API's ``poster`` must be a plain web address: no ``javascript:`` or ``data:`` scheme,
no quote, angle bracket, space or control character that could end an HTML attribute, no
credentials, and short enough for the database column.

Example::

    >>> clean_poster_url("https://cdn.example.org/posters/1.jpg")
    'https://cdn.example.org/posters/1.jpg'
    >>> safe_poster_url('javascript:alert(1)'), safe_poster_url('https://x.org/a".jpg')
    ('', '')
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_LENGTH = 500  # Work.poster_url's column
# Printable ASCII without space, quotes, angle brackets, backslash, backtick or braces.
_SAFE_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%|^]+")


def clean_poster_url(url: str) -> str:
    """``url`` stripped of surrounding spaces when it is a safe http(s) URL; raise
    ValueError with the reason otherwise ("" stays "": no poster)."""
    url = (url or "").strip()
    if not url:
        return ""
    if len(url) > MAX_LENGTH:
        raise ValueError(f"the poster URL is longer than {MAX_LENGTH} characters")
    if not _SAFE_CHARACTERS.fullmatch(url):
        raise ValueError("the poster URL contains characters a URL may not hold")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("the poster URL must start with http:// or https://")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise ValueError("the poster URL must name a host, without a user or password")
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        raise ValueError("the poster URL has an invalid port") from None
    return url


def safe_poster_url(url: str) -> str:
    """``url`` if :func:`clean_poster_url` accepts it, else "" (shown as no poster)."""
    try:
        return clean_poster_url(url)
    except ValueError:
        return ""
