"""The model registry: which model version is active, activation, fallback and rollback.

Activation is one transaction flipping ``is_active``; serving processes notice the new
version through a short-lived cache entry and load its files once. The files themselves
(writing, checksums, loading) are :mod:`recommender.model_files`.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from mangaki.heap import freeze_long_lived
from mangaki.memo import VersionedMemo
from recommender.model_files import Bundle, ModelFileError, index_path, load_bundle, verify_files
from recommender.models import ModelEvent, RunStatus, TrainingRun
from recommender.pruning import tidy_local_copies

logger = logging.getLogger(__name__)
ACTIVE_KEY = "recommender:active-version"


def tolerance() -> float:
    return float(getattr(settings, "MODEL_TOLERANCE", 0.02))


def topn_tolerance() -> float:
    return float(getattr(settings, "MODEL_TOPN_TOLERANCE", 0.05))


def stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "TRAINING_STALE_SECONDS", 120))


# One loaded model per process, by version.
_loaded: VersionedMemo[Bundle] = VersionedMemo("recommender.bundles", keep=1)
# Versions whose files failed in this process, with when: not retried on every request.
_failed_loads: VersionedMemo[float] = VersionedMemo("recommender.failed_loads", keep=None)
RETRY_FAILED_LOAD = 60.0


def active_version() -> str | None:
    version = cache.get(ACTIVE_KEY)
    if version is None:
        version = (
            TrainingRun.objects.filter(is_active=True).values_list("version", flat=True).first()
            or ""
        )
        cache.set(ACTIVE_KEY, version, 30)
    return version or None


def active_bundle() -> Bundle | None:
    """The active model, loaded once per process and version; None before any training.

    If the active model's files are missing or damaged, the failure is recorded on its run
    (the dashboard shows it) and the newest earlier model whose files check out is
    activated instead; with none left, None (pages serve without recommendations)."""
    version = active_version()
    if version is None:
        return None
    bundle = _loaded.get(version)
    if bundle is not None:
        return bundle
    with _loaded.lock:
        bundle = _loaded.get(version)
        if bundle is not None:
            return bundle
        if _failed_recently(version):
            # Another model may have been activated since, by this process or another.
            version = (
                TrainingRun.objects.filter(is_active=True).values_list("version", flat=True).first()
            )
            if version is None or _failed_recently(version):
                return None
            bundle = _loaded.get(version)
            if bundle is not None:
                return bundle
        run = TrainingRun.objects.filter(version=version).first()
        if run is None:
            return None
        try:
            bundle = load_bundle(run)
        except ModelFileError as error:
            logger.error("Active model %s cannot be served: %s", version, error)
            _failed_loads.put(version, time.monotonic())
            TrainingRun.objects.filter(pk=run.pk).update(load_error=str(error)[:2000])
            return _fall_back(run, str(error))
        _failed_loads.discard(version)
        _loaded.put(version, bundle)  # keeps one model in memory per process
        freeze_long_lived()  # warm now: keep the model out of later collections
        _tidy_local_copies(version)
    return bundle


def _tidy_local_copies(loaded: str) -> None:
    """A host that loads a new model deletes its copies of versions pruned since (a web
    host never trains, so nothing else would); a failure only leaves the files there."""
    try:
        tidy_local_copies(loaded)
    except OSError as error:
        logger.error("Could not delete this host's copies of pruned models: %s", error)


def forget_loaded() -> None:
    """Drop this process's loaded models and load failures (tests; after restoring files)."""
    _loaded.clear()
    _failed_loads.clear()


def _failed_recently(version: str) -> bool:
    failed_at = _failed_loads.get(version)
    return failed_at is not None and time.monotonic() - failed_at < RETRY_FAILED_LOAD


def _fall_back(broken: TrainingRun, error: str) -> Bundle | None:
    """Activate and load the newest earlier model whose files check out."""
    for candidate in _candidates(exclude=broken):
        try:
            bundle = load_bundle(candidate)
        except ModelFileError as failure:
            TrainingRun.objects.filter(pk=candidate.pk).update(load_error=str(failure)[:2000])
            continue
        activate(
            candidate,
            f"activated automatically: the files of {broken.version} failed ({error[:300]})",
            verify=False,
            keep_note=True,
        )
        _loaded.put(candidate.version, bundle)
        return bundle
    logger.error("No model can be served: every model's files failed")
    return None


def _candidates(exclude: TrainingRun | None = None):
    runs = TrainingRun.objects.exclude(model_path="").filter(
        status__in=[RunStatus.SUCCEEDED, RunStatus.REJECTED], load_error=""
    )
    if exclude is not None:
        runs = runs.exclude(pk=exclude.pk).filter(started_at__lt=exclude.started_at)
    return runs.order_by("-started_at")


def activate(
    run: TrainingRun, reason: str, verify: bool = True, keep_note: bool = False, by: str = ""
) -> None:
    """Make ``run`` the served model (one transaction) and record it as a
    :class:`ModelEvent` with ``reason``. Its files are checked first:
    :class:`ModelFileError` if they are missing or damaged. ``reason`` also becomes the
    run's note unless ``keep_note`` (an activation after the training decided it, not a
    later one by hand or by the fallback, which would overwrite why the run was kept)."""
    if verify:
        try:
            verify_files(run)
        except ModelFileError as error:
            TrainingRun.objects.filter(pk=run.pk).update(load_error=str(error)[:2000])
            raise
    with transaction.atomic():
        previous = (
            TrainingRun.objects.select_for_update()
            .filter(is_active=True)
            .exclude(pk=run.pk)
            .values_list("version", flat=True)
            .first()
        )
        TrainingRun.objects.filter(is_active=True).exclude(pk=run.pk).update(is_active=False)
        run.is_active = True
        run.status = RunStatus.SUCCEEDED
        if not keep_note:
            run.reason = reason
        run.load_error = ""
        run.save(update_fields=["is_active", "status", "reason", "load_error"])
        ModelEvent.objects.create(run=run, previous=previous or "", note=reason, by=by)
    cache.delete(ACTIVE_KEY)
    logger.info("Model %s is active: %s", run.version, reason)


def decide(run: TrainingRun) -> bool:
    """Activate ``run`` unless it is worse than the active model beyond the tolerances:
    its held-out RMSE (the predicted choice) or its top-N recall@20 (the lists)."""
    current = TrainingRun.objects.filter(is_active=True).exclude(pk=run.pk).first()
    new = run.metrics.get("rmse")
    if current is None or current.metrics.get("rmse") is None:
        activate(run, "first model" if current is None else "the active model has no metrics")
        return True
    old = current.metrics["rmse"]
    refusals = worse_than(run, current)
    if refusals:
        run.status = RunStatus.REJECTED
        run.reason = f"{'; '.join(refusals)} (active model {current.version}); kept, not activated"
        run.save(update_fields=["status", "reason"])
        return False
    old_recall, new_recall = current.metrics.get("recall_at_20"), run.metrics.get("recall_at_20")
    summary = f"RMSE {new:.4f} vs {old:.4f}"
    if new_recall is not None:
        summary += f", top-20 recall {new_recall:.4f}"
        if old_recall is not None:
            summary += f" vs {old_recall:.4f}"
    activate(run, f"{summary} for {current.version} (tolerance {tolerance():.0%})")
    return True


def worse_than(run: TrainingRun, current: TrainingRun) -> list[str]:
    """Why ``run`` is worse than ``current`` beyond the tolerances (empty if it is not):
    its held-out RMSE (the predicted choice) or its top-N recall@20 (the lists)."""
    new, old = run.metrics.get("rmse"), current.metrics.get("rmse")
    if old is None:
        return []
    refusals = []
    if new is None or new > old * (1 + tolerance()):
        shown = "none" if new is None else f"{new:.4f}"
        refusals.append(
            f"RMSE {shown} is worse than the active model's {old:.4f} beyond the "
            f"{tolerance():.0%} tolerance"
        )
    old_recall, new_recall = current.metrics.get("recall_at_20"), run.metrics.get("recall_at_20")
    if old_recall is not None and (
        new_recall is None or new_recall < old_recall * (1 - topn_tolerance())
    ):
        shown = "none" if new_recall is None else f"{new_recall:.4f}"
        refusals.append(
            f"top-20 recall {shown} is below the active model's {old_recall:.4f} beyond the "
            f"{topn_tolerance():.0%} tolerance"
        )
    return refusals


class WorseModel(ValueError):
    """Activating this model by hand would serve a worse one; ``reasons`` say how."""

    def __init__(self, run: TrainingRun, reasons: list[str]) -> None:
        super().__init__(f"model {run.version}: {'; '.join(reasons)}")
        self.run, self.reasons = run, reasons


def can_activate(run: TrainingRun) -> bool:
    """Whether ``run`` could be served now, as far as can be told without reading its
    files: trained, not active, its files present and never failed to load."""
    return (
        not run.is_active
        and run.status in (RunStatus.SUCCEEDED, RunStatus.REJECTED)
        and bool(run.model_path)
        and not run.load_error
        and Path(run.model_path).is_file()
        and index_path(Path(run.model_path)).is_file()
    )


def switch_to(version: str, by: str = "", force: bool = False) -> TrainingRun:
    """Activate the model ``version`` by hand, older (roll back) or newer (roll forward)
    than the active one. Its files must check out and load (``ValueError`` otherwise), and
    a model worse than the active one beyond the tolerances is refused with
    :class:`WorseModel` unless ``force``. The runs' notes are kept; the change is a
    :class:`ModelEvent`."""
    target = TrainingRun.objects.filter(version=version).exclude(model_path="").first()
    if target is None or target.status not in (RunStatus.SUCCEEDED, RunStatus.REJECTED):
        raise ValueError(f"no trained model has version {version!r}")
    current = TrainingRun.objects.filter(is_active=True).first()
    if current is not None and current.pk == target.pk:
        raise ValueError(f"model {version} is already active")
    try:
        load_bundle(target)  # the files must check out and load, before anything changes
    except ModelFileError as error:
        TrainingRun.objects.filter(pk=target.pk).update(load_error=str(error)[:2000])
        raise ValueError(f"model {version} cannot be served: {error}") from error
    reasons = worse_than(target, current) if current is not None else []
    if reasons and not force:
        raise WorseModel(target, reasons)
    if current is None:
        what = "activated by hand"
    elif target.started_at < current.started_at:
        what = f"rolled back by hand from {current.version}"
    else:
        what = f"rolled forward by hand from {current.version}"
    if reasons:
        what += f", forced although {'; '.join(reasons)}"
    activate(target, what, verify=False, keep_note=True, by=by)
    return target


def rollback(version: str | None = None) -> TrainingRun:
    """Reactivate a previous model: ``version``, or the newest one before the active one
    whose files check out. Raises ValueError with the reason when there is none."""
    runs = TrainingRun.objects.exclude(model_path="").filter(
        status__in=[RunStatus.SUCCEEDED, RunStatus.REJECTED]
    )
    if version:
        target = runs.filter(version=version).first()
        if target is None:
            raise ValueError(f"no trained model has version {version!r}")
        try:
            load_bundle(target)  # the files must check out and load, before anything changes
        except ModelFileError as error:
            TrainingRun.objects.filter(pk=target.pk).update(load_error=str(error)[:2000])
            raise ValueError(f"model {version} cannot be served: {error}") from error
        activate(target, "rolled back by hand", verify=False, keep_note=True)
        return target
    current = runs.filter(is_active=True).first()
    older = runs.filter(is_active=False)
    if current is not None:
        older = older.filter(started_at__lt=current.started_at)
    skipped = []
    for target in older.order_by("-started_at"):
        try:
            load_bundle(target)
        except ModelFileError as error:
            TrainingRun.objects.filter(pk=target.pk).update(load_error=str(error)[:2000])
            skipped.append(target.version)
            continue
        activate(target, "rolled back by hand", verify=False, keep_note=True)
        return target
    if skipped:
        raise ValueError(
            "there is no earlier model whose files check out (damaged or missing: "
            f"{', '.join(skipped)})"
        )
    raise ValueError("there is no earlier model to roll back to")


def reap_stale_runs() -> int:
    """Mark as failed the runs whose process died (no heartbeat for a while)."""
    limit = timezone.now() - stale_after()
    return TrainingRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=limit).update(
        status=RunStatus.FAILED,
        error="the training process stopped sending heartbeats (killed or crashed)",
        finished_at=timezone.now(),
    )
