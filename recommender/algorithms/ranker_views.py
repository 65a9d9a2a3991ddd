"""What a fitted :class:`~recommender.algorithms.ranker.Ranker` tells about itself beyond its
lists: a person folded in (:class:`RankerState`) and their predicted ratings and pick
reasons, tag and factor views for explanations and maps, and the methods every model offers
(:mod:`recommender.algorithms.recommending`). A mixin, so the class and its saved files keep
their name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.base import Recommender, check_fitted
from recommender.algorithms.recommending import Recommendations, held_out_recall, is_user_index


@dataclass
class RankerState:
    """A person folded into a :class:`~recommender.algorithms.ranker.Ranker`: interaction row
    and rating-model state."""

    row: sp.csr_matrix
    rating: tuple

    @property
    def items(self) -> np.ndarray:
        """The works the person was folded from (those the model knows, at least)."""
        return np.asarray(getattr(self.rating, "items", self.row.indices), dtype=np.int64)

    @property
    def values(self) -> np.ndarray:
        return np.asarray(getattr(self.rating, "values", self.row.data), dtype=np.float64)


class RankerViews(Recommender):
    """Methods of :class:`~recommender.algorithms.ranker.Ranker` that read its fitted parts."""

    # Fitted by Ranker.fit, scored by Ranker's own methods.
    pick_: Any
    rating_model_: Any
    design_: np.ndarray
    embedding_mean_: np.ndarray
    item_counts_: np.ndarray
    n_tags_: int
    score_users: Any
    score_folded: Any
    rank_folded: Any

    # -- a person folded in ------------------------------------------------------------------

    def fold_in(self, items, values, times=None, item_features=None) -> RankerState:
        """A (new or changed) person's state from their ratings (with their ``times``,
        older ones count less): milliseconds."""
        check_fitted(self, "pick_")
        items = np.asarray(items, dtype=np.int64).ravel()
        values = np.asarray(values, dtype=np.float64).ravel()
        row = self.pick_.fold_in(items, values, times)
        if hasattr(self.rating_model_, "lasso_"):
            rating = self.rating_model_.fold_in(items, values, item_features=item_features)
        else:
            rating = self.rating_model_.fold_in(items, values)
        return RankerState(row, rating)

    def predict_rating_folded(self, state: RankerState, items=None, item_features=None):
        """The rating model's predicted ratings of a folded-in person."""
        check_fitted(self, "pick_")
        model = self.rating_model_
        if hasattr(model, "lasso_"):
            return model.predict_folded(*state.rating, items=items, item_features=item_features)
        return model.predict_folded(*state.rating, items=items)

    def pick_reasons(self, state: RankerState, items) -> tuple[np.ndarray, np.ndarray]:
        """What each of the person's works adds to each of ``items``' pick scores:
        ``(works, parts)``, ``parts[i, j]`` for ``works[i]`` and ``items[j]``."""
        return self.pick_.contributions_many(state.row, items)

    # -- what the rating model knows, for explanations and maps ----------------------------

    def tag_matrix(self) -> sp.csr_matrix:
        """The items x tags matrix the model was fitted with (empty without tags)."""
        check_fitted(self, "design_")
        return sp.csr_matrix(self.design_[:, : int(self.n_tags_)], dtype=np.float64)

    def embedding_width(self) -> int:
        """The width of the poster embeddings the model takes (0: it uses none)."""
        check_fitted(self, "embedding_mean_")
        return int(len(self.embedding_mean_))

    def _factor_model(self):
        model = self.rating_model_
        return model.als_ if hasattr(model, "als_") else model

    def item_vectors(self) -> np.ndarray | None:
        """The rating model's item factors (taste space), None if it has none."""
        check_fitted(self, "pick_")
        return getattr(self._factor_model(), "item_factors_", None)

    def user_vector(self, state: RankerState) -> np.ndarray | None:
        """A folded-in person's vector in the same space as :meth:`item_vectors`."""
        rating = state.rating
        if hasattr(self.rating_model_, "als_"):
            rating = rating[0]
        return None if self.item_vectors() is None else np.asarray(rating[0])

    def tag_weights(self, state: RankerState) -> np.ndarray | None:
        """A folded-in person's weight for each tag (the rating model's per-user LASSO),
        None when the rating model has no tags."""
        if hasattr(self.rating_model_, "lasso_"):
            return np.asarray(state.rating[1][0])
        if hasattr(self.rating_model_, "coef_") and hasattr(self.rating_model_, "intercept_"):
            return np.asarray(state.rating[0])
        return None

    # -- what every model offers (see recommending.py) ----------------------------------

    def _n_items(self) -> int:
        check_fitted(self, "pick_")
        return len(self.item_counts_)

    def _rated(self, user) -> tuple[np.ndarray, np.ndarray]:
        if is_user_index(user):
            return self.pick_._rated(user)
        return user.items, user.values

    def _user_scores(self, user, items: np.ndarray) -> np.ndarray:
        if is_user_index(user):
            return self.score_users([int(user)])[0][items]
        return self.score_folded(user)[items]

    def recommend(
        self, user, n: int = 10, exclude_seen: bool = True, items=None
    ) -> Recommendations:
        """The ``n`` best works for ``user`` (a training user's index or :meth:`fold_in`'s
        state) through :meth:`rank_folded`, exploration places included: ``(items,
        scores)`` with ranking scores (comparable within one person)."""
        candidates = self._candidates(items)
        if exclude_seen:
            candidates = candidates[~np.isin(candidates, self._rated(user)[0])]
        if len(candidates) == 0 or int(n) <= 0:
            return Recommendations(np.zeros(0, np.int64), np.zeros(0))
        if is_user_index(user):
            scores, state = self.score_users([int(user)])[0], None
        else:
            scores, state = self.score_folded(user), user
        order, chosen, _ = self.rank_folded(state, n=int(n), candidates=candidates, scores=scores)
        return Recommendations(order, chosen)

    def _item_vectors(self) -> np.ndarray | None:
        return self.item_vectors()

    def _tag_weights(self, user) -> np.ndarray | None:
        if not int(self.n_tags_):
            return None
        if is_user_index(user):
            return self.rating_model_._tag_weights(user)
        return self.tag_weights(user)

    def _tag_rows(self) -> sp.csr_matrix | None:
        return self.tag_matrix() if int(self.n_tags_) else None

    def _because(self, user, item: int, k: int) -> list[tuple[int, float]]:
        """The person's works that raise ``item``'s pick score most."""
        return self.pick_._because(user.row if not is_user_index(user) else user, item, k)

    def score(self, X, y=None) -> float:
        """Recall@20 of the held-out ratings in ``X`` at or above their median (higher is
        better): what ``GridSearchCV`` maximises for the list model."""
        check_fitted(self, "pick_")
        return held_out_recall(self, X, self.pick_.interactions_, y=y)
