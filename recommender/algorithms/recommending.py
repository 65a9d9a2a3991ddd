"""What every model offers a data scientist on top of ``predict``: top-N lists,
similar items, explanations and a scikit-learn ``score``.

The methods live in :class:`Recommending`, a base of every estimator. ``user`` is either
the index of a training user or what the model's ``fold_in(items, values)`` returned for
a new (or changed) person; both get the same treatment (their rated items are left out
of their lists). Models provide a few hooks: ``_item_vectors`` (for ``similar_items`` and
"because you liked"), ``_tag_weights`` (for tag explanations) and ``_folded_scores``.

Example::

    >>> from recommender.algorithms.als import ALS
    >>> from recommender.algorithms.ratings import RatingMatrix
    >>> data = RatingMatrix.from_triples([0, 0, 1, 1, 2], [0, 1, 0, 2, 1], [5, 4, 5, 1, 4])
    >>> model = ALS(rank=2, random_state=0).fit(data)
    >>> items, scores = model.recommend(0, n=2)  # item 2 is the only one user 0 has not rated
    >>> items.tolist()
    [2]
    >>> new = model.fold_in([0], [5.0])  # a person who rated item 0 only
    >>> model.recommend(new, n=5).items.tolist()
    [1, 2]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.explain import explain_tags
from recommender.algorithms.neighbours import cosine_neighbours
from recommender.algorithms.topn import top_n


class Recommendations(NamedTuple):
    """A list of items, best first, with their scores (unpacks as ``items, scores``)."""

    items: np.ndarray
    scores: np.ndarray


@dataclass(frozen=True)
class Explanation:
    """Why ``item`` scores what it does for a person.

    ``tags``: (tag name, contribution) of the person's tag weights times the item's tags,
    positive ones first (empty for models without tag weights). ``because``: (item,
    strength) of the person's own items that lead to this one: the nearest of their liked
    items in the model's item space, or the neighbours/interactions that raise its score.
    """

    item: int
    score: float
    tags: list[tuple[str, float]] = field(default_factory=list)
    because: list[tuple[int, float]] = field(default_factory=list)


class Folded(tuple):
    """What ``fold_in`` returns: the model's state for one person, which unpacks as the
    model's own tuple did (``vector, bias = als.fold_in(...)``), plus ``items`` and
    ``values``, the ratings it was folded from (excluded from their recommendations)."""

    items: np.ndarray
    values: np.ndarray

    def __new__(cls, parts, items, values):
        folded = super().__new__(cls, parts)
        folded.items = np.asarray(items, dtype=np.int64).ravel()
        folded.values = np.asarray(values, dtype=np.float64).ravel()
        return folded

    def __getnewargs__(self):
        return (tuple(self), self.items, self.values)


def is_user_index(user) -> bool:
    """True for a training user's index, False for a folded-in state."""
    return isinstance(user, int | np.integer) and not isinstance(user, bool)


def features_and_names(item_features, tag_names=None):
    """An item x tag matrix and its column names: a DataFrame's columns, the given
    ``tag_names``, or ``tag 0``, ``tag 1``... (None, None without features).

    Example::

        >>> matrix, names = features_and_names(np.eye(2), ["space", "mecha"])
        >>> matrix.shape, names.tolist()
        ((2, 2), ['space', 'mecha'])
    """
    if item_features is None:
        return None, None
    if hasattr(item_features, "columns") and hasattr(item_features, "to_numpy"):
        if tag_names is None:
            tag_names = [str(c) for c in item_features.columns]
        item_features = sp.csr_matrix(item_features.to_numpy(dtype=np.float64))
    n_tags = item_features.shape[1]
    if tag_names is None:
        tag_names = [f"tag {j}" for j in range(n_tags)]
    names = np.asarray([str(n) for n in tag_names], dtype=str)
    if len(names) != n_tags:
        raise ValueError(f"tag_names has {len(names)} names for {n_tags} tag columns")
    return item_features, names


class Recommending:
    """``recommend``, ``similar_items``, ``explain`` and ``score`` for every model."""

    # -- hooks a model overrides ----------------------------------------------------------

    def _item_vectors(self) -> np.ndarray | None:
        """Item vectors whose cosine says "similar" (None: the model has none)."""
        return None

    def _tag_weights(self, user) -> np.ndarray | None:
        """The person's weight per tag (None: the model has no tag weights)."""
        return None

    def _tag_rows(self) -> sp.csr_matrix | None:
        """The items x tags matrix the tag weights apply to."""
        return None

    def _folded_scores(self, state, items: np.ndarray) -> np.ndarray:
        """Scores of a folded-in person (``fold_in``'s result) for ``items``."""
        if not hasattr(self, "predict_folded"):
            raise TypeError(f"{type(self).__name__} cannot score folded-in users")
        return np.asarray(self.predict_folded(*state, items=items), dtype=np.float64)

    def _n_items(self) -> int:
        if not hasattr(self, "user_items_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit() first")
        return int(self.user_items_.shape[1])

    def _rated(self, user) -> tuple[np.ndarray, np.ndarray]:
        """(items, values) a person rated: a training user's training ratings, or the
        ratings a folded-in state was made from."""
        if is_user_index(user):
            ratings = self.user_items_  # type: ignore[attr-defined]
            if not 0 <= int(user) < ratings.shape[0]:
                return np.zeros(0, np.int64), np.zeros(0)
            start, stop = ratings.indptr[int(user)], ratings.indptr[int(user) + 1]
            return (ratings.indices[start:stop].astype(np.int64),
                    np.asarray(ratings.data[start:stop], dtype=np.float64))  # fmt: skip
        items = getattr(user, "items", None)
        values = getattr(user, "values", None)
        if items is None or values is None:
            raise TypeError(
                "user must be a training user's index or what this model's fold_in returned"
            )
        return np.asarray(items, np.int64), np.asarray(values, np.float64)

    def _user_scores(self, user, items: np.ndarray) -> np.ndarray:
        if is_user_index(user):
            users = np.full(len(items), int(user), dtype=np.int64)
            return np.asarray(self.predict(users, items), dtype=np.float64)  # type: ignore[attr-defined]
        return self._folded_scores(user, items)

    def _candidates(self, items) -> np.ndarray:
        n_items = self._n_items()
        if items is None:
            return np.arange(n_items, dtype=np.int64)
        items = np.unique(np.asarray(items, dtype=np.int64).ravel())
        return items[(items >= 0) & (items < n_items)]

    # -- the public methods -----------------------------------------------------------------

    def recommend(
        self, user, n: int = 10, exclude_seen: bool = True, items=None
    ) -> Recommendations:
        """The ``n`` best items for ``user`` (a training user's index, or what
        ``fold_in`` returned), best first, as ``(items, scores)``.

        ``exclude_seen`` leaves out what the person rated; ``items`` restricts the
        candidates (indices; unknown ones are ignored). An unknown user index gets the
        model's fallback list (no personal information: mostly the best-rated items).
        """
        candidates = self._candidates(items)
        if exclude_seen:
            rated, _ = self._rated(user)
            candidates = candidates[~np.isin(candidates, rated)]
        if len(candidates) == 0 or int(n) <= 0:
            return Recommendations(np.zeros(0, np.int64), np.zeros(0))
        scores = self._user_scores(user, candidates)
        best = top_n(scores[None, :].copy(), int(n))[0]
        best = best[best >= 0]
        return Recommendations(candidates[best], scores[best])

    def similar_items(self, item: int, n: int = 10) -> Recommendations:
        """The ``n`` items most similar to ``item`` (cosine of the model's item vectors),
        best first, as ``(items, similarities)``; an unknown item has none.

        Raises ``TypeError`` for a model without item vectors (Baseline, user KNN, Blend).
        """
        vectors = self._item_vectors()
        if vectors is None:
            raise TypeError(
                f"{type(self).__name__} has no item vectors, so no similar items: use a "
                "model that has them (ALS, BALSE, SVD, MF, FM, neural, item KNN, EASE, "
                "LASSO by tags, Ranker)"
            )
        found = cosine_neighbours(vectors, [int(item)], int(n))[0]
        return Recommendations(
            np.array([i for i, _ in found], dtype=np.int64), np.array([s for _, s in found])
        )

    def _liked(self, user) -> np.ndarray:
        """The person's items rated at least their own mean rating."""
        rated, values = self._rated(user)
        if len(rated) == 0:
            return rated
        return rated[values >= values.mean()]

    def _because(self, user, item: int, k: int) -> list[tuple[int, float]]:
        """The person's liked items nearest ``item`` in the model's item space."""
        vectors = self._item_vectors()
        if vectors is None:
            return []
        liked = self._liked(user)
        found = cosine_neighbours(vectors, [int(item)], k, candidates=liked)[0]
        return [(i, s) for i, s in found if s > 0]

    def explain(self, user, item: int, k: int = 3) -> Explanation:
        """Why ``item`` is scored what it is for ``user``: the tags that raise or lower it
        (by the tag names the model was fitted with) and the person's items that lead to
        it. See :class:`Explanation`."""
        item = int(item)
        score = float(self._user_scores(user, np.array([item], dtype=np.int64))[0])
        tags: list[tuple[str, float]] = []
        weights = self._tag_weights(user)
        rows = self._tag_rows()
        if weights is not None and rows is not None and 0 <= item < rows.shape[0]:
            default = [f"tag {j}" for j in range(rows.shape[1])]
            names = [str(name) for name in getattr(self, "tag_names_", default)]
            tags = explain_tags(weights, rows[item], names, k=k)
        return Explanation(item, score, tags, self._because(user, item, k))

    def score(self, X, y=None) -> float:
        """Minus the RMSE of the predictions of ``X``'s ratings (higher is better, as
        scikit-learn's ``GridSearchCV`` expects); ``X`` as ``fit`` takes it: an
        ``(n, 3)`` array of user, item, rating (or ``(n, 2)`` rows and ``y``), a
        RatingMatrix or a sparse matrix."""
        from recommender.algorithms.rating_inputs import as_rating_matrix

        test = as_rating_matrix(X, y)
        predicted = np.asarray(self.predict(test.users, test.items), dtype=np.float64)  # type: ignore[attr-defined]
        return -float(np.sqrt(np.mean((predicted - test.values) ** 2))) if test.nnz else 0.0


def held_out_recall(model, X, seen: sp.csr_matrix, n: int = 20, y=None) -> float:
    """``score`` of a list model (EASE, Ranker): mean recall@``n`` of the held-out
    ratings in ``X`` at or above their median, over the users who have one, each list
    leaving out the user's training items ``seen``. Higher is better."""
    from recommender.algorithms.rating_inputs import as_rating_matrix
    from recommender.algorithms.topn import recall_ndcg

    test = as_rating_matrix(X, y)
    if test.nnz == 0:
        return 0.0
    liked = test.values >= np.median(test.values)
    n_users, n_items = seen.shape
    inside = liked & (test.users < n_users) & (test.items < n_items)
    relevant = sp.csr_matrix(
        (np.ones(inside.sum()), (test.users[inside], test.items[inside])), shape=seen.shape
    )
    users = np.flatnonzero(np.diff(relevant.indptr) > 0)
    recalls = []
    for start in range(0, len(users), 256):
        rows = users[start : start + 256]
        lists = top_n(np.asarray(model.score_users(rows), np.float64), n, exclude=seen[rows])
        recalls.append(recall_ndcg(lists, relevant[rows])[0])
    values = np.concatenate(recalls) if recalls else np.zeros(0)
    return float(np.nanmean(values)) if len(values) else 0.0
