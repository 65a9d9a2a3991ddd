"""DeepFM-style neural recommender: the factorization machine plus an MLP on top.

The MLP reads the concatenation of the user's vector, the item's vector (both shared with
the FM, as in DeepFM) and the item's tag features, and adds its output to the FM
prediction. ReLU hidden layers of sizes ``hidden``; trained jointly by Adam with
``reg_mlp`` weight decay. After ``fit`` the MLP weights live in one flat numpy array
(``mlp_weights_``) and prediction is numpy only.

Example::

    >>> import scipy.sparse as sp
    >>> from recommender.algorithms.base import RatingMatrix
    >>> data = RatingMatrix.from_triples([0, 0, 1], [0, 1, 0], [5.0, 1.0, 5.0], 2, 3)
    >>> tags = sp.csr_matrix(np.eye(3, dtype=np.float32))
    >>> model = NeuralRecommender(n_epochs=2, hidden=(8,), random_state=0).fit(data, tags)
    >>> model.predict([0, 9], [2, 9]).shape
    (2,)
"""

from __future__ import annotations

import numpy as np

from recommender.algorithms.base import RatingMatrix
from recommender.algorithms.baseline import known_indices, known_rows
from recommender.algorithms.fm import FactorizationMachine
from recommender.algorithms.mf import torch_threads


def _layer_shapes(n_inputs: int, hidden) -> list[tuple[int, int]]:
    sizes = [n_inputs, *[int(h) for h in hidden], 1]
    return list(zip(sizes[1:], sizes[:-1], strict=True))


def mlp_forward(weights: np.ndarray, inputs: np.ndarray, hidden) -> np.ndarray:
    """Numpy forward pass of the MLP stored flat as ``[W0, b0, W1, b1, ...]``.

    Example::

        >>> mlp_forward(np.array([2.0, 1.0, 3.0, 0.5]), np.array([[1.0], [-1.0]]), (1,))
        array([9.5, 0.5])
    """
    out, offset = inputs, 0
    shapes = _layer_shapes(inputs.shape[1], hidden)
    for layer, (n_out, n_in) in enumerate(shapes):
        w = weights[offset : offset + n_out * n_in].reshape(n_out, n_in)
        offset += n_out * n_in
        b = weights[offset : offset + n_out]
        offset += n_out
        out = out @ w.T + b
        if layer < len(shapes) - 1:
            out = np.maximum(out, 0.0)
    return out[:, 0]


class NeuralRecommender(FactorizationMachine):
    """FM + MLP over [user vector, item vector, item tags] (DeepFM with biases)."""

    def __init__(
        self,
        n_factors: int = 32,
        hidden: tuple = (64, 32),
        n_epochs: int = 10,
        lr: float = 0.002,
        reg: float = 0.1,
        reg_bias: float = 0.005,
        reg_mlp: float = 1e-3,
        implicit: bool = True,
        item_dropout: float = 0.1,
        batch_size: int = 1024,
        n_threads: int = 1,
        random_state=None,
    ):
        super().__init__(
            n_factors=n_factors,
            n_epochs=n_epochs,
            lr=lr,
            reg=reg,
            reg_bias=reg_bias,
            implicit=implicit,
            item_dropout=item_dropout,
            batch_size=batch_size,
            n_threads=n_threads,
            random_state=random_state,
        )
        self.hidden = hidden
        self.reg_mlp = reg_mlp

    def _hidden(self) -> tuple[int, ...]:
        hidden = tuple(int(h) for h in self.hidden)
        if any(h < 1 for h in hidden) or self.reg_mlp < 0:
            raise ValueError("hidden sizes must be >= 1 and reg_mlp >= 0")
        return hidden

    def _extra_modules(self, module, features, generator) -> None:
        import torch
        from torch import nn

        module.tags_dense = torch.as_tensor(features.toarray())
        layers = []
        for n_out, n_in in _layer_shapes(2 * self.n_factors + features.shape[1], self._hidden()):
            linear = nn.Linear(n_in, n_out)
            bound = 1.0 / np.sqrt(n_in)
            nn.init.uniform_(linear.weight, -bound, bound, generator=generator)
            nn.init.zeros_(linear.bias)
            layers += [linear, nn.ReLU()]
        module.mlp = nn.Sequential(*layers[:-1])  # no ReLU on the output

    def _extra_term(self, module, user_vectors, item_vectors, items):
        import torch

        inputs = torch.cat([user_vectors, item_vectors, module.tags_dense[items]], dim=1)
        return module.mlp(inputs)[:, 0]

    def _extra_penalty(self, module):
        return self.reg_mlp * sum((p**2).sum() for p in module.mlp.parameters())

    def fit(self, ratings: RatingMatrix, item_features=None) -> NeuralRecommender:
        self._hidden()
        with torch_threads(self.n_threads):
            module = self._train(ratings, item_features)
            flat = [p.detach().numpy().ravel() for p in module.mlp.parameters()]
            self.mlp_weights_ = np.concatenate(flat).astype(np.float32)
            self.item_tags_ = module.tags_dense.numpy().copy()
        return self

    def predict(self, users, items=None) -> np.ndarray:
        from recommender.algorithms.base import as_pairs

        users, items = as_pairs(users, items)
        base = super().predict(users, items).astype(np.float64)
        _, u_known = known_indices(users, len(self.user_vectors_))
        _, i_known = known_indices(items, len(self.item_vectors_))
        both = np.flatnonzero(u_known & i_known)
        if len(both):
            users = np.asarray(users).ravel()[both]
            items = np.asarray(items).ravel()[both]
            inputs = np.hstack(
                [
                    known_rows(self.user_vectors_, users),
                    known_rows(self.item_vectors_, items),
                    known_rows(self.item_tags_, items),
                ]
            )
            base[both] += mlp_forward(self.mlp_weights_, inputs, self._hidden())
        return base.astype(np.float32)

    def predict_folded(self, user_vector, bias, user_self, items=None) -> np.ndarray:
        """The FM part of a folded-in user plus the MLP reading their vector."""
        out = super().predict_folded(user_vector, bias, user_self, items)
        items = np.arange(len(self.item_bias_)) if items is None else items
        rows, known = known_indices(items, len(self.item_vectors_))
        if known.any():
            rows = rows[known]
            inputs = np.hstack([
                np.tile(np.asarray(user_vector, np.float64), (len(rows), 1)),
                self.item_vectors_[rows], self.item_tags_[rows],
            ])  # fmt: skip
            out[known] += mlp_forward(self.mlp_weights_, inputs, self._hidden())
        return out
