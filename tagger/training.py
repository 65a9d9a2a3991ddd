"""Training the tag head from the site's own works: poster embeddings in, genres out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mangaki.models import TaggedWork, TagSource, Work

from .service import embedding_of


@dataclass
class TagDataset:
    work_ids: np.ndarray
    X: np.ndarray  # embeddings
    Y: np.ndarray  # 0/1, works x tags
    tag_names: list[str]


def build_dataset(min_positives: int = 10) -> TagDataset:
    """Works with a poster embedding and metadata tags; tags with enough examples."""
    works = list(
        Work.objects.filter(poster_embedding__isnull=False)
        .filter(tagged__source=TagSource.METADATA)
        .distinct()
        .order_by("pk")
        .only("pk", "poster_embedding")
    )
    ids = np.array([w.pk for w in works], dtype=np.int64)
    if not works:
        return TagDataset(ids, np.zeros((0, 0), np.float32), np.zeros((0, 0), np.int8), [])
    X = np.stack([embedding_of(w) for w in works])
    pairs = TaggedWork.objects.filter(
        work_id__in=ids.tolist(), source=TagSource.METADATA
    ).values_list("work_id", "tag__name")
    row = {pk: i for i, pk in enumerate(ids.tolist())}
    names = sorted({name for _, name in pairs})
    column = {n: j for j, n in enumerate(names)}
    Y = np.zeros((len(ids), len(names)), dtype=np.int8)
    for work_id, name in pairs:
        Y[row[work_id], column[name]] = 1
    keep = Y.sum(axis=0) >= min_positives
    return TagDataset(ids, X, Y[:, keep], [n for n, k in zip(names, keep, strict=True) if k])


def split(dataset: TagDataset, held_out: float, seed: int):
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(dataset.work_ids))
    cut = int(round(len(order) * (1 - held_out)))
    return order[:cut], order[cut:]


def mean_auc(report: dict[str, dict[str, float]]) -> float:
    values = [m["auc"] for m in report.values() if np.isfinite(m["auc"])]
    return float(np.mean(values)) if values else float("nan")


def held_out_auc(head, dataset: TagDataset, rows: np.ndarray) -> float:
    """Mean AUC of a head on some rows; NaN when the head knows tags the data lacks."""
    from tagger.vision.head import evaluate

    names = [str(n) for n in head.tag_names_]
    if not set(names) <= set(dataset.tag_names):
        return float("nan")
    columns = [dataset.tag_names.index(n) for n in names]
    return mean_auc(evaluate(head, dataset.X[rows], dataset.Y[rows][:, columns]))
