"""Top-N lists over a whole catalogue: selection with exclusions, and held-out recall.

Pure functions shared by the interaction models (which choose their hyper-parameters by
the recall of held-out interactions) and the evaluation protocol.

Example::

    >>> scores = np.array([[0.1, 0.9, 0.5], [0.3, 0.2, 0.1]])
    >>> top_n(scores, 2, exclude=sp.csr_matrix([[0, 1, 0], [0, 0, 0]])).tolist()
    [[2, 0], [0, 1]]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def top_n(scores: np.ndarray, n: int, exclude: sp.spmatrix | None = None) -> np.ndarray:
    """The ``n`` best columns of each row of ``scores``, best first (ties: lowest index).

    ``exclude`` (same shape, any stored entry) marks columns a row may not return, such as
    the works a person already rated; when fewer than ``n`` columns remain, the row is
    padded with -1. ``scores`` is modified in place where excluded.

    Example::

        >>> top_n(np.array([[3.0, 1.0, 2.0]]), 5).tolist()
        [[0, 2, 1, -1, -1]]
    """
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError("scores must be a 2-d array (rows x items)")
    n_rows, n_items = scores.shape
    if exclude is not None:
        coo = sp.coo_matrix(exclude)
        scores[coo.row, coo.col] = -np.inf
    want = min(int(n), n_items)
    out = np.full((n_rows, int(n)), -1, dtype=np.int64)
    if want <= 0:
        return out
    if want < n_items:
        part = np.argpartition(-scores, want - 1, axis=1)[:, :want]
    else:
        part = np.broadcast_to(np.arange(n_items), (n_rows, n_items)).copy()
    chosen = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -chosen), axis=1)
    best = np.take_along_axis(part, order, axis=1)
    valid = np.isfinite(np.take_along_axis(chosen, order, axis=1))
    out[:, :want] = np.where(valid, best, -1)
    return out


def recall_ndcg(lists: np.ndarray, relevant: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Per-row recall and binary nDCG of top-N ``lists`` against ``relevant`` items.

    recall = hits / min(number relevant, N); nDCG uses gains 1 / log2(rank + 1) normalised
    by the ideal list. Rows without a relevant item get NaN. ``lists`` may hold -1 (no item).

    Example::

        >>> rel = sp.csr_matrix([[0, 1, 1], [0, 0, 0]])
        >>> recall, ndcg = recall_ndcg(np.array([[1, 0], [0, 1]]), rel)
        >>> recall.tolist()[0], round(float(ndcg[0]), 4), bool(np.isnan(recall[1]))
        (0.5, 0.6131, True)
    """
    relevant = sp.csr_matrix(relevant)
    n_rows, depth = lists.shape
    rows = np.repeat(np.arange(n_rows), depth)
    cols = lists.ravel()
    found = np.asarray(relevant[rows, np.maximum(cols, 0)]).ravel() != 0
    hits = (found & (cols >= 0)).reshape(n_rows, depth)
    n_relevant = np.diff(relevant.indptr)
    discount = 1.0 / np.log2(np.arange(depth) + 2.0)
    ideal = np.concatenate([[0.0], np.cumsum(discount)])[np.minimum(n_relevant, depth)]
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = hits.sum(axis=1) / np.minimum(n_relevant, depth)
        ndcg = (hits * discount).sum(axis=1) / ideal
    recall[n_relevant == 0] = np.nan
    ndcg[n_relevant == 0] = np.nan
    return recall, ndcg


def holdout_split(csr: sp.csr_matrix, fraction: float, rng: np.random.Generator):
    """Split a user x item matrix's stored entries into (kept, held out) matrices, same
    shape: a random ``fraction`` of the entries of every row with at least two entries
    is held out, so each such user keeps some history to be scored from.

    Example::

        >>> rng = np.random.default_rng(0)
        >>> kept, held = holdout_split(sp.csr_matrix(np.ones((1, 10))), 0.3, rng)
        >>> kept.nnz + held.nnz
        10
    """
    csr = sp.csr_matrix(csr)
    held = rng.random(csr.nnz) < fraction
    rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    lonely = np.diff(csr.indptr)[rows] < 2
    held &= ~lonely
    coo = csr.tocoo()
    keep = ~held

    def part(mask):
        return sp.csr_matrix((coo.data[mask], (coo.row[mask], coo.col[mask])), shape=csr.shape)

    return part(keep), part(held)


def mean_recall(
    score_rows,
    kept: sp.csr_matrix,
    relevant: sp.csr_matrix,
    n: int = 20,
    max_users: int = 2000,
    rng: np.random.Generator | None = None,
) -> float:
    """Mean recall@n over (at most ``max_users``) rows with a relevant held-out item.

    ``score_rows(rows)`` returns the dense scores of those rows for every item; ``kept``
    (the history the scores came from) is excluded from each list.

    Example::

        >>> kept = sp.csr_matrix([[1, 0, 0]]); rel = sp.csr_matrix([[0, 0, 1]])
        >>> mean_recall(lambda rows: np.array([[0.0, 0.1, 0.9]]), kept, rel, n=1)
        1.0
    """
    users = np.flatnonzero(np.diff(sp.csr_matrix(relevant).indptr) > 0)
    if len(users) == 0:
        return float("nan")
    if len(users) > max_users:
        rng = np.random.default_rng(0) if rng is None else rng
        users = np.sort(rng.choice(users, size=max_users, replace=False))
    recalls = []
    for start in range(0, len(users), 512):
        rows = users[start : start + 512]
        lists = top_n(np.array(score_rows(rows), dtype=np.float64), n, exclude=kept[rows])
        recalls.append(recall_ndcg(lists, relevant[rows])[0])
    return float(np.nanmean(np.concatenate(recalls)))
