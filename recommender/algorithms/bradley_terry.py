"""Bradley-Terry strengths from pairwise preferences, and rating values refined by them.

P(i beats j) = s_i / (s_i + s_j). Strengths are fitted by Hunter's (2004) MM updates, with
a prior: each item plays ``prior`` virtual games against a reference item of strength 1,
winning half, so an item that won (or lost) every duel still has a finite strength and one
duel moves little. Returned as log-strengths (0 is the reference).

:func:`refined_values` turns them into rating evidence: a compared work keeps its
choice's value, moved by at most ``margin`` towards its duels' verdict, relative to the
works the person gave the same choice. Duels thus order works within a choice (which
six choices cannot) without overturning the choices themselves.

Example::

    >>> theta = bradley_terry([0, 0, 1], [1, 2, 2], n_items=3)
    >>> bool(theta[0] > theta[1] > theta[2])
    True
"""

from __future__ import annotations

import numpy as np

MAX_ITER = 200


def bradley_terry(winners, losers, n_items: int, prior: float = 1.0, tol: float = 1e-8,
                  max_iter: int = MAX_ITER) -> np.ndarray:  # fmt: skip
    """Log-strengths of ``n_items`` items from duels (``winners[k]`` beat ``losers[k]``,
    item indices). Items in no duel get 0, the reference.

    Example::

        >>> bradley_terry([0], [1], n_items=3).round(3).tolist()
        [0.756, -0.756, 0.0]
    """
    winners = np.asarray(winners, dtype=np.int64).ravel()
    losers = np.asarray(losers, dtype=np.int64).ravel()
    if winners.shape != losers.shape:
        raise ValueError("winners and losers must have the same length")
    if prior <= 0:
        raise ValueError("prior must be > 0 (it keeps unbeaten items finite)")
    if len(winners) and (min(winners.min(), losers.min()) < 0 or
                         max(winners.max(), losers.max()) >= n_items):  # fmt: skip
        raise ValueError(f"an item index is out of range for {n_items} items")
    if np.any(winners == losers):
        raise ValueError("an item cannot duel itself")
    wins = np.bincount(winners, minlength=n_items) + prior / 2
    strength: np.ndarray = np.ones(n_items)
    for _ in range(max_iter):
        # MM: s_i = W_i / sum over i's games of 1 / (s_i + s_opponent), reference included.
        inverse = 1.0 / (strength[winners] + strength[losers])
        games = (np.bincount(winners, inverse, n_items) + np.bincount(losers, inverse, n_items)
                 + prior / (strength + 1.0))  # fmt: skip
        updated = wins / games
        if np.max(np.abs(np.log(updated) - np.log(strength))) < tol:
            strength = updated
            break
        strength = updated
    return np.log(strength)


def refined_values(values, theta, compared, margin: float = 0.5) -> np.ndarray:
    """``values`` (rating values of a person's works) moved by their duels: each
    ``compared`` work's value gains ``margin * tanh(theta - mean theta of the compared
    works with the same value)``; the others keep theirs.

    Example::

        >>> refined_values([2.0, 2.0, 4.0], [1.0, -1.0, 0.0], [True, True, True]).round(2)
        array([2.38, 1.62, 4.  ])
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    theta = np.asarray(theta, dtype=np.float64).ravel()
    compared = np.asarray(compared, dtype=bool).ravel()
    if not (values.shape == theta.shape == compared.shape):
        raise ValueError("values, theta and compared must have the same length")
    out = values.copy()
    for value in np.unique(values[compared]):
        group = compared & (values == value)
        out[group] += margin * np.tanh(theta[group] - theta[group].mean())
    return out


def choose_pair(values, counts, popularity, done, rng=None) -> tuple[int, int] | None:
    """The next duel among a person's works (indices into the arrays): the work compared
    least (the most popular among equals, then at random), against a work not yet paired
    with it (``done`` holds frozensets of index pairs) whose rating value is closest to
    its own, compared least. None when every pair was done.

    Example::

        >>> choose_pair([2.0, 4.0, 2.0], [0, 0, 1], [5, 9, 1], set())
        (1, 0)
    """
    values = np.asarray(values, dtype=np.float64)
    counts = np.asarray(counts)
    popularity = np.asarray(popularity)
    rng = np.random.default_rng(rng)
    jitter = rng.random(len(values))
    order = np.lexsort((jitter, -popularity, counts))
    for first in order:
        partners = [
            int(j) for j in order if j != first and frozenset((int(first), int(j))) not in done
        ]
        if partners:
            second = min(partners, key=lambda j: (abs(values[j] - values[first]), counts[j]))
            return int(first), second
    return None
