"""EASE (Steck 2019): an item-to-item linear model of who picks what, in closed form.

Every rating is an interaction: the person chose to look at the work, whatever they
thought of it (on Mangaki a "want to see" or "don't want to see" too). Interactions are
weighted by the rating value, ``w = floor + (1 - floor) (v - low) / (high - low)``, so a
favourite counts fully, a dislike only ``floor``; ``weight_floor=1`` gives the classic
binary EASE. With ``W`` the users x items weight matrix and ``G = W^T W``,

    B = argmin ||W - W B||^2 + reg ||B||^2  subject to diag(B) = 0
      = I - P diag(1 / diag(P)),  P = (G + reg I)^-1,

and a person's scores are ``w_u B``: a sum of the rows of ``B`` of the works they rated,
so a new rating changes the list at once (no fold-in solve). With rating times and
``recency`` > 0, a person's older ratings count less in ``w_u`` (their oldest
``1 - recency`` as much as their newest: tastes move); ``B`` is learned from all ratings
alike. ``reg="auto"`` picks the
regularisation by the recall@20 of held-out interactions among a few candidates scaled to
the data (``reg_grid`` times the mean diagonal of ``G``, extended outward while the best
lies at an edge), refined once between the best two; on catalogues of more than
``REG_SAMPLE_ITEMS`` works the candidates are tried on that many most-picked works.

``max_neighbours`` keeps only that many largest weights per row of ``B`` (a sparse model
for very large catalogues; it costs some accuracy, measured in docs/evaluation.md).

Example::

    >>> from recommender.algorithms.base import RatingMatrix
    >>> data = RatingMatrix.from_triples([0, 0, 1, 1, 2], [0, 1, 0, 1, 0], [5, 4, 5, 4, 5])
    >>> model = EASE(reg=1.0).fit(data)
    >>> model.recommend(2, n=1).items  # who liked work 0 also picked work 1
    array([1])
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from recommender.algorithms._ease_solve import add_rows, gram_matrix, solve_ease, sparsify_rows
from recommender.algorithms.base import (
    RatingMatrix,
    Recommender,
    as_pairs,
    check_fitted,
    check_random_state,
    fit_inputs,
)
from recommender.algorithms.recommending import Recommendations, held_out_recall, is_user_index
from recommender.algorithms.topn import holdout_split, mean_recall, top_n

logger = logging.getLogger(__name__)

#: Catalogues at least this large are solved in float32 (half the memory, ~2x faster).
FLOAT32_FROM = 3000
#: ``reg="auto"`` on a larger catalogue tries its candidates on this many most-picked
#: works: each try is a cubic solve, and the best regularisation of the core is the best
#: of the whole within the grid's resolution (docs/recommendations.md, "Training time").
REG_SAMPLE_ITEMS = 3000


def interaction_weights(values, low: float, high: float, floor: float) -> np.ndarray:
    """Rating values mapped to interaction weights in ``[floor, 1]``.

    Example::

        >>> interaction_weights([1, 3, 5], 1.0, 5.0, 0.2).round(2).tolist()
        [0.2, 0.6, 1.0]
    """
    values = np.asarray(values, dtype=np.float64)
    span = high - low
    share = np.clip((values - low) / span, 0.0, 1.0) if span > 0 else np.ones_like(values)
    return floor + (1.0 - floor) * share


def recency_factors(users, times, recency: float) -> np.ndarray:
    """Per rating, ``1 - recency * age`` where age is its rank among its user's ratings
    from 0 (the newest) to 1 (the oldest); all ones without times.

    Example::

        >>> recency_factors([0, 0, 0, 1], [3.0, 1.0, 2.0, 5.0], 0.5).tolist()
        [1.0, 0.5, 0.75, 1.0]
    """
    users = np.asarray(users, dtype=np.int64).ravel()
    if times is None or recency == 0 or len(users) == 0:
        return np.ones(len(users))
    times = np.asarray(times, dtype=np.float64).ravel()
    order = np.lexsort((np.arange(len(users)), -times, users))
    ordered = users[order]
    newest_first = np.arange(len(users)) - np.searchsorted(ordered, ordered, side="left")
    count = np.bincount(users)[ordered]
    age = np.empty(len(users))
    age[order] = newest_first / np.maximum(count - 1, 1)
    return 1.0 - recency * age


class EASE(Recommender):
    """Closed-form item-to-item model of interactions, weighted by the rating value.

    ``predict`` returns interaction scores (how likely a person picks a work, on no
    particular scale), not ratings: use it to rank, and a rating model to say how much.
    Only works somebody rated take part in the solve (the others score 0), so a large
    catalogue with a small rated core costs what the core costs.

    Learned: ``active_`` (the works with an interaction), ``coef_`` (active x active,
    dense, or CSR with ``max_neighbours``), ``interactions_`` (users x items input weights
    of the training ratings), ``item_counts_``, ``value_range_`` and ``reg_``.
    """

    def __init__(
        self,
        reg="auto",
        weight_floor=0.2,
        reg_grid=(0.5, 2.0, 8.0),
        validation_fraction=0.2,
        max_neighbours=None,
        recency=0.0,
        random_state=None,
    ):
        self.reg = reg
        self.weight_floor = weight_floor
        self.reg_grid = reg_grid
        self.validation_fraction = validation_fraction
        self.max_neighbours = max_neighbours
        self.recency = recency
        self.random_state = random_state

    def _validate(self) -> None:
        if not (self.reg == "auto" or (isinstance(self.reg, int | float) and self.reg > 0)):
            raise ValueError(f"reg must be 'auto' or a positive number, got {self.reg!r}")
        if not 0.0 <= self.weight_floor <= 1.0:
            raise ValueError(f"weight_floor must lie in [0, 1], got {self.weight_floor!r}")
        if not self.reg_grid or min(self.reg_grid) <= 0:
            raise ValueError("reg_grid must hold positive multipliers")
        if not 0.0 < self.validation_fraction < 1.0:
            raise ValueError("validation_fraction must lie in (0, 1)")
        if self.max_neighbours is not None and int(self.max_neighbours) < 1:
            raise ValueError("max_neighbours must be None or >= 1")
        if not 0.0 <= self.recency < 1.0:
            raise ValueError(f"recency must lie in [0, 1), got {self.recency!r}")

    def weight_matrix(self, ratings: RatingMatrix, recent: bool = False) -> sp.csr_matrix:
        """The users x items interaction weights of ``ratings`` (after ``fit``); with
        ``recent``, older ratings weighed down by ``recency`` (a person's input row)."""
        check_fitted(self, "value_range_")
        low, high = self.value_range_
        weights = interaction_weights(ratings.values, low, high, self.weight_floor)
        if recent:
            weights = weights * recency_factors(ratings.users, ratings.times, self.recency)
        return sp.csr_matrix(
            (weights.astype(np.float32), (ratings.users, ratings.items)), shape=ratings.shape
        )

    def fit(self, ratings: RatingMatrix, item_features=None) -> EASE:
        """Solve ``B`` from ``ratings`` (every rating an interaction; features ignored)."""
        self._validate()
        ratings, item_features = fit_inputs(ratings, item_features)
        if ratings.nnz == 0:
            raise ValueError("EASE cannot be fitted on an empty RatingMatrix")
        values = ratings.values
        self.value_range_ = np.array([values.min(), values.max()], dtype=np.float64)
        self.item_counts_ = ratings.item_counts()
        self.active_ = np.flatnonzero(self.item_counts_ > 0).astype(np.int64)
        weights = self.weight_matrix(ratings)[:, self.active_]
        dtype = np.float32 if len(self.active_) >= FLOAT32_FROM else np.float64
        if self.reg == "auto":
            self.reg_ = self._choose_reg(weights, values, dtype)
        else:
            self.reg_ = float(self.reg)
        coef = solve_ease(self._gram(weights, dtype), self.reg_, overwrite=True)
        self.coef_ = coef if self.max_neighbours is None else sparsify_rows(
            coef, self.max_neighbours)  # fmt: skip
        self.interactions_ = self.weight_matrix(ratings, recent=True)
        return self

    @staticmethod
    def _gram(weights: sp.csr_matrix, dtype) -> np.ndarray:
        return gram_matrix(weights, dtype)

    def _choose_reg(self, weights: sp.csr_matrix, values, dtype) -> float:
        """The candidate with the best held-out recall@20 (see the module docstring)."""
        rng = check_random_state(self.random_state)
        kept, held = holdout_split(weights, self.validation_fraction, rng)
        # Relevant: held-out interactions rated at least the median (liked, on most scales).
        value_of = sp.csr_matrix(
            (np.asarray(values, np.float64), weights.nonzero()), shape=weights.shape)  # fmt: skip
        threshold = float(np.median(values))
        relevant = held.multiply(value_of >= threshold) if threshold > values.min() else held
        relevant = sp.csr_matrix(relevant)
        relevant.eliminate_zeros()
        diagonal = np.asarray(kept.multiply(kept).sum(axis=0)).ravel()
        scale = float(diagonal[diagonal > 0].mean()) if (diagonal > 0).any() else 1.0
        if kept.shape[1] > REG_SAMPLE_ITEMS:
            core = np.sort(np.argsort(-kept.getnnz(axis=0), kind="stable")[:REG_SAMPLE_ITEMS])
            kept, relevant = kept[:, core], relevant[:, core]
        gram = self._gram(kept, dtype)
        tried: dict[float, float] = {}

        def score(reg: float) -> float:
            if reg not in tried:
                coef = solve_ease(gram, reg)
                tried[reg] = mean_recall(lambda rows: kept[rows] @ coef, kept, relevant)
            return tried[reg]

        def best() -> float:
            return min(tried, key=lambda r: (-np.nan_to_num(tried[r], nan=-1.0), r))

        for multiplier in self.reg_grid:
            score(scale * multiplier)
        for _ in range(2):  # the best at an edge of the grid: look one step further out
            edge = best()
            if edge == max(tried) and len(tried) > 1:
                score(edge * 4.0)
            elif edge == min(tried) and len(tried) > 1:
                score(edge / 4.0)
            else:
                break
        ranked = sorted(tried, key=lambda r: (-np.nan_to_num(tried[r], nan=-1.0), r))
        if len(ranked) > 1:
            score(float(np.sqrt(ranked[0] * ranked[1])))  # one step between the best two
        chosen = best()
        logger.info("EASE reg %.4g (held-out recall@20 %s)", chosen, tried)
        return float(chosen)

    # -- scoring -------------------------------------------------------------------------

    @property
    def n_items_(self) -> int:
        return len(self.item_counts_)

    def fold_in(self, items, values, times=None) -> sp.csr_matrix:
        """A person's interaction row (1 x items) from their ratings (and their ``times``,
        for ``recency``); unknown works are ignored. Pass it to :meth:`score_folded`.

        Example::

            >>> row = model.fold_in([0, 3], [5.0, 2.0])  # doctest: +SKIP
        """
        check_fitted(self, "coef_")
        items = np.asarray(items, dtype=np.int64).ravel()
        values = np.asarray(values, dtype=np.float64).ravel()
        if items.shape != values.shape:
            raise ValueError("items and values must have the same length")
        keep = (items >= 0) & (items < self.n_items_)
        low, high = self.value_range_
        weights = interaction_weights(values[keep], low, high, self.weight_floor)
        if times is not None:
            times = np.asarray(times, dtype=np.float64).ravel()[keep]
            weights = weights * recency_factors(np.zeros(len(times)), times, self.recency)
        row = sp.csr_matrix(
            (weights, (np.zeros(keep.sum(), np.int64), items[keep])), shape=(1, self.n_items_)
        )
        row.sum_duplicates()
        return row

    def _scores(self, rows: sp.csr_matrix) -> np.ndarray:
        """Scores of input rows (n x items) for every work; inactive works score 0.

        One person: the weighted sum of the rows of ``B`` they rated (only those rows are
        read, which matters when ``B`` is memory-mapped). Several: one dense product in
        ``B``'s precision (no float64 copy of ``B``)."""
        rows = sp.csr_matrix(rows)[:, self.active_]
        if sp.issparse(self.coef_):
            product = np.asarray((rows @ self.coef_).toarray())
        elif rows.shape[0] == 1:
            product = np.zeros((1, self.coef_.shape[1]))
            add_rows(self.coef_, rows.indices.astype(np.int64), rows.data.astype(np.float64),
                     product[0])  # fmt: skip
        else:
            product = rows.astype(self.coef_.dtype).toarray() @ self.coef_
        out = np.zeros((rows.shape[0], self.n_items_))
        out[:, self.active_] = product
        return out

    def score_folded(self, row: sp.csr_matrix, items=None) -> np.ndarray:
        """Interaction scores of a folded-in person for ``items`` (every work when None);
        works beyond the model score 0."""
        check_fitted(self, "coef_")
        scores = self._scores(sp.csr_matrix(row))[0]
        if items is None:
            return scores
        items = np.asarray(items, dtype=np.int64).ravel()
        known = (items >= 0) & (items < len(scores))
        out = np.zeros(len(items))
        out[known] = scores[items[known]]
        return out

    def score_users(self, users) -> np.ndarray:
        """Dense scores (len(users) x items) of training users; unknown users score 0."""
        check_fitted(self, "coef_")
        users = np.asarray(users, dtype=np.int64).ravel()
        known = (users >= 0) & (users < self.interactions_.shape[0])
        out = np.zeros((len(users), self.n_items_))
        if known.any():
            out[known] = self._scores(self.interactions_[users[known]])
        return out

    def contributions(self, row: sp.csr_matrix, item: int) -> list[tuple[int, float]]:
        """How much each work of a folded-in person's row adds to ``item``'s score,
        largest first: the "because you picked A and B" of a recommendation."""
        works, parts = self.contributions_many(row, [item])
        order = np.argsort(-parts[:, 0], kind="stable")
        return [(int(works[i]), float(parts[i, 0])) for i in order]

    def contributions_many(self, row: sp.csr_matrix, items) -> tuple[np.ndarray, np.ndarray]:
        """What each work of a folded-in person's row adds to each of ``items``' scores:
        ``(works, parts)`` with ``parts[i, j]`` the share of ``works[i]`` in ``items[j]``
        (one gather from ``B``; works or items outside the model contribute 0)."""
        check_fitted(self, "coef_")
        row = sp.csr_matrix(row)
        items = np.asarray(items, dtype=np.int64).ravel()
        parts = np.zeros((row.nnz, len(items)))
        if row.nnz == 0 or len(items) == 0 or len(self.active_) == 0:
            return row.indices.astype(np.int64), parts
        targets = np.minimum(np.searchsorted(self.active_, items), len(self.active_) - 1)
        known_targets = self.active_[targets] == items
        sources = np.minimum(np.searchsorted(self.active_, row.indices), len(self.active_) - 1)
        present = self.active_[sources] == row.indices
        if present.any() and known_targets.any():
            picked = self.coef_[np.ix_(sources[present], targets[known_targets])]
            block = np.asarray(
                picked.toarray() if sp.issparse(picked) else picked,  # type: ignore[union-attr]
                dtype=np.float64,
            )
            parts[np.ix_(np.flatnonzero(present), np.flatnonzero(known_targets))] = (
                row.data[present][:, None] * block
            )
        return row.indices.astype(np.int64), parts

    def predict(self, users, items=None) -> np.ndarray:
        """Interaction scores of (user, work) pairs; unknown users or works score 0."""
        check_fitted(self, "coef_")
        users, items = as_pairs(users, items)
        out = np.zeros(len(users))
        n_users = self.interactions_.shape[0]
        known = (users >= 0) & (users < n_users) & (items >= 0) & (items < self.n_items_)
        distinct, rows = np.unique(users[known], return_inverse=True)
        for start in range(0, len(distinct), 256):  # bounded memory: 256 users x items
            scores = self.score_users(distinct[start : start + 256])
            mask = (rows >= start) & (rows < start + 256)
            out[np.flatnonzero(known)[mask]] = scores[rows[mask] - start, items[known][mask]]
        return out

    # -- what every model offers (see recommending.py) ----------------------------------

    def _n_items(self) -> int:
        check_fitted(self, "coef_")
        return self.n_items_

    def _rated(self, user) -> tuple[np.ndarray, np.ndarray]:
        """The person's interaction row: a training user's, or a folded-in row."""
        if is_user_index(user):
            if not 0 <= int(user) < self.interactions_.shape[0]:
                return np.zeros(0, np.int64), np.zeros(0)
            row = self.interactions_[int(user)]
        else:
            row = sp.csr_matrix(user)
        return row.indices.astype(np.int64), np.asarray(row.data, np.float64)

    def _user_scores(self, user, items: np.ndarray) -> np.ndarray:
        if is_user_index(user):
            return self.score_users([int(user)])[0][items]
        return self.score_folded(user, items)

    def similar_items(self, item: int, n: int = 10) -> Recommendations:
        """The works whose pick a pick of ``item`` predicts most (its row of ``B``),
        best first; an unknown or never-picked work has none."""
        check_fitted(self, "coef_")
        at = int(np.searchsorted(self.active_, item))
        if at >= len(self.active_) or self.active_[at] != item:
            return Recommendations(np.zeros(0, np.int64), np.zeros(0))
        row = self.coef_[at]
        row = np.asarray(row.toarray() if sp.issparse(row) else row, np.float64).ravel()
        best = top_n(np.where(row > 0, row, -np.inf)[None, :], int(n))[0]
        best = best[best >= 0]
        return Recommendations(self.active_[best], row[best])

    def _because(self, user, item: int, k: int) -> list[tuple[int, float]]:
        """The person's works that raise ``item``'s score most."""
        if is_user_index(user):
            if not 0 <= int(user) < self.interactions_.shape[0]:
                return []
            row = self.interactions_[int(user)]
        else:
            row = sp.csr_matrix(user)
        return [(i, round(p, 4)) for i, p in self.contributions(row, item) if p > 0][:k]

    def score(self, X, y=None) -> float:
        """Recall@20 of the held-out ratings in ``X`` (those at or above their median),
        as ``GridSearchCV`` reads a score: higher is better."""
        check_fitted(self, "coef_")
        return held_out_recall(self, X, self.interactions_, y=y)
