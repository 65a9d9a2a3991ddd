"""manami-project's anime-offline-database JSON: {"data": [{sources, title, type,
episodes, animeSeason, picture, synonyms, tags, ...}]}."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import TextIO

from mangaki.models.catalog import WorkType

from .jsonstream import JSONStreamError, iter_array
from .records import ImportProblem, WorkRecord

TYPES = {
    "TV": WorkType.TV,
    "MOVIE": WorkType.MOVIE,
    "OVA": WorkType.OVA,
    "ONA": WorkType.ONA,
    "SPECIAL": WorkType.SPECIAL,
    "MUSIC": WorkType.MUSIC,
}
SEASON_MONTH = {"WINTER": 1, "SPRING": 4, "SUMMER": 7, "FALL": 10}
SOURCE_IDS = {
    "mal_id": re.compile(r"myanimelist\.net/anime/(\d+)"),
    "anilist_id": re.compile(r"anilist\.co/anime/(\d+)"),
    "anidb_id": re.compile(r"anidb\.net/(?:anime/|a)(\d+)"),
}


def _record(entry: dict, where: str) -> WorkRecord:
    if not isinstance(entry, dict):
        raise ValueError("an entry must be a JSON object")
    title = entry.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("the title is missing")
    sources = entry.get("sources") or []
    if not isinstance(sources, list):
        raise ValueError("sources must be a list of URLs")
    ids = {}
    for field, pattern in SOURCE_IDS.items():
        for url in sources:
            match = pattern.search(str(url))
            if match:
                ids[field] = int(match.group(1))
                break
    episodes = entry.get("episodes")
    if episodes is not None and (not isinstance(episodes, int) or episodes < 0):
        raise ValueError(f"episodes {episodes!r} is not a non-negative integer")
    season = entry.get("animeSeason") or {}
    year = season.get("year") if isinstance(season, dict) else None
    start = None
    if isinstance(year, int) and 1900 <= year <= 2100:
        start = dt.date(year, SEASON_MONTH.get(str(season.get("season", "")).upper(), 1), 1)
    synonyms = entry.get("synonyms") or []
    tags = entry.get("tags") or []
    if not isinstance(synonyms, list) or not isinstance(tags, list):
        raise ValueError("synonyms and tags must be lists")
    return WorkRecord(
        title=title.strip(),
        category="anime",
        work_type=TYPES.get(str(entry.get("type", "")).upper(), WorkType.UNKNOWN),
        episodes=episodes or None,
        start_date=start,
        poster_url=str(entry.get("picture") or ""),
        alt_titles=[(str(s), "") for s in synonyms if str(s).strip()],
        tags=[str(t).strip().lower() for t in tags if str(t).strip()][:50],
        nsfw="hentai" in {str(t).lower() for t in tags},
        location=where,
        **ids,
    )


def parse(handle: TextIO) -> Iterator[WorkRecord | ImportProblem]:
    try:
        for line, entry in iter_array(handle, "data"):
            where = f"line {line}"
            try:
                yield _record(entry, where)
            except ValueError as exc:
                yield ImportProblem(where, str(exc))
    except JSONStreamError as exc:
        yield ImportProblem("file", f"not a manami JSON document: {exc}")
