"""The model files: a trained model and its index written side by side, their checksums, and
reading them back on any host.

A version is two files in ``MODEL_DIR/recommender/``: ``<version>.npz`` (the model, through
:func:`recommender.algorithms.persistence.save_model`, no pickle) and
``<version>.index.npz`` (database ids of its rows and columns, tag names, categories, adult
flags, franchises, snapshot time, the taste map's layout). Which version is served is the
registry's business (:mod:`recommender.registry`).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings

from mangaki import storage as shared
from recommender.algorithms.persistence import atomic_write, load_model, save_model
from recommender.models import TrainingRun

if TYPE_CHECKING:
    from recommender.algorithms.ranker import Ranker
    from recommender.layout import MapLayout


def model_dir() -> Path:
    path = Path(settings.MODEL_DIR) / "recommender"
    path.mkdir(parents=True, exist_ok=True)
    return path


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
    layout: MapLayout | None = None  # the taste map's points; None in older models

    def __post_init__(self) -> None:
        self.work_index = {int(w): i for i, w in enumerate(self.work_ids)}
        self.tag_index = {t: j for j, t in enumerate(self.tag_names)}


class ModelFileError(RuntimeError):
    """A model's files are missing, damaged (checksum differs) or cannot be read."""


def index_path(model_path: Path) -> Path:
    return Path(model_path).with_suffix(".index.npz")


def save_bundle(version: str, model, snapshot, work_nsfw: np.ndarray, layout=None) -> Path:
    """Write the model and its index, with the taste map's ``layout`` when there is one
    (each atomically: a reader never sees half a file; the index's checksum covers the
    layout), and return the model's path."""
    path = model_dir() / f"{version}.npz"
    save_model(model, path)
    with atomic_write(index_path(path)) as handle:
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
            **(layout.arrays() if layout is not None else {}),
        )
    # Other hosts fetch the files from the shared storage (none with FILE_STORAGE=local).
    shared.publish(path, shared_name(path))
    shared.publish(index_path(path), shared_name(index_path(path)))
    return path


def shared_name(path: Path) -> str:
    return f"recommender/{Path(path).name}"


def local_model_path(run: TrainingRun) -> Path | None:
    """Where this host reads the run's model file: the recorded path, or with a shared
    storage this host's own MODEL_DIR, fetched (atomically, checksums verified) when the
    copy there is missing or differs from the one recorded at training."""
    if not run.model_path:
        return None
    path = Path(run.model_path)
    if shared.model_storage() is None:
        return path
    path = model_dir() / path.name
    shared.ensure_local(path, shared_name(path), run.model_sha256)
    shared.ensure_local(index_path(path), shared_name(index_path(path)), run.index_sha256)
    return path


def checksums(path: Path) -> tuple[str, str]:
    """sha256 of a model file and of its index."""
    return shared.sha256_of(Path(path)), shared.sha256_of(index_path(path))


def verify_files(run: TrainingRun) -> Path:
    """The run's model path on this host; :class:`ModelFileError` unless its files exist
    and match the checksums recorded when they were written (runs from before checksums:
    existence only)."""
    path = local_model_path(run)
    if path is None or not path.is_file() or not index_path(path).is_file():
        raise ModelFileError(f"the files of model {run.version} are missing")
    if run.model_sha256 or run.index_sha256:
        model_sum, index_sum = checksums(path)
        if (model_sum, index_sum) != (run.model_sha256, run.index_sha256):
            raise ModelFileError(
                f"the files of model {run.version} are damaged (their checksum differs from "
                "the one recorded at training)"
            )
    return path


def load_bundle(run: TrainingRun) -> Bundle:
    """Check the run's files and load them; :class:`ModelFileError` if either fails."""
    from django.utils.dateparse import parse_datetime

    from recommender.layout import MapLayout

    path = verify_files(run)
    try:
        model = load_model(path, mmap=True)  # the item-to-item matrix is shared by processes
        with np.load(index_path(path), allow_pickle=False) as index:
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
                layout=MapLayout.from_arrays(index),
            )
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, TypeError) as error:
        raise ModelFileError(
            f"the files of model {run.version} cannot be read: {type(error).__name__}: {error}"
        ) from error
