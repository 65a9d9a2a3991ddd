"""The original Mangaki site's Django fixture: categories, works, genres, users, ratings.

Works are matched like any import (AniDB id, then title); users get the fixture's
usernames with unusable passwords (their old password hashes are not carried over);
ratings are upserted, so a re-import changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TextIO

from django.utils.dateparse import parse_datetime

from mangaki.choices import Choice

from .jsonstream import JSONStreamError, iter_array
from .records import ImportProblem, WorkRecord

CATEGORIES = {"anime", "manga"}
ANIME_TYPES = {"Série": "tv", "Film": "movie", "OAV": "ova", "OVA": "ova", "ONA": "ona"}


class FixtureRating:
    def __init__(self, user_pk: int, work_pk: int, choice: str, date: dt.datetime, location: str):
        self.user_pk, self.work_pk, self.choice, self.date = user_pk, work_pk, choice, date
        self.location = location


class FixtureUser:
    def __init__(self, pk: int, username: str, location: str):
        self.pk, self.username, self.location = pk, username, location


def parse(handle: TextIO) -> Iterator[WorkRecord | FixtureUser | FixtureRating | ImportProblem]:
    """Yield works (their fixture pk in ``key``), users and ratings in the fixture's order.

    The fixture lists categories and genres before the works that use them, as Django's
    ``dumpdata`` does; works come before ratings.
    """
    categories: dict[int, str] = {}
    genres: dict[int, str] = {}
    try:
        for line, obj in iter_array(handle, None):
            where = f"line {line}"
            if not isinstance(obj, dict) or "model" not in obj or "fields" not in obj:
                yield ImportProblem(where, "not a Django fixture object (model, pk, fields)")
                continue
            model, pk, fields = obj["model"], obj.get("pk"), obj["fields"]
            try:
                if model == "mangaki.category":
                    categories[pk] = fields["slug"]
                elif model == "mangaki.genre":
                    genres[pk] = fields["title"]
                elif model == "mangaki.work":
                    record = _work(fields, categories, genres, where)
                    if record is not None:
                        record.key = pk
                        yield record
                elif model == "auth.user":
                    yield FixtureUser(pk, str(fields["username"]), where)
                elif model == "mangaki.rating":
                    choice = fields["choice"]
                    if choice not in Choice.values:
                        raise ValueError(f"unknown choice {choice!r}")
                    date = parse_datetime(fields["date"]) if fields.get("date") else None
                    yield FixtureRating(fields["user"], fields["work"], choice, date, where)
            except (KeyError, TypeError, ValueError) as exc:
                yield ImportProblem(where, f"{model}: {exc}")
    except JSONStreamError as exc:
        yield ImportProblem("file", f"not a Django fixture: {exc}")


def _work(fields: dict, categories: dict[int, str], genres: dict[int, str], where: str):
    category = categories.get(fields["category"])
    if category not in CATEGORIES:
        return None
    episodes = None
    raw = str(fields.get("nb_episodes") or "")
    head = raw.split("x", 1)[0].strip()
    if head.isdigit():
        episodes = int(head)
    return WorkRecord(
        title=str(fields["title"]).strip(),
        category=category,
        work_type=ANIME_TYPES.get(fields.get("anime_type") or "", ""),
        episodes=episodes,
        synopsis=fields.get("synopsis") or "",
        nsfw=bool(fields.get("nsfw")),
        anidb_id=fields.get("anidb_aid") or None,
        poster_url=fields.get("ext_poster") or "",
        alt_titles=[(fields["vo_title"], "ja")] if fields.get("vo_title") else [],
        genres=[genres[g] for g in fields.get("genre", []) if g in genres],
        location=where,
    )
