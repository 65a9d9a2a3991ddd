from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class WorkRecord:
    """One work as an import format describes it, before matching it to the database."""

    title: str
    category: str = "anime"
    work_type: str = ""
    episodes: int | None = None
    volumes: int | None = None
    start_date: dt.date | None = None
    synopsis: str = ""
    nsfw: bool = False
    mal_id: int | None = None
    anilist_id: int | None = None
    anidb_id: int | None = None
    external_score: float | None = None
    external_members: int | None = None
    poster_url: str = ""
    alt_titles: list[tuple[str, str]] = field(default_factory=list)  # (title, language)
    genres: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # Where the record came from, for error messages ("line 12").
    location: str = ""
    # The record's id inside its source file, when the file refers to it elsewhere.
    key: int | None = None


@dataclass
class ImportProblem:
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    users_created: int = 0
    ratings_created: int = 0
    ratings_updated: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return bool(
            self.created
            or self.updated
            or self.users_created
            or self.ratings_created
            or self.ratings_updated
        )

    def summary(self) -> str:
        parts = [
            f"{self.created} created",
            f"{self.updated} updated",
            f"{self.unchanged} unchanged",
        ]
        if self.users_created or self.ratings_created or self.ratings_updated:
            parts += [
                f"{self.users_created} users created",
                f"{self.ratings_created} ratings created",
                f"{self.ratings_updated} ratings updated",
            ]
        parts.append(f"{len(self.problems)} problems")
        return ", ".join(parts)
