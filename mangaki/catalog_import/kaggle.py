"""The Kaggle "Anime Recommendations Database" catalogue (anime.csv, CC0).

Columns: anime_id (= MyAnimeList id), name, genre (comma-separated), type, episodes
("Unknown" when not known), rating (MAL mean score), members.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Iterator
from typing import TextIO

from mangaki.models.catalog import WorkType

from .records import ImportProblem, WorkRecord

COLUMNS = ["anime_id", "name", "genre", "type", "episodes", "rating", "members"]
TYPES = {
    "TV": WorkType.TV,
    "Movie": WorkType.MOVIE,
    "OVA": WorkType.OVA,
    "ONA": WorkType.ONA,
    "Special": WorkType.SPECIAL,
    "Music": WorkType.MUSIC,
}
ADULT_GENRES = {"Hentai"}


def _optional_number(text: str, kind, field: str):
    text = text.strip()
    if text in ("", "Unknown"):
        return None
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{field} {text!r} is not a number") from None
    if value < 0:
        raise ValueError(f"{field} {text!r} is negative")
    return value


def parse(handle: TextIO) -> Iterator[WorkRecord | ImportProblem]:
    reader = csv.reader(handle)
    header = next(reader, None)
    if header is None or [h.strip().lstrip("\ufeff") for h in header] != COLUMNS:
        yield ImportProblem("line 1", f"expected the header {','.join(COLUMNS)}; got {header}")
        return
    for row in reader:
        where = f"line {reader.line_num}"
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != len(COLUMNS):
            yield ImportProblem(where, f"expected {len(COLUMNS)} fields, found {len(row)}")
            continue
        anime_id, name, genre, kind, episodes, rating, members = row
        try:
            mal_id = int(anime_id)
            if mal_id <= 0:
                raise ValueError
        except ValueError:
            yield ImportProblem(where, f"anime_id {anime_id!r} is not a positive integer")
            continue
        title = html.unescape(name).strip()
        if not title:
            yield ImportProblem(where, "the name is empty")
            continue
        try:
            episode_count = _optional_number(episodes, int, "episodes")
            score = _optional_number(rating, float, "rating")
            member_count = _optional_number(members, int, "members")
        except ValueError as exc:
            yield ImportProblem(where, str(exc))
            continue
        if score is not None and score > 10:
            yield ImportProblem(where, f"rating {rating!r} is above 10")
            continue
        genres = [g.strip() for g in genre.split(",") if g.strip()]
        yield WorkRecord(
            title=title,
            category="anime",
            work_type=TYPES.get(kind.strip(), WorkType.UNKNOWN),
            episodes=episode_count,
            mal_id=mal_id,
            external_score=score,
            external_members=member_count,
            nsfw=bool(ADULT_GENRES & set(genres)),
            genres=genres,
            location=where,
        )
