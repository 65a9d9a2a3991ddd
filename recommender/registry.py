"""The model registry: versioned model files, which one is active, activation and rollback.

Activation is one transaction flipping ``is_active``; serving processes notice the new
version through a short-lived cache entry and load its files once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from mangaki.heap import freeze_long_lived
from recommender.models import RunStatus, TrainingRun

if TYPE_CHECKING:
    from recommender.algorithms.ranker import Ranker

logger = logging.getLogger(__name__)
ACTIVE_KEY = "recommender:active-version"


def model_dir() -> Path:
    path = Path(settings.MODEL_DIR) / "recommender"
    path.mkdir(parents=True, exist_ok=True)
    return path


def tolerance() -> float:
    return float(getattr(settings, "MODEL_TOLERANCE", 0.02))


def topn_tolerance() -> float:
    return float(getattr(settings, "MODEL_TOPN_TOLERANCE", 0.05))


def stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "TRAINING_STALE_SECONDS", 120))


@dataclass
class Bundle:
    """An active model and the index that maps it to database rows. The site reads it
    through :class:`recommender.facade.ServedModel`, never through the model's attributes."""

    version: str
    model: Ranker
    work_ids: np.ndarray
    user_ids: np.ndarray
    tag_names: list[str]
    work_category: np.ndarray
    work_nsfw: np.ndarray
    snapshot_at: object
    work_group: np.ndarray | None = None  # franchise number of each work

    def __post_init__(self) -> None:
        self.work_index = {int(w): i for i, w in enumerate(self.work_ids)}
        self.tag_index = {t: j for j, t in enumerate(self.tag_names)}


def save_bundle(version: str, model, snapshot, work_nsfw: np.ndarray) -> Path:
    from recommender.algorithms.persistence import save_model

    folder = model_dir()
    save_model(model, folder / f"{version}.npz")
    index = folder / f"{version}.index.npz"
    with open(index, "wb") as handle:
        np.savez(
            handle,
            work_ids=snapshot.work_ids,
            user_ids=snapshot.user_ids,
            tag_names=np.array(snapshot.tag_names, dtype=np.str_),
            work_category=snapshot.work_category,
            work_nsfw=work_nsfw,
            snapshot_at=np.array(snapshot.taken_at.isoformat()),
            work_group=(
                snapshot.work_group
                if snapshot.work_group is not None
                else np.arange(len(snapshot.work_ids))
            ),
        )
    return folder / f"{version}.npz"


def load_bundle(run: TrainingRun) -> Bundle:
    from django.utils.dateparse import parse_datetime

    from recommender.algorithms.persistence import load_model

    path = Path(run.model_path)
    model = load_model(path, mmap=True)  # the item-to-item matrix is shared between processes
    with np.load(path.with_suffix(".index.npz"), allow_pickle=False) as index:
        return Bundle(
            version=run.version,
            model=model,
            work_ids=index["work_ids"],
            user_ids=index["user_ids"],
            tag_names=[str(t) for t in index["tag_names"]],
            work_category=index["work_category"],
            work_nsfw=index["work_nsfw"],
            snapshot_at=parse_datetime(str(index["snapshot_at"])),
            work_group=index["work_group"] if "work_group" in index.files else None,
        )


_loaded: dict[str, Bundle] = {}
_load_lock = threading.Lock()


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
    """The active model, loaded once per process and version; None before any training."""
    version = active_version()
    if version is None:
        return None
    bundle = _loaded.get(version)
    if bundle is None:
        with _load_lock:
            bundle = _loaded.get(version)
            if bundle is None:
                run = TrainingRun.objects.get(version=version)
                bundle = load_bundle(run)
                _loaded.clear()  # keep one model in memory per process
                _loaded[version] = bundle
                freeze_long_lived()  # warm now: keep the model out of later collections
    return bundle


def activate(run: TrainingRun, reason: str) -> None:
    with transaction.atomic():
        TrainingRun.objects.filter(is_active=True).exclude(pk=run.pk).update(is_active=False)
        run.is_active = True
        run.status = RunStatus.SUCCEEDED
        run.reason = reason
        run.save(update_fields=["is_active", "status", "reason"])
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
    if refusals:
        run.status = RunStatus.REJECTED
        run.reason = f"{'; '.join(refusals)} (active model {current.version}); kept, not activated"
        run.save(update_fields=["status", "reason"])
        return False
    summary = f"RMSE {new:.4f} vs {old:.4f}"
    if new_recall is not None:
        summary += f", top-20 recall {new_recall:.4f}"
        if old_recall is not None:
            summary += f" vs {old_recall:.4f}"
    activate(run, f"{summary} for {current.version} (tolerance {tolerance():.0%})")
    return True


def rollback(version: str | None = None) -> TrainingRun:
    """Reactivate a previous model (the newest one before the active one by default)."""
    runs = TrainingRun.objects.exclude(model_path="").filter(
        status__in=[RunStatus.SUCCEEDED, RunStatus.REJECTED]
    )
    if version:
        target = runs.filter(version=version).first()
        if target is None:
            raise ValueError(f"no trained model has version {version!r}")
    else:
        current = runs.filter(is_active=True).first()
        older = runs.filter(is_active=False)
        if current is not None:
            older = older.filter(started_at__lt=current.started_at)
        target = older.order_by("-started_at").first()
        if target is None:
            raise ValueError("there is no earlier model to roll back to")
    if not Path(target.model_path).is_file():
        raise ValueError(f"the files of model {target.version} are gone")
    activate(target, "rolled back by hand")
    return target


def reap_stale_runs() -> int:
    """Mark as failed the runs whose process died (no heartbeat for a while)."""
    limit = timezone.now() - stale_after()
    return TrainingRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=limit).update(
        status=RunStatus.FAILED,
        error="the training process stopped sending heartbeats (killed or crashed)",
        finished_at=timezone.now(),
    )
