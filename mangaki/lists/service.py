"""List imports: upload -> preview plan -> confirmed import (a Celery task with progress).

Example::

    imp = create_import(user, "animelist.xml.gz", upload_file)   # parse, or ListFormatError
    plan = build_plan(user, imp.parsed_entries(), Mapping())      # what would change
    confirm_import(imp, Mapping(like_min=8), overwrite=False)     # queue the task
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from mangaki.models import ListImport, Rating
from mangaki.services.ratings import rate_many

from .mapping import SKIP, Mapping
from .matching import NEW, match_entries
from .parsers import Entry, ListFormatError, parse_bytes, read_limited

logger = logging.getLogger(__name__)
BATCH = 500
MAX_NEW_WORKS = 2000  # works one list may add to the catalogue (matching.NEW)
# Actions of a plan row, in display order; "keep" is an existing, different rating left alone.
ACTIONS = ("create", "change", "unchanged", "keep", "skip", "duplicate", "unmatched")


class ImportBusy(Exception):
    """The person already has as many confirmed imports running as allowed."""


class PreviewExpired(Exception):
    """The preview was left unconfirmed longer than ``preview_lifetime()``."""


def preview_lifetime() -> timedelta:
    return timedelta(hours=settings.LIST_IMPORT_PREVIEW_HOURS)


def expired_message() -> str:
    return gettext(
        "This preview expired: previews are kept %(hours)d hours. Upload your list again "
        "to import it."
    ) % {"hours": settings.LIST_IMPORT_PREVIEW_HOURS}


def expire_previews(now=None) -> int:
    """Mark failed, with the reason, every preview older than ``preview_lifetime()``, and
    drop its parsed entries (the list is personal data we do not keep unused). Returns how
    many expired."""
    now = now or timezone.now()
    return ListImport.objects.filter(
        status=ListImport.Status.PREVIEW, started_at__lt=now - preview_lifetime()
    ).update(status=ListImport.Status.FAILED, error=expired_message(), entries=[], finished_at=now)


def expire_if_stale(list_import: ListImport) -> bool:
    """Expire this preview if it is too old (the periodic task may not have run yet);
    True if it is expired now."""
    if list_import.status != ListImport.Status.PREVIEW:
        return False
    if list_import.started_at >= timezone.now() - preview_lifetime():
        return False
    expire_previews()
    list_import.refresh_from_db()
    return True


@dataclass
class PlanRow:
    entry: Entry
    work_id: int | None
    how: str
    choice: str
    current: str | None
    action: str


@dataclass
class Plan:
    rows: list[PlanRow]
    mapping: Mapping
    counts: Counter = field(default_factory=Counter)

    @property
    def writes(self) -> list[tuple[int, str]]:
        return [
            (r.work_id, r.choice)
            for r in self.rows
            if r.action in ("create", "change") and r.work_id is not None
        ]

    @property
    def new_works(self) -> list[PlanRow]:
        """Rows to rate once their work is added to the catalogue (matching.NEW)."""
        return [r for r in self.rows if r.how == NEW and r.action == "create"]

    def by_action(self, action: str) -> list[PlanRow]:
        return [r for r in self.rows if r.action == action]


def create_import(user, filename: str, handle) -> ListImport:
    """Parse an upload into a ListImport waiting for confirmation; ListFormatError if bad.

    Nothing is written when the file is refused.
    """
    source, entries = parse_bytes(read_limited(handle))
    if not entries:
        raise ListFormatError("the file lists no anime and no manga")
    return ListImport.objects.create(
        user=user,
        source=source,
        filename=filename[:255],
        entries=[e.to_dict() for e in entries],
        options={"mapping": Mapping().to_dict(), "overwrite": False},
        total=len(entries),
    )


def parsed_entries(list_import: ListImport) -> list[Entry]:
    return [Entry.from_dict(d) for d in list_import.entries]


def _current_ratings(user, work_ids: set[int]) -> dict[int, str]:
    ids = sorted(work_ids)
    current: dict[int, str] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        current.update(
            Rating.objects.filter(user=user, work_id__in=chunk).values_list("work_id", "choice")
        )
    return current


def build_plan(user, entries: Sequence[Entry], mapping: Mapping, overwrite: bool = False) -> Plan:
    """What importing ``entries`` would do to ``user``'s ratings; writes nothing."""
    mapping = mapping.calibrated(e.score for e in entries if e.status != "planned")
    matches = match_entries(entries)
    current = _current_ratings(user, {w for w, _ in matches if w is not None})
    choices = [mapping.choice(e.status, e.score) for e in entries]
    # A work to add is known by its entry's ids until it exists.
    keys = [
        work_id if work_id is not None else
        (entries[i].kind, entries[i].mal_id, entries[i].anilist_id) if how == NEW else None
        for i, (work_id, how) in enumerate(matches)
    ]  # fmt: skip
    # The same work listed twice: the last entry that gives a choice wins.
    last: dict = {}
    for i, key in enumerate(keys):
        if key is not None and (choices[i] != SKIP or key not in last):
            last[key] = i
    rows, n_new = [], 0
    for i, (entry, (work_id, how)) in enumerate(zip(entries, matches, strict=True)):
        choice = choices[i]
        existing = current.get(work_id) if work_id is not None else None
        if how == NEW and (choice == SKIP or n_new >= MAX_NEW_WORKS):
            # Only works the person rates are added, and a bounded number per list.
            how = "none"
        if how == NEW and last[keys[i]] == i:
            n_new += 1
        if work_id is None and how != NEW:
            action = "unmatched"
        elif last[keys[i]] != i:
            action = "duplicate"
        elif choice == SKIP:
            action = "skip"
        elif existing is None:
            action = "create"
        elif existing == choice:
            action = "unchanged"
        else:
            action = "change" if overwrite else "keep"
        rows.append(PlanRow(entry, work_id, how, choice, existing, action))
    return Plan(rows, mapping, Counter(r.action for r in rows))


def confirm_import(list_import: ListImport, mapping: Mapping, overwrite: bool) -> None:
    """Store the chosen options and queue the import task (inline without a broker);
    ImportBusy if the person already has ``LIST_IMPORTS_AT_ONCE`` imports running,
    PreviewExpired (and the preview is expired) if it waited too long."""
    from mangaki.tasks.imports import run_list_import
    from mangaki.tasks.queueing import queue

    if expire_if_stale(list_import):
        raise PreviewExpired
    now = timezone.now()
    # An import confirmed longer ago than the task's time limit died with its worker.
    recent = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    with transaction.atomic():
        # The person's row is the lock: two confirmations at once queue one import only.
        get_user_model().objects.select_for_update().filter(pk=list_import.user_id).first()
        running = (
            ListImport.objects.filter(
                user_id=list_import.user_id,
                status__in=[ListImport.Status.QUEUED, ListImport.Status.RUNNING],
                started_at__gte=recent,
            )
            .exclude(pk=list_import.pk)
            .count()
        )
        if running >= settings.LIST_IMPORTS_AT_ONCE:
            raise ImportBusy
        list_import.options = {
            **list_import.options,
            "mapping": mapping.to_dict(),
            "overwrite": overwrite,
        }
        list_import.status = ListImport.Status.QUEUED
        list_import.started_at = now
        list_import.save(update_fields=["options", "status", "started_at"])
    pk = list_import.pk
    # "queued" is recorded: if the broker is away, beat's recovery queues it later.
    transaction.on_commit(lambda: queue(run_list_import, pk))


def add_works(rows: Sequence[PlanRow]) -> None:
    """Add the works of list entries to the catalogue, through the catalogue import's own
    writer (it matches again by id and title, so two imports at once add a work once)."""
    from mangaki.catalog_import.records import ImportReport, WorkRecord
    from mangaki.catalog_import.writer import CatalogWriter

    records = [
        WorkRecord(
            title=row.entry.title,
            category=row.entry.kind,
            mal_id=row.entry.mal_id,
            anilist_id=row.entry.anilist_id,
            alt_titles=[(t, "") for t in row.entry.titles[1:]],
            location=f"list entry {row.entry.title!r}",
        )
        for row in rows
    ]
    writer = CatalogWriter(ImportReport())
    for start in range(0, len(records), BATCH):
        writer.write(records[start : start + BATCH])


def _progress(pk: int, percent: int, **fields) -> None:
    ListImport.objects.filter(pk=pk).update(progress=percent, **fields)


def run_import(pk: int, on_batch: Callable[[int], None] | None = None) -> ListImport | None:
    """Apply a confirmed import in batches, recording progress. Safe to run twice: a
    finished import is left alone, and a re-run after a crash recomputes the plan
    against the ratings already written, so nothing is applied twice. Manga the
    catalogue lacks are added first (:data:`matching.NEW`), then matched like the rest."""
    list_import = ListImport.objects.filter(pk=pk).select_related("user").first()
    if list_import is None or list_import.status in (
        ListImport.Status.DONE,
        ListImport.Status.PREVIEW,
    ):
        return list_import
    _progress(pk, 1, status=ListImport.Status.RUNNING)
    try:
        mapping = Mapping.from_dict(list_import.options.get("mapping"))
        entries = parsed_entries(list_import)
        overwrite = bool(list_import.options.get("overwrite"))
        plan = build_plan(list_import.user, entries, mapping, overwrite=overwrite)
        added = len(plan.new_works)
        if added:
            add_works(plan.new_works)
            plan = build_plan(list_import.user, entries, mapping, overwrite=overwrite)
        writes = plan.writes
        _progress(pk, 10)
        for start in range(0, len(writes), BATCH):
            rate_many(list_import.user, writes[start : start + BATCH])
            done = min(start + BATCH, len(writes))
            _progress(pk, 10 + int(90 * done / len(writes)))
            if on_batch:
                on_batch(done)
    except Exception as error:
        logger.exception("list import %s failed", pk)
        _progress(
            pk,
            100,
            status=ListImport.Status.FAILED,
            error=str(error)[:2000],
            finished_at=timezone.now(),
        )
        return ListImport.objects.get(pk=pk)
    counts = plan.counts
    unmatched = [[r.entry.title, r.entry.kind, r.how] for r in plan.rows if r.action == "unmatched"]
    list_import.refresh_from_db()
    list_import.options = {**list_import.options, "unmatched": unmatched, "works_added": added}
    list_import.status = ListImport.Status.DONE
    list_import.progress = 100
    list_import.created = counts["create"]
    list_import.changed = counts["change"]
    list_import.unchanged = counts["unchanged"]
    list_import.skipped = counts["skip"] + counts["keep"] + counts["duplicate"]
    list_import.unmatched = counts["unmatched"]
    list_import.finished_at = timezone.now()
    list_import.save()
    return list_import
