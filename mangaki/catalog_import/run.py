"""Entry point of catalogue imports: detect the format, stream records, write in batches."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

from django.contrib.auth import get_user_model

from mangaki.services.ratings import import_ratings

from . import anilist, fixture, kaggle, manami, manga_csv
from .records import ImportProblem, ImportReport, WorkRecord
from .writer import CatalogWriter

FORMATS = {
    "kaggle": kaggle.parse,
    "manami": manami.parse,
    "mangaki": fixture.parse,
    "anilist": anilist.parse,
    "manga-csv": manga_csv.parse,
}


class _CountingReader(io.RawIOBase):
    """Counts the bytes read, so progress follows the file however it is parsed."""

    def __init__(self, raw, on_read: Callable[[int], None] | None) -> None:
        self.raw = raw
        self.on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        if n and self.on_read:
            self.on_read(n)
        return n


def detect_format(path: Path) -> str:
    """Guess the format from the first bytes: a CSV header, a JSON object, or a JSON list.
    A manga CSV's header starts with ``title``; an AniList document with ``{"data": {``."""
    with open(path, "rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"anime_id,"):
        return "kaggle"
    if head.split(b"\n", 1)[0].split(b",", 1)[0].strip().lower() == b"title":
        return "manga-csv"
    # AniList answers start with "data" holding an object; manami's "data" is a list.
    anilist = re.match(rb'\[?\s*\{\s*"data"\s*:\s*\{', head)
    if anilist:
        return "anilist"
    if head.startswith(b"{"):
        return "manami"
    if head.startswith(b"["):
        return "mangaki"
    raise ValueError(
        f"{path}: unknown catalogue format (expected Kaggle CSV, manga CSV, manami JSON, "
        "AniList JSON or a Mangaki fixture)"
    )


def import_catalog(
    path: Path | str,
    fmt: str | None = None,
    *,
    batch_size: int = 500,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a catalogue file; good records are written even when others are bad.

    Example::

        report = import_catalog("data/anime.csv")
        print(report.summary())
    """
    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    report = ImportReport()
    writer = CatalogWriter(report)
    linker = _FixtureLinker(report)
    batch: list[WorkRecord] = []

    def flush() -> None:
        if batch:
            works = writer.write(batch)
            linker.remember_works(batch, works)
            batch.clear()

    with open(path, "rb") as raw:
        text = io.TextIOWrapper(
            io.BufferedReader(_CountingReader(raw, on_progress)),
            encoding="utf-8",
            errors="strict",
            newline="",
        )
        try:
            for item in FORMATS[fmt](text):
                if isinstance(item, ImportProblem):
                    report.problems.append(item)
                elif isinstance(item, WorkRecord):
                    batch.append(item)
                    if len(batch) >= batch_size:
                        flush()
                else:
                    flush()  # users and ratings refer to works seen before them
                    linker.add(item)
                    if linker.pending >= batch_size:
                        linker.flush()
        except UnicodeDecodeError as exc:
            report.problems.append(
                ImportProblem("file", f"not UTF-8 text: {exc.reason} at byte {exc.start}")
            )
        flush()
        linker.flush()
    return report


class _FixtureLinker:
    """Users and ratings of a Mangaki fixture, linked to the works written before them."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.works: dict[int, int] = {}
        self.users: dict[int, object] = {}
        self.ratings: list[fixture.FixtureRating] = []

    @property
    def pending(self) -> int:
        return len(self.ratings)

    def remember_works(self, records, works) -> None:
        for record, work in zip(records, works, strict=True):
            if record.key is not None:
                self.works[record.key] = work.pk

    def add(self, item) -> None:
        if isinstance(item, fixture.FixtureUser):
            self._add_user(item)
        else:
            self.ratings.append(item)

    def _add_user(self, item: fixture.FixtureUser) -> None:
        User = get_user_model()
        user = User.objects.filter(username=item.username).first()
        if user is None:
            user = User(username=item.username)
            user.set_unusable_password()
            user.save()
            self.report.users_created += 1
        self.users[item.pk] = user

    def flush(self) -> None:
        if not self.ratings:
            return
        wanted: dict[tuple[int, int], fixture.FixtureRating] = {}
        for r in self.ratings:
            if r.user_pk not in self.users or r.work_pk not in self.works:
                self.report.problems.append(
                    ImportProblem(
                        r.location, f"rating refers to unknown user {r.user_pk} or work {r.work_pk}"
                    )
                )
                continue
            wanted[(self.users[r.user_pk].pk, self.works[r.work_pk])] = r
        self.ratings = []
        created, updated = import_ratings(
            (user_id, work_id, r.choice, r.date) for (user_id, work_id), r in wanted.items()
        )
        self.report.ratings_created += created
        self.report.ratings_updated += updated
