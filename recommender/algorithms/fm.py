"""Factorization machine over user, item, item tags and (optionally) the user's rated items.

Rendle's second-order FM on the features of a (user, item) pair: one-hot user, one-hot
item, the item's tags (weights in [0, 1], rows scaled to unit length) and, with
``implicit=True``, the set of items the user rated (scaled by ``1/sqrt(n)``, the SVD++
trick), all interacting pairwise through ``n_factors``-dimensional vectors::

    r = mu + b_u + b_i + w . t_i + sum_{f < g} <v_f, v_g> x_f x_g

Interactions use the ``((sum v x)^2 - sum (v x)^2) / 2`` identity, split into a user side
and an item side that are precomputed after training, so prediction is one dot product
per pair in numpy. A work nobody rated in training still gets its tag terms: that is how
the FM handles cold-start works.

Example::

    >>> import scipy.sparse as sp
    >>> from recommender.algorithms.base import RatingMatrix
    >>> data = RatingMatrix.from_triples([0, 0, 1], [0, 1, 0], [5.0, 1.0, 5.0], 2, 3)
    >>> tags = sp.csr_matrix(np.eye(3, dtype=np.float32))
    >>> model = FactorizationMachine(n_epochs=2, random_state=0).fit(data, tags)
    >>> model.predict([0, 9], [2, 9]).shape
    (2,)
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.algorithms.base import RatingMatrix, Recommender, as_pairs, fit_inputs
from recommender.algorithms.baseline import bias_prediction, fit_biases, known_indices, known_rows
from recommender.algorithms.mf import (
    _bias_module,
    ridge_row,
    seeded_generator,
    torch_threads,
    train_minibatches,
)
from recommender.algorithms.recommending import Folded


def prepare_features(item_features, n_items: int) -> sp.csr_matrix:
    """Item tag matrix with exactly ``n_items`` rows (padded/truncated), rows unit-norm.

    Example::

        >>> prepare_features(sp.csr_matrix(np.ones((1, 4))), 2).toarray().tolist()
        [[0.5, 0.5, 0.5, 0.5], [0.0, 0.0, 0.0, 0.0]]
    """
    if item_features is None:
        return sp.csr_matrix((n_items, 0), dtype=np.float32)
    features = sp.csr_matrix(item_features, dtype=np.float32)
    if features.shape[0] < n_items:
        padding = sp.csr_matrix((n_items - features.shape[0], features.shape[1]))
        features = sp.vstack([features, padding], format="csr")
    features = features[:n_items]
    norms = np.sqrt(np.asarray(features.multiply(features).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_matrix(sp.diags(scale) @ features, dtype=np.float32)


def implicit_matrix(ratings: RatingMatrix) -> sp.csr_matrix:
    """Users x items indicator of rated items, each row scaled by ``1/sqrt(n_u)``."""
    counts = ratings.user_counts()
    weight = 1.0 / np.sqrt(np.maximum(counts[ratings.users], 1))
    return sp.csr_matrix(
        (weight.astype(np.float32), (ratings.users, ratings.items)), shape=ratings.shape
    )


def _torch_sparse(matrix: sp.csr_matrix):
    import torch

    coo = matrix.tocoo()
    indices = torch.as_tensor(np.vstack([coo.row, coo.col]).astype(np.int64))
    values = torch.as_tensor(coo.data, dtype=torch.float32)
    tensor = torch.sparse_coo_tensor(indices, values, coo.shape, check_invariants=False)
    return tensor.coalesce()


def build_fm_module(ratings, features, implicit, n_factors, generator):
    """The torch parameters of an FM; ``side_terms(module)`` computes both sides."""
    import torch
    from torch import nn

    mu, bu, bi = fit_biases(ratings)
    module = _bias_module(ratings.n_users, ratings.n_items, n_factors, mu, bu, bi, generator)
    n_tags = features.shape[1]
    module.tag_weights = nn.Parameter(torch.zeros(n_tags))
    module.tag_factors = nn.Parameter(torch.empty(n_tags, n_factors))
    module.implicit_factors = nn.Parameter(torch.empty(ratings.n_items, n_factors))
    for weight in (module.tag_factors, module.implicit_factors):
        nn.init.normal_(weight, 0.0, 0.1 / np.sqrt(n_factors), generator=generator)
    module.features = _torch_sparse(features)
    module.features_sq = _torch_sparse(features.multiply(features).tocsr())
    module.implicit = _torch_sparse(implicit) if implicit is not None else None
    if implicit is not None:
        module.implicit_sq = _torch_sparse(implicit.multiply(implicit).tocsr())
    return module


def side_terms(module):
    """(user_sum, user_sq, item_sum, item_sq, item_linear) for all users and items."""
    import torch

    user_sum, user_sq = module.user_factors, module.user_factors**2
    if module.implicit is not None:
        user_sum = user_sum + torch.sparse.mm(module.implicit, module.implicit_factors)
        user_sq = user_sq + torch.sparse.mm(module.implicit_sq, module.implicit_factors**2)
    item_sum = module.item_factors + torch.sparse.mm(module.features, module.tag_factors)
    item_sq = module.item_factors**2 + torch.sparse.mm(module.features_sq, module.tag_factors**2)
    item_linear = torch.sparse.mm(module.features, module.tag_weights[:, None])[:, 0]
    return user_sum, user_sq, item_sum, item_sq, item_linear


class FactorizationMachine(Recommender):
    """Second-order FM with item tags (and optionally implicit user feedback).

    ``reg`` is the L2 penalty of each example's factors, ``reg_bias`` that of its biases
    and linear tag weights. ``item_dropout`` hides the item's own bias and factors on that
    share of the training examples, which trains the tag terms for cold-start works.
    Trained by minibatch Adam in torch; numpy at prediction.
    """

    #: 2: keeps ``implicit_factors_`` (for fold-in) and ``user_items_``.
    format_version = 2

    def __init__(
        self,
        n_factors: int = 32,
        n_epochs: int = 10,
        lr: float = 0.002,
        reg: float = 0.1,
        reg_bias: float = 0.005,
        implicit: bool = True,
        item_dropout: float = 0.1,
        batch_size: int = 1024,
        n_threads: int = 1,
        random_state=None,
    ):
        self.item_dropout = item_dropout
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.lr = lr
        self.reg = reg
        self.reg_bias = reg_bias
        self.implicit = implicit
        self.batch_size = batch_size
        self.n_threads = n_threads
        self.random_state = random_state

    def _check_params(self) -> None:
        if self.n_factors < 1 or self.n_epochs < 0 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError("n_factors and batch_size must be >= 1, n_epochs >= 0, lr > 0")
        if not 0 <= self.item_dropout < 1:
            raise ValueError("item_dropout must be in [0, 1)")

    def _loss(self, module, users, items, values):
        import torch

        user_sum, user_sq, item_sum, item_sq, item_linear = side_terms(module)
        su, si = user_sum[users], item_sum[items]
        pair_sq = user_sq[users] + item_sq[items]
        b_u, b_i = module.user_bias[users], module.item_bias[items]
        if self.item_dropout > 0:
            # Hide the item's own parameters on some examples so that the tag parameters
            # learn to stand in for them: that is all a cold-start work will have.
            hide = torch.rand(len(items), generator=self._generator) < self.item_dropout
            q = module.item_factors[items] * hide[:, None]
            si = si - q
            pair_sq = pair_sq - q**2
            b_i = b_i * ~hide
        interaction = 0.5 * ((su + si) ** 2 - pair_sq).sum(1)
        pred = module.mu + b_u + b_i + item_linear[items] + interaction
        pred = pred + self._extra_term(module, su, si, items)
        p, q = module.user_factors[users], module.item_factors[items]
        penalty = self.reg * ((p**2).sum(1) + (q**2).sum(1))
        penalty = penalty + self.reg_bias * (b_u**2 + b_i**2)
        tags = (module.tag_factors**2).sum() * self.reg + (
            module.tag_weights**2
        ).sum() * self.reg_bias
        implicit = (
            (module.implicit_factors**2).sum() * self.reg if module.implicit is not None else 0
        )
        # Shared parameters (tags, implicit items) are penalised once per epoch-equivalent.
        shared = (tags + implicit) * len(values) / max(self._n_ratings, 1)
        return ((pred - values) ** 2 + penalty).mean() + shared + self._extra_penalty(module)

    # Hooks the neural model overrides to bolt an MLP onto the FM.
    def _extra_modules(self, module, features, generator) -> None:
        return None

    def _extra_term(self, module, user_vectors, item_vectors, items):
        return 0.0

    def _extra_penalty(self, module):
        return 0.0

    def _train(self, ratings, item_features):
        """Build and train the torch module, store its numpy state, and return it."""
        self._check_params()
        ratings, item_features = fit_inputs(ratings, item_features)
        features = prepare_features(item_features, ratings.n_items)
        implicit = implicit_matrix(ratings) if self.implicit else None
        self._n_ratings = ratings.nnz
        generator, _ = seeded_generator(self.random_state)
        self._generator = generator
        module = build_fm_module(ratings, features, implicit, self.n_factors, generator)
        self._extra_modules(module, features, generator)
        if ratings.nnz:
            train_minibatches(
                module, ratings, self._loss, generator, self.n_epochs, self.batch_size, self.lr
            )
        del self._generator  # only needed while training
        self._store(module, ratings, features)
        return module

    def fit(self, ratings: RatingMatrix, item_features=None) -> FactorizationMachine:
        with torch_threads(self.n_threads):
            self._train(ratings, item_features)
        return self

    def _store(self, module, ratings: RatingMatrix, features: sp.csr_matrix) -> None:
        """Precompute each side of the interaction; unseen rows keep only tag terms."""
        import torch

        seen_users = (ratings.user_counts() > 0).astype(np.float32)
        seen_items = (ratings.item_counts() > 0).astype(np.float32)
        with torch.no_grad():
            # Rows never trained keep their random init: zero them before summing.
            module.user_factors.mul_(torch.as_tensor(seen_users)[:, None])
            module.item_factors.mul_(torch.as_tensor(seen_items)[:, None])
            module.user_bias.mul_(torch.as_tensor(seen_users))
            module.item_bias.mul_(torch.as_tensor(seen_items))
            user_sum, user_sq, item_sum, item_sq, item_linear = side_terms(module)
            self.global_mean_ = np.float64(module.mu.item())
            self.user_bias_ = module.user_bias.numpy().astype(np.float64)
            self.item_bias_ = module.item_bias.numpy().astype(np.float64)
            self.user_vectors_ = user_sum.numpy().copy()
            self.item_vectors_ = item_sum.numpy().copy()
            self.user_self_ = 0.5 * ((user_sum**2).sum(1) - user_sq.sum(1)).numpy()
            item_self = 0.5 * ((item_sum**2).sum(1) - item_sq.sum(1))
            self.item_self_ = (item_self + item_linear).numpy()
            width = module.implicit_factors.shape[1]
            self.implicit_factors_ = (
                module.implicit_factors.numpy().copy()
                if module.implicit is not None
                else np.zeros((0, width), dtype=np.float32)
            )
        self.user_items_ = ratings.tocsr()

    def predict(self, users, items=None) -> np.ndarray:
        users, items = as_pairs(users, items)
        base = bias_prediction(self.global_mean_, self.user_bias_, self.item_bias_, users, items)
        _, u_known = known_indices(users, len(self.user_vectors_))
        _, i_known = known_indices(items, len(self.item_vectors_))
        both = u_known & i_known
        dot = np.einsum(
            "ij,ij->i", known_rows(self.user_vectors_, users), known_rows(self.item_vectors_, items)
        )
        extra = known_rows(self.user_self_, users) + known_rows(self.item_self_, items) + dot
        return (base + np.where(both, extra, 0.0)).astype(np.float32)

    def fold_in(self, items, values) -> Folded:
        """A new user's state ``(user_vector, bias, user_self)``: the implicit part from
        the items they rated, then their own factors and bias by the ridge solution of
        the training loss for one user (the FM is linear in them)."""
        rows, known = known_indices(items, len(self.item_bias_))
        rows = rows[known]
        width = self.item_vectors_.shape[1]
        implicit = np.zeros(width)
        constant = 0.0
        if len(self.implicit_factors_) and len(rows):
            scaled = self.implicit_factors_[rows].astype(np.float64) / np.sqrt(len(rows))
            implicit = scaled.sum(axis=0)
            constant = 0.5 * float(implicit @ implicit - (scaled**2).sum())
        vectors = self.item_vectors_[rows].astype(np.float64)
        target = np.asarray(values, np.float64).ravel()[known] - (
            self.global_mean_ + self.item_bias_[rows] + self.item_self_[rows]
            + vectors @ implicit + constant
        )  # fmt: skip
        solution = ridge_row(vectors + implicit, target, self.reg, self.reg_bias)
        own = solution[:-1]
        user_self = float(own @ implicit) + constant
        return Folded((own + implicit, float(solution[-1]), user_self), items, values)

    def predict_folded(self, user_vector, bias, user_self, items=None) -> np.ndarray:
        """Scores of a folded-in user for ``items`` (every item when None)."""
        items = np.arange(len(self.item_bias_)) if items is None else items
        rows, known = known_indices(items, len(self.item_bias_))
        out = self.global_mean_ + bias + np.where(known, self.item_bias_[rows], 0.0)
        extra = user_self + self.item_self_[rows] + self.item_vectors_[rows] @ user_vector
        return out + np.where(known, extra, 0.0)

    def _item_vectors(self) -> np.ndarray:
        return self.item_vectors_
