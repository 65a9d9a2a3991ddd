"""The list model: which unrated works a person will pick *and* like, over the catalogue.

A recommendation list answers "of everything I have not rated, which few will I watch and
love?". Rating models trained for RMSE answer "what would I rate this?" and, ranking the
whole catalogue, put obscure works with a few high ratings on top. The :class:`Ranker`
combines three learned parts:

- **pick**: :class:`~recommender.algorithms.ease.EASE` over every rating as an interaction,
  weighted by its value (a want-to-see or a don't-want-to-see is an interaction too);
- **content**: for works with few or no interactions, the pick score predicted from their
  tags (and poster embeddings): each person's pick scores over well-known works are
  regressed on the works' features (ridge), and the regression scores the rest;
  ``s_j = n_j / (n_j + gate)`` (``n_j`` the work's interactions) shares pick and content;
- **like**: a rating model (BALSE with tags, ALS without) giving the predicted rating;
  ``score = z(pick mix) + like_weight * z(predicted rating) + popularity_weight *
  z(log(1 + ratings of the work))``, each standardised per person (the last term is a prior
  for catalogues where people mostly pick what everybody picks).

With rating times, a person's older ratings count less in what they will pick next
(``recency``: their oldest counts ``1 - recency`` as much as their newest).

``gate``, the content ridge, ``like_weight`` and ``popularity_weight`` are learned on
held-out interactions
(recall@20 on a validation split that also holds out some works entirely), then every
part is refitted on all ratings. Every ``explore_every``-th place of a list goes to the
little-known work the content part likes best when it ranks among the ``explore_within``
x n best of all candidates anyway (the place then lets it in ahead of well-known works a
little above it), so works nobody rated yet can be found; :func:`diversify` caps the
works sharing a group (a franchise).

Example::

    >>> model = Ranker(random_state=0).fit(ratings, tags)  # doctest: +SKIP
    >>> state = model.fold_in([3, 8], [4.0, 2.0])  # doctest: +SKIP
    >>> model.rank_folded(state, n=20)  # doctest: +SKIP
"""

from __future__ import annotations

import inspect
import logging

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.base import (
    RatingMatrix,
    Recommender,
    as_pairs,
    check_fitted,
    check_random_state,
    fit_inputs,
    validation_split,
)
from recommender.algorithms.ease import EASE
from recommender.algorithms.list_shaping import (
    diversify,
    explore_positions,
    interleave,
    rating_model_scores,
    standardise,
)
from recommender.algorithms.ranker_mix import WELL_KNOWN, content_map, learn_mix
from recommender.algorithms.ranker_views import RankerState, RankerViews
from recommender.algorithms.recommending import (
    features_and_names,
)
from recommender.algorithms.topn import top_n

logger = logging.getLogger(__name__)


class Ranker(RankerViews):
    """Ranks a catalogue for a person by pick x like, with a content part for new works.

    ``rating_model`` is an unfitted template (default: BALSE when item features are given,
    ALS otherwise). Learned: ``pick_`` (EASE), ``rating_model_``, ``content_`` (features x
    items ridge map), ``gate_``, ``like_weight_``, ``popularity_weight_``, ``item_counts_``
    and, with poster
    embeddings, ``embedding_mean_`` / ``embedding_components_`` (their PCA).
    """

    def __init__(
        self,
        pick=None,
        rating_model=None,
        validation_fraction=0.2,
        cold_fraction=0.05,
        embedding_dims=16,
        explore_every=20,
        explore_within=2.0,
        little_known=3,
        recency=0.5,
        random_state=None,
    ):
        self.pick = pick
        self.recency = recency
        self.rating_model = rating_model
        self.validation_fraction = validation_fraction
        self.cold_fraction = cold_fraction
        self.embedding_dims = embedding_dims
        self.explore_every = explore_every
        self.explore_within = explore_within
        self.little_known = little_known
        self.random_state = random_state

    # -- fitting -------------------------------------------------------------------------

    def _validate(self) -> None:
        if not 0.0 < self.validation_fraction < 1.0:
            raise ValueError("validation_fraction must lie in (0, 1)")
        if not 0.0 <= self.cold_fraction < 1.0:
            raise ValueError("cold_fraction must lie in [0, 1)")
        if int(self.embedding_dims) < 0 or int(self.explore_every) < 0:
            raise ValueError("embedding_dims and explore_every must be >= 0")
        if self.explore_within < 0:
            raise ValueError("explore_within must be >= 0")
        if int(self.little_known) < 1:
            raise ValueError("little_known must be >= 1")

    def _default_templates(self) -> dict:
        return {"pick": EASE}

    def _new_pick(self, seed: int, reg=None) -> EASE:
        template = self.pick if self.pick is not None else EASE()
        params = {**template.get_params(deep=False), "random_state": seed, "recency": self.recency}
        if reg is not None:
            params["reg"] = reg
        return EASE(**params)

    def _new_rating_model(self, seed: int, has_features: bool) -> Recommender:
        if self.rating_model is not None:
            params = self.rating_model.get_params(deep=False)
            if "random_state" in params:
                params["random_state"] = seed
            return type(self.rating_model)(**params)
        if has_features:
            from recommender.algorithms.balse import BALSE

            return BALSE(random_state=seed)
        from recommender.algorithms.als import ALS

        return ALS(random_state=seed)

    def _fit_rating_model(self, seed, has_features, ratings, item_features, names):
        model = self._new_rating_model(seed, has_features)
        if names is not None and "tag_names" in inspect.signature(model.fit).parameters:
            return model.fit(ratings, item_features, tag_names=names)
        return model.fit(ratings, item_features)

    def _fit_embeddings(self, embeddings, n_items: int) -> None:
        dims = int(self.embedding_dims)
        if embeddings is None or dims == 0:
            self.embedding_mean_ = np.zeros(0, dtype=np.float32)
            self.embedding_components_ = np.zeros((0, 0), dtype=np.float32)
            return
        embeddings = np.asarray(embeddings, dtype=np.float64)
        if embeddings.shape[0] < n_items:
            raise ValueError(f"item_embeddings has {embeddings.shape[0]} rows for {n_items}")
        present = np.abs(embeddings).sum(axis=1) > 0
        if present.sum() < 2:
            self._fit_embeddings(None, n_items)
            return
        mean = embeddings[present].mean(axis=0)
        _, _, vt = np.linalg.svd(embeddings[present] - mean, full_matrices=False)
        self.embedding_mean_ = mean.astype(np.float32)
        self.embedding_components_ = vt[:dims].astype(np.float32)

    def design(self, item_features=None, item_embeddings=None, n_items=None) -> np.ndarray:
        """The content features of every work: tags, the PCA of poster embeddings (works
        without a poster get zeros there) and an intercept, as a dense items x F array."""
        check_fitted(self, "embedding_mean_")
        n_items = self.item_counts_.shape[0] if n_items is None else int(n_items)
        columns = [np.ones((n_items, 1))]
        n_tags = int(self.n_tags_)
        if n_tags:
            if item_features is None:
                raise ValueError("this model was fitted with item features: pass them")
            tags = sp.csr_matrix(item_features)[:n_items]
            if tags.shape[1] != n_tags:
                raise ValueError(f"item_features has {tags.shape[1]} tags, the model {n_tags}")
            columns.insert(0, tags.toarray())
        if len(self.embedding_mean_):
            if item_embeddings is None:
                projected = np.zeros((n_items, len(self.embedding_components_)))
            else:
                raw = np.asarray(item_embeddings, dtype=np.float64)[:n_items]
                present = np.abs(raw).sum(axis=1) > 0
                projected = (raw - self.embedding_mean_) @ self.embedding_components_.T
                projected[~present] = 0.0
            columns.insert(-1, projected)
        design = np.hstack(columns)
        if design.shape[0] < n_items:
            design = np.vstack([design, np.zeros((n_items - design.shape[0], design.shape[1]))])
        return design

    def _design_for(self, item_features, item_embeddings, n_items: int) -> np.ndarray:
        """The fitted design, or one built from current features (new works added)."""
        if item_features is None and item_embeddings is None and n_items <= len(self.design_):
            return self.design_
        if item_features is None and self.n_tags_:
            raise ValueError("works beyond the model need their item features")
        return self.design(item_features, item_embeddings, n_items)

    def fit(
        self, ratings: RatingMatrix, item_features=None, item_embeddings=None, tag_names=None
    ) -> Ranker:
        """Learn every part on ``ratings`` (all choices), with optional item ``tags``
        (items x tags in [0, 1]; ``tag_names`` or a DataFrame's columns name them) and
        poster ``item_embeddings`` (items x d, zero rows for works without one)."""
        self._validate()
        ratings, item_features = fit_inputs(ratings, item_features)
        item_features, names = features_and_names(item_features, tag_names)
        if ratings.nnz < 2:
            raise ValueError("Ranker needs at least two ratings")
        rng = check_random_state(self.random_state)
        seeds = [int(s) for s in rng.integers(2**31 - 1, size=4)]
        has_features = item_features is not None
        self.n_tags_ = int(sp.csr_matrix(item_features).shape[1]) if has_features else 0
        self.tag_names_ = names if names is not None else np.zeros(0, dtype=str)
        self.item_counts_ = ratings.item_counts()
        self._fit_embeddings(item_embeddings, ratings.n_items)
        design = self.design(item_features, item_embeddings, ratings.n_items)

        part, valid = validation_split(ratings, self.validation_fraction, self.cold_fraction, rng)
        pick = self._new_pick(seeds[0]).fit(part)
        rating_model = self._fit_rating_model(seeds[1], has_features, part, item_features, names)
        self.gate_, self.content_reg_, self.like_weight_, self.popularity_weight_ = learn_mix(
            part, valid, pick, rating_model, design, int(self.little_known), rng
        )
        pick_reg = pick.reg_
        # The validation models are done with: freed before the final ones are fitted (at
        # 20,000 works the pick model alone holds a 1.6 GB works x works matrix).
        del pick, rating_model, part, valid
        self.pick_ = self._new_pick(seeds[2], reg=pick_reg).fit(ratings)
        self.rating_model_ = self._fit_rating_model(
            seeds[3], has_features, ratings, item_features, names
        )
        self.design_ = design.astype(np.float32)
        well_known = np.flatnonzero(self.item_counts_ >= WELL_KNOWN)
        self.content_ = np.zeros((design.shape[1], ratings.n_items), dtype=np.float32)
        if len(well_known):
            self.content_[:, well_known] = content_map(design, well_known, self.content_reg_)
        return self

    # -- scoring -------------------------------------------------------------------------

    def _mix(self, picks: np.ndarray, design: np.ndarray) -> np.ndarray:
        """Pick scores shared with the content prediction by each work's interactions."""
        n = picks.shape[1]
        counts = np.zeros(n)
        known = min(n, len(self.item_counts_))
        counts[:known] = self.item_counts_[:known]
        # In the stored maps' float32: a float64 product would copy both maps first.
        weights = picks[:, :known].astype(self.content_.dtype)
        content = (weights @ self.content_[:, :known].T) @ design[:n].T.astype(
            self.content_.dtype, copy=False
        )
        share = counts / (counts + self.gate_)
        return share * picks + (1 - share) * content

    def _final(self, picks, likes, design) -> np.ndarray:
        final = standardise(self._mix(picks, design)) + self.like_weight_ * standardise(likes)
        if self.popularity_weight_:
            counts = np.zeros(picks.shape[1])
            known = min(picks.shape[1], len(self.item_counts_))
            counts[:known] = self.item_counts_[:known]
            final += self.popularity_weight_ * standardise(np.log1p(counts)[None, :])
        return final

    def score_users(self, users, item_features=None, item_embeddings=None) -> np.ndarray:
        """Ranking scores (len(users) x items) of training users, higher is better."""
        check_fitted(self, "pick_")
        users = np.asarray(users, dtype=np.int64).ravel()
        n_items = len(self.item_counts_)
        design = self._design_for(item_features, item_embeddings, n_items)
        picks = self.pick_.score_users(users)
        if self.like_weight_:
            likes = rating_model_scores(self.rating_model_, users, n_items)
        else:
            likes = np.zeros_like(picks)  # not asked for: spare scoring every pair
        return self._final(picks, likes, design)

    def predict(self, users, items=None) -> np.ndarray:
        """Ranking scores of (user, work) pairs (standardised: comparable within a user);
        unknown users get the scores of a person with no ratings, unknown works 0."""
        users, items = as_pairs(users, items)
        out = np.zeros(len(users))
        distinct, rows = np.unique(users, return_inverse=True)
        known = (items >= 0) & (items < len(self.item_counts_))
        for start in range(0, len(distinct), 256):  # bounded memory: 256 users x items
            chunk = slice(start, start + 256)
            scores = self.score_users(distinct[chunk])
            mask = known & (rows >= start) & (rows < start + 256)
            out[mask] = scores[rows[mask] - start, items[mask]]
        return out

    def top_n(self, users, n, exclude=None, item_features=None, item_embeddings=None):
        """The ``n`` best works for each training user (rows of -1 padded), with the
        exploration places filled by little-known works (see :meth:`rank_folded`)."""
        scores = self.score_users(users, item_features, item_embeddings)
        return self._lists(scores, n, exclude, np.arange(scores.shape[1]))

    def _lists(self, scores, n, exclude, columns, shown=None):
        """Top-n rows of ``scores`` (columns are item indices) with the exploration places
        of a list of ``shown`` works (``n`` by default)."""
        n = int(n)
        if exclude is not None:
            coo = sp.coo_matrix(exclude)
            scores[coo.row, coo.col] = -np.inf
        counts = np.zeros(len(columns))
        inside = columns < len(self.item_counts_)
        counts[inside] = self.item_counts_[columns[inside]]
        little = counts < int(self.little_known)
        places = explore_positions(n if shown is None else int(shown), int(self.explore_every))
        main = top_n(np.where(little[None, :], -np.inf, scores), n)
        extra = top_n(np.where(little[None, :], scores, -np.inf), n)
        # The score an exploration candidate must reach: the explore_within x n-th best.
        depth = min(max(int(round(self.explore_within * (shown or n))), 1), scores.shape[1])
        floor = -np.partition(-scores, depth - 1, axis=1)[:, depth - 1]
        lists = np.full((scores.shape[0], n), -1, dtype=np.int64)
        for row in range(scores.shape[0]):  # merges two short lists per person
            lists[row] = interleave(main[row], extra[row], scores[row], places, n, floor[row])
        return lists

    def score_folded(self, state: RankerState, item_features=None, item_embeddings=None,
                     n_items=None, design=None) -> np.ndarray:  # fmt: skip
        """Ranking scores of a folded-in person for every work (``n_items`` of them, more
        than the model knows when new works were added since: they score by content).
        ``design`` passes :meth:`design` of the current works, computed once."""
        check_fitted(self, "pick_")
        if design is not None:
            n_items = len(design)
        n_items = len(self.item_counts_) if n_items is None else int(n_items)
        if design is None:
            design = self._design_for(item_features, item_embeddings, n_items)
        picks = np.zeros((1, n_items))
        known = min(n_items, len(self.item_counts_))
        picks[0, :known] = self.pick_.score_folded(state.row)[:known]
        if self.like_weight_:
            likes = self.predict_rating_folded(state, np.arange(n_items), item_features)[None, :]
        else:
            likes = np.zeros_like(picks)
        return self._final(picks, likes, design)[0]

    def rank_folded(self, state: RankerState | None, n: int = 20, candidates=None,
                    item_features=None, item_embeddings=None, n_items=None, groups=None,
                    max_per_group=None, design=None, shown=None, scores=None):  # fmt: skip
        """The ``n`` best works for a folded-in person among ``candidates`` (indices; all
        works when None), as ``(items, scores, explored)``: exploration places hold the
        best little-known works (placed for a list of ``shown`` works, ``n`` by default: ask
        for more than you show to have spares), and at most ``max_per_group`` works share a
        ``groups`` label (a franchise) unless nothing else is left. ``scores`` passes the
        person's :meth:`score_folded` when already computed (several lists, one fold;
        ``state`` may then be None, as for a training user's :meth:`score_users` row).

        Example::

            >>> items, scores, explored = model.rank_folded(state, n=20)  # doctest: +SKIP
        """
        if scores is None:
            if state is None:
                raise ValueError("rank_folded needs a state or its scores")
            scores = self.score_folded(state, item_features, item_embeddings, n_items, design)
        columns = np.arange(len(scores)) if candidates is None else np.asarray(candidates)
        columns = columns.astype(np.int64)
        wanted = int(n) if groups is None else min(len(columns), int(n) * 3)
        row = self._lists(scores[columns][None, :].copy(), wanted, None, columns, shown or n)[0]
        row = row[row >= 0]
        order = columns[row]
        if groups is not None:
            order = diversify(order, groups, max_per_group, int(n))
        order = order[: int(n)]
        counts = np.zeros(len(order))
        inside = order < len(self.item_counts_)
        counts[inside] = self.item_counts_[order[inside]]
        return order, scores[order], counts < int(self.little_known)


__all__ = ["Ranker", "RankerState", "diversify", "explore_positions", "rating_model_scores"]
