"""AniList's media JSON, as its GraphQL API returns it: manga (and anime) for the catalogue.

Accepted shapes (one document, or a JSON list of them, as pages saved one after another):
``{"data": {"Page": {"media": [Media, ...]}}}`` (a catalogue query),
``{"data": {"Page": {"mediaList": [{"media": Media}, ...]}}}`` and
``{"data": {"MediaListCollection": {"lists": [{"entries": [...]}]}}}`` (list exports).

Fields read from a Media: ``id`` (required), ``idMal``, ``type`` (MANGA -> the manga
category, ANIME -> anime), ``format``, ``countryOfOrigin`` (KR manhwa, CN/TW manhua),
``title`` {romaji, english, native, userPreferred}, ``synonyms``, ``genres``, ``tags``
[{name, isMediaSpoiler, rank}], ``isAdult``, ``volumes``, ``episodes``, ``startDate``
{year, month, day}, ``description`` (HTML tags removed), ``coverImage`` {large},
``averageScore`` (0-100, stored as 0-10) and ``popularity`` (members on AniList).
Missing optional fields are left empty. A document is at most ``MAX_BYTES`` (AniList
pages hold 50 media; a catalogue is many pages).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import TextIO

from mangaki.models.catalog import WorkType

from .records import ImportProblem, WorkRecord

MAX_BYTES = 200 * 1024 * 1024
MAX_ID = 2**31 - 1
MANGA_FORMATS = {
    "MANGA": WorkType.MANGA,
    "NOVEL": WorkType.LIGHT_NOVEL,
    "ONE_SHOT": WorkType.ONE_SHOT,
}
ANIME_FORMATS = {
    "TV": WorkType.TV,
    "TV_SHORT": WorkType.TV,
    "MOVIE": WorkType.MOVIE,
    "SPECIAL": WorkType.SPECIAL,
    "OVA": WorkType.OVA,
    "ONA": WorkType.ONA,
    "MUSIC": WorkType.MUSIC,
}
COUNTRY_TYPES = {"KR": WorkType.MANHWA, "CN": WorkType.MANHUA, "TW": WorkType.MANHUA}
TAG_MIN_RANK = 60  # AniList's own relevance (0-100) below which a tag is noise
_HTML = re.compile(r"<[^>]+>")


def _media(document) -> list:
    """The Media objects of one document (see the module docstring)."""
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise ValueError('expected an AniList document with a top-level "data" object')
    data = document["data"]
    page = data.get("Page")
    if isinstance(page, dict):
        if isinstance(page.get("media"), list):
            return page["media"]
        if isinstance(page.get("mediaList"), list):
            return [item.get("media") if isinstance(item, dict) else None
                    for item in page["mediaList"]]  # fmt: skip
    collection = data.get("MediaListCollection")
    if isinstance(collection, dict) and isinstance(collection.get("lists"), list):
        return [
            entry.get("media") if isinstance(entry, dict) else None
            for lst in collection["lists"]
            if isinstance(lst, dict)
            for entry in lst.get("entries") or []
        ]
    if isinstance(data.get("Media"), dict):
        return [data["Media"]]
    raise ValueError("expected data.Page.media, data.Page.mediaList or data.MediaListCollection")


def _id(value, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ValueError(f"{what} {value!r} is not an id")
    return value


def _count(value, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} {value!r} is not a non-negative integer")
    return value or None


def _date(value) -> dt.date | None:
    if not isinstance(value, dict) or not isinstance(value.get("year"), int):
        return None
    year, month, day = value["year"], value.get("month") or 1, value.get("day") or 1
    try:
        return dt.date(year, month, day) if 1900 <= year <= 2100 else None
    except (TypeError, ValueError):
        return dt.date(year, 1, 1) if 1900 <= year <= 2100 else None


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def record(media, where: str) -> WorkRecord:
    """One Media as a work; ValueError naming the problem."""
    if not isinstance(media, dict):
        raise ValueError('the entry has no "media" object')
    anilist_id = _id(media.get("id"), "id")
    if anilist_id is None:
        raise ValueError("the media has no id")
    titles = media.get("title") if isinstance(media.get("title"), dict) else {}
    main = next((t for k in ("romaji", "userPreferred", "english", "native")
                 if (t := _text(titles.get(k)))), "")  # fmt: skip
    if not main:
        raise ValueError("the media has no title")
    alt = [(t, lang) for k, lang in (("english", "en"), ("native", "ja"), ("romaji", "ja-Latn"))
           if (t := _text(titles.get(k))) and t != main]  # fmt: skip
    synonyms = media.get("synonyms") or []
    if not isinstance(synonyms, list):
        raise ValueError("synonyms must be a list of titles")
    alt += [(t, "") for s in synonyms if (t := _text(s))]
    is_manga = media.get("type") == "MANGA"
    kind = str(media.get("format") or "").upper()
    if is_manga:
        work_type = COUNTRY_TYPES.get(str(media.get("countryOfOrigin") or ""), WorkType.MANGA)
        if kind in ("NOVEL", "ONE_SHOT"):
            work_type = MANGA_FORMATS[kind]
    else:
        work_type = ANIME_FORMATS.get(kind, WorkType.UNKNOWN)
    genres = [g for g in (media.get("genres") or []) if isinstance(g, str) and g.strip()]
    tags = [
        t["name"].strip().lower()
        for t in media.get("tags") or []
        if isinstance(t, dict) and isinstance(t.get("name"), str) and t["name"].strip()
        and not t.get("isMediaSpoiler") and (t.get("rank") or 0) >= TAG_MIN_RANK
    ]  # fmt: skip
    score = media.get("averageScore")
    cover = media.get("coverImage") if isinstance(media.get("coverImage"), dict) else {}
    return WorkRecord(
        title=main,
        category="manga" if is_manga else "anime",
        work_type=work_type,
        episodes=None if is_manga else _count(media.get("episodes"), "episodes"),
        volumes=_count(media.get("volumes"), "volumes") if is_manga else None,
        start_date=_date(media.get("startDate")),
        synopsis=_HTML.sub("", _text(media.get("description"))).strip(),
        nsfw=media.get("isAdult") is True,
        mal_id=_id(media.get("idMal"), "idMal"),
        anilist_id=anilist_id,
        external_score=score / 10 if isinstance(score, int | float) and 0 <= score <= 100 else None,
        external_members=_count(media.get("popularity"), "popularity"),
        poster_url=_text(cover.get("extraLarge") or cover.get("large")),
        alt_titles=alt,
        genres=[g.strip() for g in genres],
        tags=tags[:50],
        location=where,
    )


def parse(handle: TextIO) -> Iterator[WorkRecord | ImportProblem]:
    text = handle.read(MAX_BYTES + 1)
    if len(text) > MAX_BYTES:
        yield ImportProblem("file", f"larger than {MAX_BYTES // 2**20} MB: split it in pages")
        return
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        yield ImportProblem("file", f"not an AniList JSON document: {exc}")
        return
    documents = document if isinstance(document, list) else [document]
    for page, doc in enumerate(documents, start=1):
        try:
            media = _media(doc)
        except ValueError as exc:
            yield ImportProblem(f"page {page}", str(exc))
            continue
        for number, item in enumerate(media, start=1):
            where = f"page {page} media {number}" if len(documents) > 1 else f"media {number}"
            try:
                yield record(item, where)
            except ValueError as exc:
                yield ImportProblem(where, str(exc))
