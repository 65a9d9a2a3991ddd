"""Multi-label metrics, one value per tag (column): scikit-learn's AUC, average precision
and F1, and the per-tag threshold searches of the tag head.

A column with no positive (or no negative) row has an undefined AUC: it is NaN, never an error,
so a rare tag missing from a small fold does not stop an evaluation.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score


def _as_2d(y_true: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    if y_true.ndim == 1:
        y_true, scores = y_true[:, None], scores[:, None]
    if y_true.shape != scores.shape:
        raise ValueError(f"labels {y_true.shape} and scores {scores.shape} differ in shape")
    return y_true, scores


def roc_auc(y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per-column ROC AUC (:func:`sklearn.metrics.roc_auc_score`, ties averaged); NaN if
    undefined.

    >>> roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    array([0.75])
    """
    y_true, scores = _as_2d(y_true, scores)
    n_pos = y_true.sum(axis=0)
    defined = (n_pos > 0) & (n_pos < len(y_true))
    return np.array(
        [
            roc_auc_score(y_true[:, j], scores[:, j]) if defined[j] else np.nan
            for j in range(y_true.shape[1])
        ],
        dtype=np.float64,
    )


def average_precision(y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per-column average precision (:func:`sklearn.metrics.average_precision_score`: the
    area under the precision-recall steps, tied scores one threshold); NaN if no positive.

    A constant score gives the positive rate, which is what predicting by tag frequency scores.

    >>> average_precision(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1]))
    array([0.83333333])
    """
    y_true, scores = _as_2d(y_true, scores)
    n_pos = y_true.sum(axis=0)
    return np.array(
        [
            average_precision_score(y_true[:, j], scores[:, j]) if n_pos[j] else np.nan
            for j in range(y_true.shape[1])
        ],
        dtype=np.float64,
    )


def precision_recall_f1(
    y_true: np.ndarray, y_pred: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column precision, recall and F1 of binary predictions
    (:func:`sklearn.metrics.precision_recall_fscore_support`; 0 when undefined).

    >>> [v.tolist() for v in precision_recall_f1(np.array([1, 1, 0]), np.array([1, 0, 0]))]
    [[1.0], [0.5], [0.6666666666666666]]
    """
    y_true, y_pred = _as_2d(y_true, np.asarray(y_pred, dtype=np.float64))
    y_pred = y_pred.astype(bool)
    # One binary problem per tag (a single column would read as two classes otherwise).
    rows = [
        precision_recall_fscore_support(
            y_true[:, j], y_pred[:, j], average="binary", zero_division=0.0
        )[:3]
        for j in range(y_true.shape[1])
    ]
    figures = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return figures[:, 0].copy(), figures[:, 1].copy(), figures[:, 2].copy()


def _ranked_counts(y_true, scores):
    """Each column (2-D inputs) sorted by decreasing score: its hits and scores in that
    order, the true positives and the predictions above each cut, its number of positives."""
    order = np.argsort(-scores, axis=0, kind="stable")
    hits = np.take_along_axis(y_true, order, axis=0)
    sorted_scores = np.take_along_axis(scores, order, axis=0)
    true_pos = np.cumsum(hits, axis=0)
    predicted = np.arange(1, len(hits) + 1)[:, None]
    return hits, sorted_scores, true_pos, predicted, hits.sum(axis=0)


def best_f1_thresholds(
    y_true: np.ndarray, scores: np.ndarray, default: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """For each column, the score threshold (predict ``score >= t``) maximising F1, and that F1.

    Columns without a positive row keep ``default`` (F1 0).

    >>> best_f1_thresholds(np.array([0, 1, 1, 0]), np.array([0.2, 0.6, 0.7, 0.65]))
    (array([0.6]), array([0.8]))
    """
    y_true, scores = _as_2d(y_true, scores)
    hits, sorted_scores, true_pos, predicted, n_pos = _ranked_counts(y_true, scores)
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
    hits, sorted_scores, true_pos, predicted, n_pos = _ranked_counts(y_true, scores)
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
