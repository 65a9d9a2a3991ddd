"""Full-catalogue top-N evaluation: the question a recommendation list answers.

Protocol: a test share of the ratings is held out (``random``: drawn at random;
``temporal``: each person's latest ratings, by timestamp). For each person, every work they
did not rate in training is a candidate; a test rating at or above the scale's relevance
level (4 stars, 8/10, "like" on Mangaki) is relevant. Per person with a relevant test work:

- recall@k = hits in the top k / min(relevant, k); nDCG@k with binary gains;

and over all lists: coverage (share of the catalogue recommended to someone) and novelty
(mean popularity rank, 1 = the most rated work, of what is recommended). With
``cold_fraction`` > 0 a second pass also holds out every rating of that share of the
works and reports recall@k restricted to them (popularity and EASE score 0 there).

Every model fits the same training ratings in the same run: ``popularity`` (training
interaction counts), ``ease`` (binary EASE, its regularisation chosen on held-out
interactions), ``ranker`` (the list model the site serves) and any rating model, whose
lists are its predicted ratings over the catalogue.

Example::

    >>> from recommender.evaluation.datasets import from_arrays
    >>> rng = np.random.default_rng(0)
    >>> data = from_arrays(rng.integers(0, 30, 600), rng.integers(0, 40, 600),
    ...                    rng.integers(1, 6, 600))
    >>> out = run_topn(data, {"popularity": None}, k=5)
    >>> sorted(out["popularity"])[:4]
    ['cold_ndcg', 'cold_recall', 'coverage', 'fit_seconds']
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.topn import recall_ndcg, top_n

logger = logging.getLogger(__name__)

SPLITS = ("random", "temporal")
TOPN_METRICS = ("recall", "ndcg", "coverage", "novelty", "cold_recall", "cold_ndcg")


@dataclass(frozen=True)
class TopNSplit:
    """Boolean masks over the dataset's ratings, and the works held out whole."""

    train: np.ndarray
    test: np.ndarray
    cold_items: np.ndarray


def make_split(dataset, split: str = "random", test_fraction: float = 0.2, seed: int = 0,
               cold_fraction: float = 0.0) -> TopNSplit:  # fmt: skip
    """Hold out ``test_fraction`` of the ratings (at random, or each person's latest), plus
    all ratings of a random ``cold_fraction`` of the rated works.

    Example::

        >>> from recommender.evaluation.datasets import from_arrays
        >>> data = from_arrays([0, 0, 0, 0, 0], [0, 1, 2, 3, 4], [5, 4, 3, 2, 1],
        ...                    timestamps=[5, 4, 3, 2, 1])
        >>> make_split(data, "temporal", 0.4).test.tolist()
        [True, True, False, False, False]
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError("the test fraction must lie strictly between 0 and 1")
    if not 0.0 <= cold_fraction < 1.0:
        raise ValueError("the cold-start fraction must lie in [0, 1)")
    ratings = dataset.ratings
    rng = np.random.default_rng(seed)
    if split == "random":
        test = rng.random(ratings.nnz) < test_fraction
    else:
        if ratings.times is None:
            raise ValueError("the temporal split needs a timestamp for every rating")
        test = _latest(ratings.users, ratings.times, test_fraction)
    rated = np.flatnonzero(ratings.item_counts() > 0)
    n_cold = int(round(cold_fraction * len(rated)))
    cold_items = np.sort(rng.choice(rated, size=n_cold, replace=False)) if n_cold else rated[:0]
    test = test | np.isin(ratings.items, cold_items)
    return TopNSplit(~test, test, cold_items)


def _latest(users, timestamps, fraction: float) -> np.ndarray:
    """Each user's latest ``fraction`` of ratings (rounded, at least one for users with
    two or more, none for users with one); ties keep file order."""
    order = np.lexsort((np.arange(len(users)), timestamps, users))
    sorted_users = users[order]
    start = np.searchsorted(sorted_users, sorted_users, side="left")
    count = np.bincount(users)[sorted_users]
    position = np.arange(len(users)) - start  # 0 = oldest
    n_test = np.where(count >= 2, np.maximum(1, np.round(count * fraction)), 0)
    test = np.zeros(len(users), dtype=bool)
    test[order] = position >= count - n_test
    return test


def _matrix(ratings, mask, values=None) -> sp.csr_matrix:
    data = np.ones(mask.sum()) if values is None else values
    return sp.csr_matrix((data, (ratings.users[mask], ratings.items[mask])), shape=ratings.shape)


def top_lists(model, train, users, k: int, seen: sp.csr_matrix) -> np.ndarray:
    """Top-k lists of ``users`` for one fitted model (``model`` None: the popularity list
    of ``train``), leaving out what each person has ``seen``."""
    if model is None:
        counts = train.item_counts().astype(np.float64)
        return top_n(np.tile(counts, (len(users), 1)), k, exclude=seen[users])
    out = []
    for start in range(0, len(users), 256):  # bounded memory: 256 users x catalogue
        rows = users[start : start + 256]
        if hasattr(model, "top_n"):
            out.append(model.top_n(rows, k, exclude=seen[rows]))
            continue
        if hasattr(model, "score_users"):
            scores = model.score_users(rows)
        else:
            from recommender.algorithms.ranker import rating_model_scores

            scores = rating_model_scores(model, rows, train.n_items)
        out.append(top_n(np.asarray(scores, dtype=np.float64), k, exclude=seen[rows]))
    return np.vstack(out) if out else np.zeros((0, k), dtype=np.int64)


def _fit(factory, train, dataset, seed: int):
    model = factory(seed)
    model.fit(train, dataset.item_features)
    return model


def evaluate_split(
    dataset,
    factories: dict[str, Callable | None],
    split: TopNSplit,
    k: int = 20,
    seed: int = 0,
    progress: Callable | None = None,
    finished: Callable | None = None,
) -> dict:
    """Fit every model on ``split.train`` and score its top-``k`` lists (see the module
    docstring for the metrics); ``factories[name]`` is ``random_state -> estimator``, or
    None for the popularity list. ``finished(results so far)`` follows each model."""
    ratings = dataset.ratings
    train = ratings.subset(split.train)
    seen = _matrix(ratings, split.train)
    liked = split.test & (ratings.values >= dataset.scale.relevance)
    relevant = _matrix(ratings, liked)
    relevant_cold = _matrix(ratings, liked & np.isin(ratings.items, split.cold_items))
    users = np.flatnonzero(np.diff(relevant.indptr) > 0)
    popularity_rank = popularity_ranks(train.item_counts())
    results = {}
    for name, factory in factories.items():
        start = time.perf_counter()
        model = None if factory is None else _fit(factory, train, dataset, seed)
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        lists = top_lists(model, train, users, k, seen)
        rank_seconds = time.perf_counter() - start
        results[name] = score_lists(lists, relevant[users], relevant_cold[users], popularity_rank)
        results[name].update(fit_seconds=fit_seconds, rank_seconds=rank_seconds)
        logger.info("%s: recall@%d %.4f", name, k, results[name]["recall"])
        if progress is not None:
            progress(name)
        if finished is not None:
            finished(results)
    return results


def popularity_ranks(counts) -> np.ndarray:
    """Each item's rank by number of training ratings, 1 = the most rated.

    Example::

        >>> popularity_ranks([3, 9, 1]).tolist()
        [2.0, 1.0, 3.0]
    """
    counts = np.asarray(counts)
    ranks = np.empty(len(counts))
    ranks[np.argsort(-counts, kind="stable")] = np.arange(1, len(counts) + 1)
    return ranks


def score_lists(lists, relevant, relevant_cold, popularity_rank) -> dict:
    """The top-N metrics of ``lists`` (one row per person with a relevant test item)."""
    recall, ndcg = recall_ndcg(lists, relevant)
    cold_recall, cold_ndcg = recall_ndcg(lists, relevant_cold)
    shown = lists[lists >= 0]
    return {
        "recall": _nanmean(recall),
        "ndcg": _nanmean(ndcg),
        "coverage": float(len(np.unique(shown)) / max(len(popularity_rank), 1)),
        "novelty": float(popularity_rank[shown].mean()) if len(shown) else float("nan"),
        "cold_recall": _nanmean(cold_recall),
        "cold_ndcg": _nanmean(cold_ndcg),
        "n_users": int(len(lists)),
        "n_cold_users": int(np.isfinite(cold_recall).sum()),
    }


def _nanmean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("nan")


def run_topn(dataset, factories: dict[str, Callable | None], k: int = 20, split: str = "random",
             test_fraction: float = 0.2, seed: int = 0, cold_fraction: float = 0.0,
             progress: Callable | None = None, finished: Callable | None = None,
             ) -> dict:  # fmt: skip
    """The protocol on one split; with ``cold_fraction`` a second pass holding out that
    share of the works adds ``cold_recall`` / ``cold_ndcg`` (and the pass's own overall
    figures as ``recall_with_cold`` / ``ndcg_with_cold``) to each model's results."""
    main = make_split(dataset, split, test_fraction, seed)
    results = evaluate_split(dataset, factories, main, k, seed, progress, finished)
    for result in results.values():
        result["cold_recall"] = result["cold_ndcg"] = float("nan")
        result["n_cold_users"] = 0
    if cold_fraction > 0:
        cold = make_split(dataset, split, test_fraction, seed, cold_fraction)
        again = evaluate_split(dataset, factories, cold, k, seed, progress)
        for name, result in results.items():
            result["cold_recall"] = again[name]["cold_recall"]
            result["cold_ndcg"] = again[name]["cold_ndcg"]
            result["n_cold_users"] = again[name]["n_cold_users"]
            result["recall_with_cold"] = again[name]["recall"]
            result["ndcg_with_cold"] = again[name]["ndcg"]
    return results
