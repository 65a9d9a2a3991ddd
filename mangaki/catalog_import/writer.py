"""The shared, batched, idempotent upsert of imported works.

A batch is written in one transaction: a failure leaves nothing half-written, and a
re-import of the same data finds every field already equal and writes nothing.
"""

from __future__ import annotations

from django.db import transaction

from mangaki.models import Category, TaggedWork, TagSource, Work, WorkTitle
from mangaki.security.urls import clean_poster_url
from mangaki.services.tags import tags_by_name
from mangaki.text import normalize_title

from .records import ImportProblem, ImportReport, WorkRecord

# Fields an import owns; anything else on a work (posters, counters) is left alone.
IMPORTED_FIELDS = [
    "title",
    "search_key",
    "work_type",
    "episodes",
    "volumes",
    "start_date",
    "synopsis",
    "nsfw",
    "mal_id",
    "anilist_id",
    "anidb_id",
    "external_score",
    "external_members",
    "poster_url",
]
EXTERNAL_IDS = ("mal_id", "anilist_id", "anidb_id")


class CatalogWriter:
    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.tags: dict = {}  # tag rows already read, by name
        self.categories = {c.slug: c for c in Category.objects.all()}

    def write(self, records: list[WorkRecord]) -> list[Work]:
        """Upsert a batch; returns the works in the records' order."""
        for record in records:
            if record.category not in self.categories:
                self.categories[record.category] = Category.objects.get_or_create(
                    slug=record.category, defaults={"name": record.category.title()}
                )[0]
        for record in records:
            # A poster URL reaches pages and the API: only a plain http(s) URL is kept.
            try:
                record.poster_url = clean_poster_url(record.poster_url)
            except ValueError as error:
                self.report.problems.append(
                    ImportProblem(record.location, f"{error}; the work is imported without it")
                )
                record.poster_url = ""
        with transaction.atomic():
            works = self._match(records)
            to_create, to_update = [], []
            for i, record in enumerate(records):
                work = works[i]
                values = self._values(record)
                if work is None:
                    work = Work(category=self.categories[record.category], **values)
                    works[i] = work
                    to_create.append(work)
                    continue
                changed = False
                for key, value in values.items():
                    # An import never erases what another source filled in.
                    if value in (None, "") and getattr(work, key) not in (None, ""):
                        continue
                    if getattr(work, key) != value:
                        setattr(work, key, value)
                        changed = True
                if changed:
                    to_update.append(work)
            Work.objects.bulk_create(to_create, batch_size=500)
            Work.objects.bulk_update(to_update, IMPORTED_FIELDS, batch_size=500)
            titles_changed = self._write_titles(records, works)
            tags_changed = self._write_tags(records, works)
            created_ids = {id(w) for w in to_create}
            updated_ids = {id(w) for w in to_update} | titles_changed | tags_changed
            for work in works:
                if id(work) in created_ids:
                    self.report.created += 1
                elif id(work) in updated_ids:
                    self.report.updated += 1
                else:
                    self.report.unchanged += 1
        return works

    @staticmethod
    def _values(record: WorkRecord) -> dict:
        return {
            "title": record.title[:255],
            "search_key": normalize_title(record.title)[:255],
            "work_type": record.work_type,
            "episodes": record.episodes,
            "volumes": record.volumes,
            "start_date": record.start_date,
            "synopsis": record.synopsis,
            "nsfw": record.nsfw,
            "mal_id": record.mal_id,
            "anilist_id": record.anilist_id,
            "anidb_id": record.anidb_id,
            "external_score": record.external_score,
            "external_members": record.external_members,
            "poster_url": record.poster_url,
        }

    def _match(self, records: list[WorkRecord]) -> list[Work | None]:
        """Existing works by external id first, then by exact normalised title."""
        found: list[Work | None] = [None] * len(records)
        by_id: dict[tuple[str, str, int], Work] = {}
        for field in EXTERNAL_IDS:
            wanted = {getattr(r, field) for r in records if getattr(r, field) is not None}
            if wanted:
                for work in Work.objects.filter(**{f"{field}__in": wanted}).select_related(
                    "category"
                ):
                    by_id[(work.category.slug, field, getattr(work, field))] = work
        keys = {normalize_title(r.title) for r in records}
        by_title: dict[tuple[str, str], Work] = {}
        for work in Work.objects.filter(search_key__in=keys).select_related("category"):
            by_title.setdefault((work.category.slug, work.search_key), work)
        for i, record in enumerate(records):
            for field in EXTERNAL_IDS:
                value = getattr(record, field)
                if value is not None and (record.category, field, value) in by_id:
                    found[i] = by_id[(record.category, field, value)]
                    break
            else:
                candidate = by_title.get((record.category, normalize_title(record.title)))
                # A title match must not merge two works that carry different ids.
                if candidate is not None and not any(
                    getattr(record, f) is not None
                    and getattr(candidate, f) is not None
                    and getattr(record, f) != getattr(candidate, f)
                    for f in EXTERNAL_IDS
                ):
                    found[i] = candidate
        return found

    @staticmethod
    def _write_titles(records: list[WorkRecord], works: list[Work]) -> set[int]:
        existing = set(
            WorkTitle.objects.filter(work__in=works).values_list("work_id", "title", "language")
        )
        new = []
        changed = set()
        for record, work in zip(records, works, strict=True):
            for title, language in dict.fromkeys(record.alt_titles):
                title = title.strip()[:255]
                if title and title != work.title and (work.pk, title, language) not in existing:
                    existing.add((work.pk, title, language))
                    new.append(
                        WorkTitle(
                            work=work,
                            title=title,
                            language=language,
                            search_key=normalize_title(title),
                        )
                    )
                    changed.add(id(work))
        WorkTitle.objects.bulk_create(new, ignore_conflicts=True)
        return changed

    def _write_tags(self, records: list[WorkRecord], works: list[Work]) -> set[int]:
        """Add the records' metadata tags. Additive: several sources describe the same
        work, and one must not remove what another added."""
        genres = {g for r in records for g in r.genres}
        names = genres | {t for r in records for t in r.tags}
        tags = tags_by_name(names, genres=genres, known=self.tags)
        existing: dict[int, set[int]] = {}
        for work_id, tag_id in TaggedWork.objects.filter(
            work__in=works, source=TagSource.METADATA
        ).values_list("work_id", "tag_id"):
            existing.setdefault(work_id, set()).add(tag_id)
        new, changed = [], set()
        for record, work in zip(records, works, strict=True):
            missing = {tags[n].pk for n in [*record.genres, *record.tags]} - existing.get(
                work.pk, set()
            )
            if missing:
                changed.add(id(work))
                new += [TaggedWork(work=work, tag_id=t, source=TagSource.METADATA) for t in missing]
        TaggedWork.objects.bulk_create(new, ignore_conflicts=True)
        return changed
