"""The list model's pure helpers: per-person standardising, franchise diversity, exploration
places, interleaving little-known works, and a rating model's dense scores
(used by :mod:`recommender.algorithms.ranker`)."""

from __future__ import annotations

import numpy as np


def standardise(scores: np.ndarray) -> np.ndarray:
    """Each row minus its mean, over its standard deviation (constant rows become 0).

    Example::

        >>> standardise(np.array([[1.0, 3.0], [2.0, 2.0]])).tolist()
        [[-1.0, 1.0], [0.0, 0.0]]
    """
    scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    centred = scores - scores.mean(axis=1, keepdims=True)
    spread = centred.std(axis=1, keepdims=True)
    return np.divide(centred, spread, out=np.zeros_like(centred), where=spread > 1e-12)


def diversify(order, groups, max_per_group: int, n: int) -> np.ndarray:
    """The first ``n`` of ``order`` keeping at most ``max_per_group`` items of each group;
    items of a full group move after the others (kept if nothing else remains).

    Example::

        >>> diversify([0, 1, 2, 3], np.array([7, 7, 7, 8]), 2, 3).tolist()
        [0, 1, 3]
    """
    order = np.asarray(order, dtype=np.int64)
    if groups is None or max_per_group is None or len(order) == 0:
        return order[:n]
    labels = np.asarray(groups)[order]
    _, inverse = np.unique(labels, return_inverse=True)
    # Position of each item within its group, in list order.
    seen = np.zeros(inverse.max() + 1, dtype=np.int64)
    rank_in_group = np.empty(len(order), dtype=np.int64)
    for position, group in enumerate(inverse):  # one pass over a short list
        rank_in_group[position] = seen[group]
        seen[group] += 1
    allowed = rank_in_group < max_per_group
    return np.concatenate([order[allowed], order[~allowed]])[:n]


def explore_positions(n: int, every: int) -> list[int]:
    """Where exploration places go in a list of ``n``: the last of every ``every`` places
    (and the list's last place when it is shorter).

    Example::

        >>> explore_positions(24, 20), explore_positions(12, 20), explore_positions(20, 0)
        ([19, 23], [11], [])
    """
    if every <= 0 or n <= 1:
        return []
    return sorted({min(k * every, n) - 1 for k in range(1, -(-n // every) + 1)})


def interleave(main, extra, scores, places, n: int, floor: float) -> np.ndarray:
    """``main`` (best first) with, at each of ``places``, the best remaining ``extra``
    entry when its score reaches ``floor``; ``extra`` also fills the list when ``main``
    runs out.

    Example::

        >>> interleave([0, 1, 2], [5], np.array([3.0, 2.0, 1.0, 0, 0, 0.5]), [2], 3, 0.4)
        array([0, 1, 5])
    """
    main = [int(m) for m in main if m >= 0]
    extra = [int(e) for e in extra if e >= 0]
    out = np.full(n, -1, dtype=np.int64)
    for position in range(n):
        if main and extra and position in places:
            use_extra = scores[extra[0]] >= floor
        else:
            use_extra = not main
        source = extra if use_extra else main
        if source:
            out[position] = source.pop(0)
    return out


def rating_model_scores(model, users, n_items: int) -> np.ndarray:
    """Predicted ratings of ``users`` for every item (dense): the model's own whole-row
    ``predict_users`` when it has one, else ``predict`` over pairs in chunks."""
    users = np.asarray(users, dtype=np.int64)
    if hasattr(model, "predict_users"):
        scores = np.asarray(model.predict_users(users), dtype=np.float64)
        if scores.shape[1] >= n_items:
            return scores[:, :n_items]
        padded = np.zeros((len(users), n_items))
        padded[:, : scores.shape[1]] = scores
        return padded
    out = np.empty((len(users), n_items))
    step = max(1, 2_000_000 // max(n_items, 1))
    items = np.arange(n_items)
    for start in range(0, len(users), step):
        chunk = users[start : start + step]
        pairs_u = np.repeat(chunk, n_items)
        pairs_i = np.tile(items, len(chunk))
        out[start : start + len(chunk)] = np.asarray(
            model.predict(pairs_u, pairs_i), dtype=np.float64
        ).reshape(len(chunk), n_items)
    return out
