"""Pure metric functions: rating error and ranking quality at k.

Ranking metrics rank each user's *test* items by predicted score (ties broken by item
index) and call a test item relevant when its true rating is ``>= threshold``; the
threshold is the dataset scale's relevance level (4 on 1-5 stars, 8 on 1-10, 2 = "like"
on Mangaki's scale). Only users with at least ``min_items`` test items are ranked
(default ``k + 1``): with ``k`` or fewer, every one of them is in the top ``k`` whatever the
model does, so precision and recall would measure the data, not the model (on data where
most users have one test rating, recall@10 would be near 1 for any model). How many users
were ranked is returned as ``n_users``. Per ranked user, then averaged over them:

- precision@k = relevant items among the top ``min(k, n_u)`` / ``min(k, n_u)``, over users
  with at least one test rating (``n_u`` = the user's number of test items);
- recall@k = relevant items in the top k / relevant test items, over users with at least
  one relevant test item;
- nDCG@k with binary gains ``1 / log2(rank + 1)``, normalised by the ideal ordering, over
  users with at least one relevant test item.

Example::

    >>> rmse([1.0, 2.0], [1.0, 4.0]).round(4)
    np.float64(1.4142)
"""

from __future__ import annotations

import numpy as np


def rmse(y_true, y_pred) -> np.float64:
    """Root mean squared error (NaN on empty input).

    Example::

        >>> float(rmse([3, 4], [3, 2]))
        1.4142135623730951
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return np.float64(np.sqrt(np.mean((y_true - y_pred) ** 2)) if len(y_true) else np.nan)


def mae(y_true, y_pred) -> np.float64:
    """Mean absolute error (NaN on empty input).

    Example::

        >>> float(mae([3, 4], [3, 2]))
        1.0
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return np.float64(np.mean(np.abs(y_true - y_pred)) if len(y_true) else np.nan)


#: A work with fewer training ratings than this is *little-known* (BALSE paper).
LITTLE_KNOWN = 3


def rating_errors(
    y_true, y_pred, train_counts, cold, little_known: int = LITTLE_KNOWN
) -> dict[str, float | int]:
    """RMSE and MAE of held-out predictions, on the whole set and on two slices: the one
    definition of the evaluation protocol and of the site's training figures.

    - *little-known*: test ratings of works with fewer than ``little_known`` training
      ratings (``train_counts``, one per test rating), **cold-start works included** (they
      have none), as in the BALSE paper;
    - *cold-start*: test ratings of works held out whole (``cold``, a boolean mask).

    An empty slice gives NaN and a count of 0.

    Example::

        >>> errors = rating_errors([2, 4, 0], [2, 2, 1], [10, 1, 0], [False, False, True])
        >>> errors["n_little_known"], round(errors["rmse_little_known"], 4)
        (2, 1.5811)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    little = np.asarray(train_counts).ravel() < little_known
    cold = np.asarray(cold, dtype=bool).ravel()
    if little.shape != y_true.shape or cold.shape != y_true.shape:
        raise ValueError("train_counts and cold need one entry per test rating")
    return {
        "rmse": float(rmse(y_true, y_pred)),
        "rmse_little_known": float(rmse(y_true[little], y_pred[little])),
        "rmse_cold_start": float(rmse(y_true[cold], y_pred[cold])),
        "mae": float(mae(y_true, y_pred)),
        "n_test": int(len(y_true)),
        "n_little_known": int(little.sum()),
        "n_cold_start": int(cold.sum()),
    }


def _pair(y_true, y_pred):
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError("y_true and y_pred must have the same length")
    return y_true, y_pred


def ranking_metrics(
    users, items, y_true, y_pred, k: int = 10, threshold: float = 4.0, min_items: int | None = None
) -> dict:
    """precision@k, recall@k and nDCG@k averaged over users with at least ``min_items``
    test items (default ``k + 1``), and ``n_users``, how many (see the module docstring).

    Example::

        >>> out = ranking_metrics([0, 0, 0, 1], [0, 1, 2, 0], [5, 1, 4, 5], [0.9, 0.8, 0.1, 1],
        ...                       k=2)
        >>> round(out["precision"], 3), round(out["recall"], 3), round(out["ndcg"], 3)
        (0.5, 0.5, 0.613)
        >>> out["n_users"]  # user 1 has a single test item: not ranked
        1
    """
    users = np.asarray(users, dtype=np.int64).ravel()
    items = np.asarray(items, dtype=np.int64).ravel()
    y_true, y_pred = _pair(y_true, y_pred)
    min_items = int(k) + 1 if min_items is None else int(min_items)
    if len(users):
        _, user = np.unique(users, return_inverse=True)
        enough = np.bincount(user)[user] >= min_items
        users, items, y_true, y_pred = users[enough], items[enough], y_true[enough], y_pred[enough]
    if len(users) == 0:
        return {"precision": np.nan, "recall": np.nan, "ndcg": np.nan, "n_users": 0}
    _, user = np.unique(users, return_inverse=True)
    n_users = int(user.max()) + 1
    order = np.lexsort((items, -y_pred, user))
    user, relevant = user[order], (y_true[order] >= threshold).astype(np.float64)
    rank = np.arange(len(user)) - np.searchsorted(user, user, side="left")  # 0-based
    n_test = np.bincount(user, minlength=n_users)
    n_relevant = np.bincount(user, relevant, minlength=n_users)
    top = rank < k
    hits = np.bincount(user[top], relevant[top], minlength=n_users)
    discount = 1.0 / np.log2(rank + 2.0)
    dcg = np.bincount(user[top], (relevant * discount)[top], minlength=n_users)
    # Ideal DCG: all relevant items first, i.e. the sum of the first min(k, n_rel) discounts.
    prefix = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(k) + 2.0))])
    ideal = prefix[np.minimum(n_relevant, k).astype(np.int64)]
    has_relevant = n_relevant > 0
    precision = hits / np.minimum(n_test, k)
    return {
        "precision": float(precision.mean()),
        "recall": _mean_where(hits / np.maximum(n_relevant, 1), has_relevant),
        "ndcg": _mean_where(dcg / np.where(ideal > 0, ideal, 1.0), has_relevant),
        "n_users": n_users,
    }


def _mean_where(values: np.ndarray, mask: np.ndarray) -> float:
    return float(values[mask].mean()) if mask.any() else float("nan")


def precision_at_k(
    users, items, y_true, y_pred, k: int = 10, threshold: float = 4.0, min_items: int | None = None
) -> float:
    """Mean precision@k over users. Example: see :func:`ranking_metrics`."""
    return ranking_metrics(users, items, y_true, y_pred, k, threshold, min_items)["precision"]


def recall_at_k(
    users, items, y_true, y_pred, k: int = 10, threshold: float = 4.0, min_items: int | None = None
) -> float:
    """Mean recall@k over users with a relevant test item."""
    return ranking_metrics(users, items, y_true, y_pred, k, threshold, min_items)["recall"]


def ndcg_at_k(
    users, items, y_true, y_pred, k: int = 10, threshold: float = 4.0, min_items: int | None = None
) -> float:
    """Mean binary-gain nDCG@k over users with a relevant test item."""
    return ranking_metrics(users, items, y_true, y_pred, k, threshold, min_items)["ndcg"]
