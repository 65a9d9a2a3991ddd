"""The BALSE paper's evaluation protocol.

For each of ``n_folds`` folds (random K-fold on the ratings, or MovieLens' official
u1..u5 splits):

1. a random ``cold_fraction`` (5%) of the rated works become cold-start works: all their
   ratings are removed from training (their test ratings stay in the test set);
2. models that take a validation set (BALSE's gate) get ``validation_fraction`` (30%) of
   the remaining training ratings as validation, the rest as training;
3. predictions are clipped to the rating scale and scored: RMSE on the whole test set,
   on little-known works (fewer than ``little_known`` = 3 training ratings, cold-start
   works included) and on cold-start works; MAE; precision/recall/nDCG at 10 with the
   scale's relevance threshold; fit and predict wall-clock time.

Seeds are fixed: fold assignment, cold-start works and validation split derive from
``seed``; each model gets ``random_state = seed + fold``.

Example::

    >>> from recommender.evaluation.datasets import from_arrays
    >>> data = from_arrays(np.arange(40) % 8, np.arange(40) % 5, np.ones(40))
    >>> folds = make_folds(data, n_folds=2, seed=0, cold_fraction=0.2)
    >>> len(folds), len(folds[0].cold_items)
    (2, 1)
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from recommender.evaluation import metrics

logger = logging.getLogger(__name__)

METRICS = (
    "rmse",
    "rmse_little_known",
    "rmse_cold_start",
    "mae",
    "precision_at_10",
    "recall_at_10",
    "ndcg_at_10",
    "ranked_users",
    "fit_seconds",
    "predict_seconds",
)


@dataclass(frozen=True)
class Fold:
    """Indices into the dataset's rating triples for one fold."""

    number: int
    train: np.ndarray  # cold-start works' ratings already removed
    test: np.ndarray
    cold_items: np.ndarray


SPLITS = ("random", "temporal")


def make_folds(
    dataset,
    n_folds: int = 5,
    seed: int = 0,
    cold_fraction: float = 0.05,
    official: bool = False,
    split: str = "random",
    test_fraction: float = 0.2,
) -> list[Fold]:
    """Split the dataset's ratings into folds with held-out cold-start works.

    ``official=True`` uses ``dataset.folds`` (MovieLens u1..u5) instead of random folds;
    ``split="temporal"`` makes one fold whose test set is each user's latest
    ``test_fraction`` of ratings (by timestamp; a user with a single rating keeps it for
    training), the question a live site faces: predict what comes next from what came
    before.
    """
    ratings = dataset.ratings
    rng = np.random.default_rng(seed)
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}")
    if split == "temporal":
        from recommender.evaluation.topn import _latest

        if ratings.times is None:
            raise ValueError("the temporal split needs a timestamp for every rating")
        test = _latest(ratings.users, ratings.times, test_fraction)
        splits = [(np.flatnonzero(~test), np.flatnonzero(test))]
    elif official:
        if not dataset.folds:
            raise ValueError("this dataset has no official folds")
        splits = [(np.asarray(tr), np.asarray(te)) for tr, te in dataset.folds[:n_folds]]
    else:
        if n_folds < 2 or n_folds > max(ratings.nnz, 2):
            raise ValueError("n_folds must be between 2 and the number of ratings")
        assignment = rng.permutation(ratings.nnz) % n_folds
        splits = [
            (np.flatnonzero(assignment != f), np.flatnonzero(assignment == f))
            for f in range(n_folds)
        ]
    rated = np.flatnonzero(ratings.item_counts() > 0)
    n_cold = int(round(cold_fraction * len(rated)))
    folds = []
    for number, (train, test) in enumerate(splits):
        cold = np.sort(rng.choice(rated, size=n_cold, replace=False))
        train = train[~np.isin(ratings.items[train], cold)]
        folds.append(Fold(number, np.sort(train), np.sort(test), cold))
    return folds


def takes_validation(model) -> bool:
    """Whether ``model.fit`` accepts a ``validation`` argument (BALSE's gate does)."""
    return "validation" in inspect.signature(model.fit).parameters


def fit_model(model, train, item_features, validation_fraction: float, rng):
    """Fit, giving a random ``validation_fraction`` of ``train`` as validation if wanted."""
    if "validation_fraction" in model.get_params():
        # Models that split off their own validation set (BALSE, Blend) use the protocol's.
        model.set_params(validation_fraction=validation_fraction)
    if takes_validation(model) and validation_fraction > 0 and train.nnz > 1:
        held = rng.random(train.nnz) < validation_fraction
        return model.fit(train.subset(~held), item_features, validation=train.subset(held))
    return model.fit(train, item_features)


def score_fold(
    dataset,
    fold: Fold,
    predictions: np.ndarray,
    little_known: int = metrics.LITTLE_KNOWN,
    min_items: int | None = None,
) -> dict:
    """All quality metrics of one fold's test predictions (already clipped); the rating
    errors and their slices are :func:`metrics.rating_errors`'s."""
    ratings = dataset.ratings
    users, items = ratings.users[fold.test], ratings.items[fold.test]
    truth = ratings.values[fold.test].astype(np.float64)
    train_counts = np.bincount(ratings.items[fold.train], minlength=ratings.n_items)
    cold = np.isin(items, fold.cold_items)
    ranking = metrics.ranking_metrics(
        users, items, truth, predictions, k=10, threshold=dataset.scale.relevance,
        min_items=min_items,
    )  # fmt: skip
    errors = metrics.rating_errors(truth, predictions, train_counts[items], cold, little_known)
    return {
        **errors,
        "precision_at_10": ranking["precision"],
        "recall_at_10": ranking["recall"],
        "ndcg_at_10": ranking["ndcg"],
        "ranked_users": ranking["n_users"],
    }


def predict_fold(
    factory: Callable, dataset, fold: Fold, seed: int = 0, validation_fraction: float = 0.3
) -> tuple[np.ndarray, float, float]:
    """Fit ``factory(random_state)`` on the fold's training ratings and predict its test
    pairs (clipped to the scale): ``(predictions, fit seconds, predict seconds)``. Only
    the training ratings' values reach the model (the leakage canary checks it)."""
    ratings = dataset.ratings
    in_train = np.zeros(ratings.nnz, dtype=bool)
    in_train[fold.train] = True
    train = ratings.subset(in_train)
    model = factory(seed + fold.number)
    rng = np.random.default_rng([seed, fold.number])
    start = time.perf_counter()
    fit_model(model, train, dataset.item_features, validation_fraction, rng)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    predictions = model.predict(ratings.users[fold.test], ratings.items[fold.test])
    predict_seconds = time.perf_counter() - start
    predictions = np.clip(
        np.asarray(predictions, np.float64), dataset.scale.low, dataset.scale.high
    )
    return predictions, fit_seconds, predict_seconds


def evaluate_fold(
    factory: Callable,
    dataset,
    fold: Fold,
    seed: int = 0,
    validation_fraction: float = 0.3,
    little_known: int = metrics.LITTLE_KNOWN,
    min_items: int | None = None,
) -> dict:
    """Fit ``factory(random_state)`` on the fold's training ratings and score its test set."""
    predictions, fit_seconds, predict_seconds = predict_fold(
        factory, dataset, fold, seed, validation_fraction
    )
    result = score_fold(dataset, fold, predictions, little_known, min_items)
    result.update(fit_seconds=fit_seconds, predict_seconds=predict_seconds)
    return result


def summarise(fold_results: list[dict]) -> dict:
    """Mean and standard deviation over folds of every metric (NaN folds ignored).

    Example::

        >>> summarise([{"rmse": 1.0}, {"rmse": 3.0}])["rmse"]
        {'mean': 2.0, 'std': 1.0}
    """
    summary = {}
    for name in fold_results[0] if fold_results else ():
        values = np.array([r[name] for r in fold_results], dtype=np.float64)
        finite = values[np.isfinite(values)]
        summary[name] = {
            "mean": float(finite.mean()) if len(finite) else float("nan"),
            "std": float(finite.std()) if len(finite) else float("nan"),
        }
    return summary


def run_protocol(
    dataset,
    factories: dict[str, Callable],
    n_folds: int = 5,
    seed: int = 0,
    cold_fraction: float = 0.05,
    validation_fraction: float = 0.3,
    little_known: int = metrics.LITTLE_KNOWN,
    official: bool = False,
    progress: Callable | None = None,
    split: str = "random",
    test_fraction: float = 0.2,
    min_items: int | None = None,
    finished: Callable | None = None,
) -> dict:
    """Run every model on every fold; returns ``{model: {"folds": [...], "summary": {...}}}``.

    ``progress(model_name, fold_number)`` is called after each fitted fold and
    ``finished(results_so_far)`` after each model (the command line writes partial
    results there).
    """
    folds = make_folds(dataset, n_folds, seed, cold_fraction, official, split, test_fraction)
    results = {}
    for name, factory in factories.items():
        per_fold = []
        for fold in folds:
            per_fold.append(
                evaluate_fold(
                    factory, dataset, fold, seed, validation_fraction, little_known, min_items
                )
            )
            logger.info("%s fold %d: rmse %.4f", name, fold.number, per_fold[-1]["rmse"])
            if progress is not None:
                progress(name, fold.number)
        results[name] = {"folds": per_fold, "summary": summarise(per_fold)}
        if finished is not None:
            finished(results)
    return results
