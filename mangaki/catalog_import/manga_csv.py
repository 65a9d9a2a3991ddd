"""The manga CSV: a plain spreadsheet of manga for the catalogue (docs/imports.md).

UTF-8, comma-separated, a header line naming the columns; only ``title`` is required,
the others may be left out or empty, in any order:

========== ============================================================================
title      main title
type       manga, manhwa, manhua, light_novel, one_shot or doujinshi (default manga)
volumes    number of volumes
start_date YYYY, YYYY-MM or YYYY-MM-DD
mal_id     MyAnimeList manga id
anilist_id AniList id
genres     comma-separated (quote the field: "Action, Drama")
alt_titles other titles, separated by ``|``
score      mean score out of 10 elsewhere
members    members elsewhere (orders decks before the site has ratings)
nsfw       1 for adult works, else 0 or empty
synopsis   text
poster_url http(s) address of a cover
========== ============================================================================

Example::

    title,type,volumes,start_date,mal_id,genres
    Monster,manga,18,1994-12-05,1,"Drama, Mystery"
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from typing import TextIO

from mangaki.models.catalog import WorkType

from .records import ImportProblem, WorkRecord

COLUMNS = ("title", "type", "volumes", "start_date", "mal_id", "anilist_id", "genres",
           "alt_titles", "score", "members", "nsfw", "synopsis", "poster_url")  # fmt: skip
MANGA_TYPES = (WorkType.MANGA, WorkType.MANHWA, WorkType.MANHUA, WorkType.LIGHT_NOVEL,
               WorkType.ONE_SHOT, WorkType.DOUJINSHI)  # fmt: skip
TYPES = {t.value: t for t in MANGA_TYPES}
MAX_ID = 2**31 - 1


def _number(text: str, kind, field: str, high=None):
    text = text.strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{field} {text!r} is not a number") from None
    if value < 0 or (high is not None and value > high):
        raise ValueError(f"{field} {text!r} is out of range")
    return value


def _date(text: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    parts = text.split("-")
    try:
        numbers = [int(p) for p in parts]
        if len(numbers) > 3:
            raise ValueError
        return dt.date(*numbers, *[1] * (3 - len(numbers)))
    except (TypeError, ValueError):
        raise ValueError(f"start_date {text!r} is not YYYY, YYYY-MM or YYYY-MM-DD") from None


def _record(row: dict[str, str], where: str) -> WorkRecord:
    title = row.get("title", "").strip()
    if not title:
        raise ValueError("the title is empty")
    kind = row.get("type", "").strip().lower() or "manga"
    if kind not in TYPES:
        raise ValueError(f"type {kind!r} is not one of {', '.join(TYPES)}")
    nsfw = row.get("nsfw", "").strip()
    if nsfw not in ("", "0", "1"):
        raise ValueError(f"nsfw {nsfw!r} must be 0 or 1")
    mal_id = _number(row.get("mal_id", ""), int, "mal_id", MAX_ID)
    anilist_id = _number(row.get("anilist_id", ""), int, "anilist_id", MAX_ID)
    return WorkRecord(
        title=title,
        category="manga",
        work_type=TYPES[kind],
        volumes=_number(row.get("volumes", ""), int, "volumes", 10_000),
        start_date=_date(row.get("start_date", "")),
        mal_id=mal_id or None,
        anilist_id=anilist_id or None,
        genres=[g.strip() for g in row.get("genres", "").split(",") if g.strip()],
        alt_titles=[(t.strip(), "") for t in row.get("alt_titles", "").split("|") if t.strip()],
        external_score=_number(row.get("score", ""), float, "score", 10),
        external_members=_number(row.get("members", ""), int, "members", MAX_ID),
        nsfw=nsfw == "1",
        synopsis=row.get("synopsis", "").strip(),
        poster_url=row.get("poster_url", "").strip(),
        location=where,
    )


def parse(handle: TextIO) -> Iterator[WorkRecord | ImportProblem]:
    reader = csv.reader(handle)
    header = [h.strip().lstrip("\ufeff").lower() for h in next(reader, [])]
    unknown = [h for h in header if h not in COLUMNS]
    if "title" not in header or unknown or len(set(header)) != len(header):
        yield ImportProblem(
            "line 1",
            f"expected a header of distinct columns among {','.join(COLUMNS)} with title; "
            f"got {','.join(header)}",
        )
        return
    for row in reader:
        where = f"line {reader.line_num}"
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield ImportProblem(where, f"expected {len(header)} fields, found {len(row)}")
            continue
        try:
            yield _record(dict(zip(header, row, strict=True)), where)
        except ValueError as exc:
            yield ImportProblem(where, str(exc))
