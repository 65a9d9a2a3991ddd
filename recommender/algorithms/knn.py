"""User-user and item-item neighbourhood models on top of the baseline predictor.

``r_ui = b_ui + sum_j s_ij (r_uj - b_uj) / sum_j s_ij`` over the ``k`` most similar items
``j`` the user rated (item-item; user-user swaps the roles), the "KNNBaseline" of Koren
(2010). Similarities are computed once at fit time on the common support of each pair,
shrunk towards 0 when the support is small: ``s * (n - 1) / (n - 1 + shrinkage)``.

- ``similarity="pearson"``: cosine of the baseline residuals (Pearson-baseline);
- ``similarity="cosine"``: cosine of the raw ratings.

The similarity matrix is dense (``n x n`` float32, ``n`` = items or users), which is what a
site of Mangaki's size affords (10,000 works: 400 MB); beyond that, shard or use ALS.

Example::

    >>> from recommender.algorithms.base import RatingMatrix
    >>> data = RatingMatrix.from_triples([0, 0, 1, 1, 2], [0, 1, 0, 1, 0], [5, 5, 1, 1, 5])
    >>> model = KNN(kind="user", k=2, shrinkage=0.0, min_support=1).fit(data)
    >>> model.neighbors(2, k=1).tolist()
    [0]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.base import RatingMatrix, Recommender, as_pairs, fit_inputs
from recommender.algorithms.baseline import bias_prediction, fit_biases, fold_bias, known_indices
from recommender.algorithms.recommending import Folded, Recommendations

# Pairs are expanded into (pair, neighbour) rows; this bounds that array's length.
_MAX_EXPANDED = 2_000_000
# Rows of the similarity matrix computed at once.
_BLOCK = 1024


class KNN(Recommender):
    """Neighbourhood model. ``kind`` is ``"item"`` (item-item) or ``"user"`` (user-user)."""

    def __init__(
        self,
        kind: str = "item",
        k: int = 40,
        similarity: str = "pearson",
        shrinkage: float = 100.0,
        min_support: int = 2,
        reg_user: float = 15.0,
        reg_item: float = 10.0,
        random_state=None,
    ):
        self.kind = kind
        self.k = k
        self.similarity = similarity
        self.shrinkage = shrinkage
        self.min_support = min_support
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.random_state = random_state  # unused: the model is deterministic by design

    def _check_params(self) -> None:
        if self.kind not in ("item", "user"):
            raise ValueError("kind must be 'item' or 'user'")
        if self.similarity not in ("pearson", "cosine"):
            raise ValueError("similarity must be 'pearson' or 'cosine'")
        if self.k < 1 or self.shrinkage < 0 or self.min_support < 1:
            raise ValueError("k and min_support must be >= 1, shrinkage >= 0")

    def fit(self, ratings: RatingMatrix, item_features=None) -> KNN:
        self._check_params()
        ratings, item_features = fit_inputs(ratings, item_features)
        mu, bu, bi = fit_biases(ratings, self.reg_user, self.reg_item)
        self.user_items_ = ratings.tocsr()
        self.global_mean_ = np.float64(mu)
        self.user_bias_, self.item_bias_ = bu, bi
        residual = ratings.values - (mu + bu[ratings.users] + bi[ratings.items])
        residual = residual.astype(np.float32)
        signal = residual if self.similarity == "pearson" else ratings.values
        by_item = self.kind == "item"
        # "entities" are compared with each other; each "owner" row lists rated entities.
        entity, owner = (
            (ratings.items, ratings.users) if by_item else (ratings.users, ratings.items)
        )
        n_entity = ratings.n_items if by_item else ratings.n_users
        n_owner = ratings.n_users if by_item else ratings.n_items
        self.similarity_ = _similarity(
            entity, owner, signal, n_entity, n_owner, self.shrinkage, self.min_support
        )
        # Owner-major copy of the residuals, read at prediction time.
        order = np.lexsort((entity, owner))
        self.owner_indptr_ = np.zeros(n_owner + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner, minlength=n_owner), out=self.owner_indptr_[1:])
        self.owner_entities_ = entity[order].astype(np.int32)
        self.owner_residuals_ = residual[order]
        return self

    def predict(self, users, items=None) -> np.ndarray:
        users, items = as_pairs(users, items)
        base = bias_prediction(self.global_mean_, self.user_bias_, self.item_bias_, users, items)
        u, u_known = known_indices(users, len(self.user_bias_))
        i, i_known = known_indices(items, len(self.item_bias_))
        owner, entity = (u, i) if self.kind == "item" else (i, u)
        known = np.flatnonzero(u_known & i_known)
        counts = self.owner_indptr_[owner[known] + 1] - self.owner_indptr_[owner[known]]
        # Chunks of pairs whose expansion stays under _MAX_EXPANDED rows.
        bounds = np.searchsorted(np.cumsum(counts), np.arange(0, counts.sum(), _MAX_EXPANDED))
        splits = np.unique(np.concatenate([bounds, [len(known)]]))
        start = 0
        for stop in splits[splits > 0]:
            chunk = known[start:stop]
            base[chunk] += self._neighbour_offset(owner[chunk], entity[chunk])
            start = stop
        return base.astype(np.float32)

    def _neighbour_offset(self, owner: np.ndarray, entity: np.ndarray) -> np.ndarray:
        """Similarity-weighted mean residual of the k most similar rated neighbours."""
        starts = self.owner_indptr_[owner]
        counts = self.owner_indptr_[owner + 1] - starts
        pair = np.repeat(np.arange(len(owner)), counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        pos = np.repeat(starts, counts) + (np.arange(len(pair)) - first)
        neighbour = self.owner_entities_[pos]
        sim = self.similarity_[entity[pair], neighbour]
        keep = sim > 0  # negative neighbours add noise in practice (as in KNNBaseline)
        pair, pos, sim = pair[keep], pos[keep], sim[keep]
        order = np.lexsort((-sim, pair))
        pair, pos, sim = pair[order], pos[order], sim[order]
        group_start = np.searchsorted(pair, pair, side="left")
        top = (np.arange(len(pair)) - group_start) < self.k
        pair, pos, sim = pair[top], pos[top], sim[top]
        weight = np.bincount(pair, sim, len(owner))
        total = np.bincount(pair, sim * self.owner_residuals_[pos], len(owner))
        return np.divide(total, weight, out=np.zeros(len(owner)), where=weight > 0)

    def fold_in(self, items, values) -> Folded:
        """A new user's state ``(bias, items, residuals)``: their baseline bias and the
        residuals of their ratings of known items (all a neighbourhood model needs)."""
        bias = fold_bias(self.global_mean_, self.item_bias_, self.reg_user, items, values)
        rows, known = known_indices(items, len(self.item_bias_))
        rows = rows[known]
        values = np.asarray(values, np.float64).ravel()[known]
        residual = values - (self.global_mean_ + bias + self.item_bias_[rows])
        return Folded((bias, rows, residual), items, values)

    def predict_folded(self, bias, rated, residual, items=None) -> np.ndarray:
        """Scores of a folded-in user for ``items`` (every item when None)."""
        items = np.arange(len(self.item_bias_)) if items is None else items
        rows, known = known_indices(items, len(self.item_bias_))
        out = self.global_mean_ + bias + np.where(known, self.item_bias_[rows], 0.0)
        rated = np.asarray(rated, dtype=np.int64)
        if len(rated) == 0 or not known.any():
            return out
        targets = np.flatnonzero(known)
        if self.kind == "item":
            sims = self.similarity_[rows[targets]][:, rated].astype(np.float64)
            out[targets] += _top_k_mean(sims, np.broadcast_to(residual, sims.shape), self.k)
            return out
        # User-user: the new user's similarity to every training user, on common items.
        residual = np.asarray(residual, np.float64)
        raw = residual + self.global_mean_ + bias + self.item_bias_[rated]
        sims = self._similarity_to_users(rated, residual if self.similarity == "pearson" else raw)
        for target in targets:  # one short expansion per target item
            start, stop = self.owner_indptr_[rows[target]], self.owner_indptr_[rows[target] + 1]
            users = self.owner_entities_[start:stop]
            scores = sims[users][None, :]
            out[target] += _top_k_mean(scores, self.owner_residuals_[start:stop][None, :], self.k)[
                0
            ]
        return out

    def _similarity_to_users(self, rated, own) -> np.ndarray:
        """Shrunk cosine between a new user's signal (residuals, or raw ratings for
        ``similarity="cosine"``) and every training user's, on their common items (the
        formula of ``fit``)."""
        columns = sp.csr_matrix(self.user_items_[:, rated], dtype=np.float64)
        present = columns.copy()
        present.data[:] = 1.0
        signal = columns
        if self.similarity == "pearson":
            values = columns.tocoo()
            base = (self.global_mean_ + self.user_bias_[values.row]
                    + self.item_bias_[rated][values.col])  # fmt: skip
            signal = sp.csr_matrix((values.data - base, (values.row, values.col)),
                                   shape=present.shape)  # fmt: skip
        dot = signal @ own
        norm_a = present @ own**2
        norm_b = signal.multiply(signal) @ np.ones(len(rated))
        support = present @ np.ones(len(rated))
        denom = np.sqrt(norm_a * norm_b)
        sims = np.divide(dot, denom, out=np.zeros_like(dot), where=denom > 0)
        if self.shrinkage > 0:
            common = np.maximum(support - 1, 0)
            sims *= common / (common + self.shrinkage)
        sims[support < self.min_support] = 0.0
        return sims

    def _item_vectors(self):
        return None

    def similar_items(self, item: int, n: int = 10) -> Recommendations:
        """Item KNN: the item's ``n`` most similar items (its neighbours); user KNN has
        no item similarities and raises ``TypeError``."""
        if self.kind != "item":
            raise TypeError("a user-user KNN has no item similarities: use kind='item'")
        found, similarity = self.neighbors(item, n, return_similarity=True)
        return Recommendations(np.asarray(found, np.int64), np.asarray(similarity, np.float64))

    def _because(self, user, item: int, k: int) -> list[tuple[int, float]]:
        """Item KNN: the person's liked items most similar to ``item``."""
        if self.kind != "item" or not 0 <= item < len(self.similarity_):
            return []
        liked = self._liked(user)
        liked = liked[(liked >= 0) & (liked < len(self.similarity_))]
        sims = self.similarity_[item, liked]
        order = np.lexsort((liked, -sims))[:k]
        return [(int(liked[j]), round(float(sims[j]), 4)) for j in order if sims[j] > 0]

    def neighbors(self, index: int, k: int = 10, return_similarity: bool = False):
        """The ``k`` most similar users (``kind="user"``) or items (``kind="item"``).

        Only positive similarities count; an unknown index has no neighbours.

        Example::

            >>> data = RatingMatrix.from_triples([0, 0, 1, 1], [0, 1, 0, 1], [5, 1, 5, 1])
            >>> KNN(kind="item", shrinkage=0, min_support=1).fit(data).neighbors(9).tolist()
            []
        """
        n = self.similarity_.shape[0]
        if not 0 <= int(index) < n:
            found = np.zeros(0, dtype=np.int64)
            return (found, np.zeros(0, dtype=np.float32)) if return_similarity else found
        row = self.similarity_[int(index)]
        candidates = np.flatnonzero(row > 0)
        best = candidates[np.lexsort((candidates, -row[candidates]))][:k]
        return (best, row[best]) if return_similarity else best


def _top_k_mean(sims: np.ndarray, residuals: np.ndarray, k: int) -> np.ndarray:
    """Per row, the similarity-weighted mean residual of the ``k`` most similar
    positive neighbours (0 without any), as in ``KNN._neighbour_offset``."""
    sims = np.where(sims > 0, sims, 0.0)
    if sims.shape[1] > k:
        cut = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        sims = np.take_along_axis(sims, cut, axis=1)
        residuals = np.take_along_axis(np.asarray(residuals), cut, axis=1)
    weight = sims.sum(axis=1)
    total = (sims * residuals).sum(axis=1)
    return np.divide(total, weight, out=np.zeros(len(weight)), where=weight > 0)


def _similarity(entity, owner, signal, n_entity, n_owner, shrinkage, min_support) -> np.ndarray:
    """Shrunk cosine similarity between entities, on each pair's common owners.

    Computed in row blocks so the float64 intermediates stay at ``_BLOCK x n`` entries.
    """
    values = signal.astype(np.float64)
    shape = (n_entity, n_owner)
    x = sp.csr_matrix((values, (entity, owner)), shape=shape)
    present = sp.csr_matrix((np.ones(len(entity)), (entity, owner)), shape=shape)
    squares = sp.csr_matrix((values**2, (entity, owner)), shape=shape)
    sim = np.zeros((n_entity, n_entity), dtype=np.float32)
    for start in range(0, n_entity, _BLOCK):
        rows = slice(start, min(start + _BLOCK, n_entity))
        dot = (x[rows] @ x.T).toarray()
        # Norms restricted to the common support of each pair (a, b):
        # sum over shared owners of x_a^2, and of x_b^2.
        norm_a = (squares[rows] @ present.T).toarray()
        norm_b = (present[rows] @ squares.T).toarray()
        support = (present[rows] @ present.T).toarray()
        denom = np.sqrt(norm_a * norm_b)
        block = np.divide(dot, denom, out=np.zeros_like(dot), where=denom > 0)
        if shrinkage > 0:
            common = np.maximum(support - 1, 0)
            block *= common / (common + shrinkage)
        block[support < min_support] = 0.0
        sim[rows] = block
    np.fill_diagonal(sim, 0.0)
    return sim
