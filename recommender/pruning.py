"""Old model versions' files deleted, so that nightly training does not fill the disks.

Kept: the active model, the newest earlier one (what a rollback picks) and the
``MODEL_KEEP`` newest trained models. The others lose their files in this host's MODEL_DIR
and in the shared storage, and their run's ``model_path`` (rollback and switching then skip
them); the run itself, its figures and its events stay. With a shared storage every host
keeps its own copy of the models it served: a host removes its copies of pruned versions
when it loads a new model (:func:`tidy_local_copies`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings

from mangaki import storage as shared
from recommender import model_files
from recommender.models import RunStatus, TrainingRun

logger = logging.getLogger(__name__)
SERVABLE = (RunStatus.SUCCEEDED, RunStatus.REJECTED)


def keep_count() -> int:
    return max(1, int(getattr(settings, "MODEL_KEEP", 5)))


def kept_versions(keep: int) -> set[str]:
    """The versions whose files stay: the ``keep`` newest servable runs, the active one and
    the newest servable run started before it."""
    servable = TrainingRun.objects.exclude(model_path="").filter(status__in=SERVABLE)
    kept = set(servable.order_by("-started_at", "-pk").values_list("version", flat=True)[:keep])
    active = servable.filter(is_active=True).first()
    if active is not None:
        kept.add(active.version)
        earlier = servable.filter(is_active=False, started_at__lt=active.started_at)
        previous = earlier.order_by("-started_at", "-pk").first()
        if previous is not None:
            kept.add(previous.version)
    return kept


def _files(version: str) -> list[Path]:
    path = model_files.model_dir() / f"{version}.npz"
    return [path, model_files.index_path(path)]


def prune_models(keep: int | None = None, dry_run: bool = False) -> list[str]:
    """Delete the files of every model not kept; the versions pruned, oldest first.

    A run's ``model_path`` is cleared before its files go (only while it is not active:
    a version activated meanwhile is left alone), so no host starts loading files that
    are being deleted."""
    keep = keep_count() if keep is None else max(1, keep)
    kept = kept_versions(keep)
    candidates = (
        TrainingRun.objects.exclude(model_path="")
        .exclude(status=RunStatus.RUNNING)
        .exclude(version__in=kept)
        .order_by("started_at", "pk")
    )
    if dry_run:
        return list(candidates.values_list("version", flat=True))
    pruned = []
    storage = shared.model_storage()
    for run in candidates:
        if not TrainingRun.objects.filter(pk=run.pk, is_active=False).update(model_path=""):
            continue
        recorded = Path(run.model_path)
        for path in {*_files(run.version), recorded, model_files.index_path(recorded)}:
            path.unlink(missing_ok=True)
        if storage is not None:
            _delete_shared(storage, run.version)
        pruned.append(run.version)
    if pruned:
        logger.info("Pruned the files of %d model(s): %s", len(pruned), ", ".join(pruned))
    return pruned


def _delete_shared(storage, version: str) -> None:
    for path in _files(version):
        try:
            storage.delete(model_files.shared_name(path))
        except OSError as error:  # the storage is away: the copy stays there
            logger.error("Could not delete the shared copy of %s: %s", path.name, error)


def tidy_local_copies(loaded: str | None = None) -> list[Path]:
    """Delete this host's copies of pruned versions (their run has no files any more);
    ``loaded``, the version this host just loaded, is not looked up."""
    directory = model_files.model_dir()
    versions = {
        path.name.removesuffix(".index.npz").removesuffix(".npz")
        for path in directory.glob("*.npz")
    } - {loaded}
    if not versions:
        return []
    pruned = set(
        TrainingRun.objects.filter(version__in=sorted(versions), model_path="")
        .exclude(status=RunStatus.RUNNING)
        .values_list("version", flat=True)
    )
    removed = []
    for version in sorted(pruned):
        for path in _files(version):
            if path.exists():
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed
