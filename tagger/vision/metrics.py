"""Multi-label metrics as pure numpy functions, one value per tag (column).

A column with no positive (or no negative) row has an undefined AUC: it is NaN, never an error,
so a rare tag missing from a small fold does not stop an evaluation.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def _as_2d(y_true: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    if y_true.ndim == 1:
        y_true, scores = y_true[:, None], scores[:, None]
    if y_true.shape != scores.shape:
        raise ValueError(f"labels {y_true.shape} and scores {scores.shape} differ in shape")
    return y_true, scores


def roc_auc(y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per-column ROC AUC (Mann-Whitney U with tie-averaged ranks); NaN if undefined.

    >>> roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    array([0.75])
    """
    y_true, scores = _as_2d(y_true, scores)
    ranks = rankdata(scores, axis=0)
    n_pos = y_true.sum(axis=0)
    n_neg = len(y_true) - n_pos
    rank_sum = np.where(y_true, ranks, 0.0).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def average_precision(y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per-column average precision (area under the precision-recall steps); NaN if no positive.

    A constant score gives the positive rate, which is what predicting by tag frequency scores.

    >>> average_precision(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1]))
    array([0.83333333])
    """
    y_true, scores = _as_2d(y_true, scores)
    order = np.argsort(-scores, axis=0, kind="stable")
    hits = np.take_along_axis(y_true, order, axis=0).astype(np.float64)
    sorted_scores = np.take_along_axis(scores, order, axis=0)
    # Tied scores form one threshold: precision is read at the last row of each tie group.
    last_of_tie = np.ones_like(sorted_scores, dtype=bool)
    last_of_tie[:-1] = sorted_scores[1:] != sorted_scores[:-1]
    true_pos = np.cumsum(hits, axis=0)
    precision = true_pos / np.arange(1, len(hits) + 1)[:, None]
    n_pos = hits.sum(axis=0)
    # Recall gain of each tie group, read at its last row: true positives since the previous
    # group's end (true_pos never decreases, so a running max finds that previous end).
    end_tp = np.where(last_of_tie, true_pos, 0.0)
    before = np.maximum.accumulate(np.vstack([np.zeros((1, end_tp.shape[1])), end_tp[:-1]]), axis=0)
    gain = np.where(last_of_tie, true_pos - before, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ap = (gain * precision).sum(axis=0) / n_pos
    return np.where(n_pos > 0, ap, np.nan)


def precision_recall_f1(
    y_true: np.ndarray, y_pred: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column precision, recall and F1 of binary predictions (0 when undefined).

    >>> [v.tolist() for v in precision_recall_f1(np.array([1, 1, 0]), np.array([1, 0, 0]))]
    [[1.0], [0.5], [0.6666666666666666]]
    """
    y_true, y_pred = _as_2d(y_true, np.asarray(y_pred, dtype=np.float64))
    y_pred = y_pred.astype(bool)
    true_pos = (y_true & y_pred).sum(axis=0).astype(np.float64)
    predicted = y_pred.sum(axis=0)
    actual = y_true.sum(axis=0)
    precision = np.divide(true_pos, predicted, out=np.zeros_like(true_pos), where=predicted > 0)
    recall = np.divide(true_pos, actual, out=np.zeros_like(true_pos), where=actual > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(total), where=total > 0)
    return precision, recall, f1


def best_f1_thresholds(
    y_true: np.ndarray, scores: np.ndarray, default: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """For each column, the score threshold (predict ``score >= t``) maximising F1, and that F1.

    Columns without a positive row keep ``default`` (F1 0).

    >>> best_f1_thresholds(np.array([0, 1, 1, 0]), np.array([0.2, 0.6, 0.7, 0.65]))
    (array([0.6]), array([0.8]))
    """
    y_true, scores = _as_2d(y_true, scores)
    order = np.argsort(-scores, axis=0, kind="stable")
    hits = np.take_along_axis(y_true, order, axis=0)
    sorted_scores = np.take_along_axis(scores, order, axis=0)
    true_pos = np.cumsum(hits, axis=0)
    predicted = np.arange(1, len(hits) + 1)[:, None]
    n_pos = hits.sum(axis=0)
    f1 = 2 * true_pos / (predicted + n_pos[None, :])
    # A cut inside a group of tied scores cannot be realised by a threshold.
    valid = np.ones_like(f1, dtype=bool)
    valid[:-1] = sorted_scores[1:] != sorted_scores[:-1]
    f1 = np.where(valid, f1, -1.0)
    best = f1.argmax(axis=0)
    columns = np.arange(f1.shape[1])
    thresholds = sorted_scores[best, columns]
    best_f1 = f1[best, columns]
    has_pos = n_pos > 0
    return np.where(has_pos, thresholds, default), np.where(has_pos, best_f1, 0.0)


def precision_thresholds(
    y_true: np.ndarray, scores: np.ndarray, min_precision: float
) -> tuple[np.ndarray, np.ndarray]:
    """For each column, the lowest score threshold whose precision is at least
    ``min_precision`` (so the most positives at that precision), and the F1 there.

    A column where no threshold reaches the precision gets a threshold above every score
    (the tag is never predicted) and F1 0.

    >>> precision_thresholds(np.array([1, 1, 0, 1]), np.array([0.9, 0.8, 0.7, 0.6]), 0.75)
    (array([0.6]), array([0.85714286]))
    """
    y_true, scores = _as_2d(y_true, scores)
    order = np.argsort(-scores, axis=0, kind="stable")
    hits = np.take_along_axis(y_true, order, axis=0)
    sorted_scores = np.take_along_axis(scores, order, axis=0)
    true_pos = np.cumsum(hits, axis=0)
    predicted = np.arange(1, len(hits) + 1)[:, None]
    n_pos = hits.sum(axis=0)
    precision = true_pos / predicted
    valid = np.ones_like(precision, dtype=bool)
    valid[:-1] = sorted_scores[1:] != sorted_scores[:-1]
    ok = valid & (precision >= min_precision)
    # The deepest cut that keeps the precision: the most tags at that precision.
    depth = np.where(ok.any(axis=0), len(hits) - 1 - np.argmax(ok[::-1], axis=0), -1)
    columns = np.arange(scores.shape[1])
    found = depth >= 0
    at = np.maximum(depth, 0)
    thresholds = np.where(found, sorted_scores[at, columns], np.nextafter(scores.max(axis=0), 2))
    f1 = np.where(found, 2 * true_pos[at, columns] / (at + 1 + n_pos), 0.0)
    return thresholds, f1


def rate_thresholds(y_true: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each column, the threshold that predicts as many rows as are truly positive (the
    k-th highest score, k = positives), and the F1 there (= precision = recall, up to ties).

    >>> rate_thresholds(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1]))
    (array([0.8]), array([0.5]))
    """
    y_true, scores = _as_2d(y_true, scores)
    n_pos = y_true.sum(axis=0)
    ordered = -np.sort(-scores, axis=0)
    columns = np.arange(scores.shape[1])
    at = np.maximum(n_pos - 1, 0)
    thresholds = np.where(n_pos > 0, ordered[at, columns], np.nextafter(scores.max(axis=0), 2))
    _, _, f1 = precision_recall_f1(y_true, scores >= thresholds)
    return thresholds, np.where(n_pos > 0, f1, 0.0)
