"""Biased matrix factorisation ("embedding dot bias") trained in torch by minibatch Adam.

``r_ui ~ mu + b_u + b_i + p_u . q_i`` with an L2 penalty on the rows each minibatch
touches (the per-example regularisation of Funk-style SGD). Training runs in torch;
the learned state is copied to numpy arrays (``user_factors_``...) after ``fit``, so
prediction, saving and loading never need torch.

This module also holds the small torch training loop the factorisation machine and the
neural model reuse (:func:`train_minibatches`, :func:`torch_threads`).

Example::

    >>> from recommender.algorithms.base import RatingMatrix
    >>> data = RatingMatrix.from_triples([0, 0, 1], [0, 1, 0], [5.0, 1.0, 5.0])
    >>> model = MatrixFactorization(n_factors=2, n_epochs=5, random_state=0).fit(data)
    >>> model.predict([7], [7]).round(3)  # unknown user and item: the global mean
    array([3.667], dtype=float32)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

import numpy as np

from recommender.algorithms.base import RatingMatrix, Recommender, as_pairs, fit_inputs
from recommender.algorithms.baseline import bias_prediction, fit_biases, known_indices, known_rows
from recommender.algorithms.recommending import Folded

logger = logging.getLogger(__name__)

MIN_BATCHES = 64


@contextlib.contextmanager
def torch_threads(n_threads: int) -> Iterator[None]:
    """Run a block with ``n_threads`` torch threads, then restore the previous count."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n_threads)))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def seeded_generator(random_state):
    """A ``torch.Generator`` seeded from ``random_state`` (int, None or numpy Generator)."""
    import torch

    if isinstance(random_state, np.random.Generator):
        seed = int(random_state.integers(2**62))
    elif random_state is None:
        seed = int(np.random.default_rng().integers(2**62))
    else:
        seed = int(random_state)
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator, seed


def train_minibatches(
    module,
    ratings: RatingMatrix,
    loss_fn: Callable,
    generator,
    n_epochs: int,
    batch_size: int,
    lr: float,
) -> list[float]:
    """Adam over shuffled minibatches; ``loss_fn(module, users, items, values)`` -> loss.

    Batches hold at most ``batch_size`` ratings and at most 1/64 of the data (but >= 32).

    Returns the mean training loss of each epoch (logged at debug level).
    """
    import torch

    # Small datasets get smaller batches so that every epoch still takes MIN_BATCHES steps.
    batch_size = min(int(batch_size), max(32, -(-ratings.nnz // MIN_BATCHES)))
    users = torch.as_tensor(ratings.users, dtype=torch.long)
    items = torch.as_tensor(ratings.items, dtype=torch.long)
    values = torch.as_tensor(ratings.values, dtype=torch.float32)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    history = []
    module.train()
    for epoch in range(int(n_epochs)):
        order = torch.randperm(len(values), generator=generator)
        total = 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(module, users[batch], items[batch], values[batch])
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(batch)
        history.append(total / max(len(values), 1))
        logger.debug("epoch %d: training loss %.4f", epoch, history[-1])
    module.eval()
    return history


def _bias_module(n_users, n_items, n_factors, mu, bu, bi, generator):
    """Embeddings initialised small, biases initialised at the closed-form baseline."""
    import torch
    from torch import nn

    module = nn.Module()
    module.user_factors = nn.Parameter(torch.empty(n_users, n_factors))
    module.item_factors = nn.Parameter(torch.empty(n_items, n_factors))
    nn.init.normal_(module.user_factors, 0.0, 0.1 / np.sqrt(n_factors), generator=generator)
    nn.init.normal_(module.item_factors, 0.0, 0.1 / np.sqrt(n_factors), generator=generator)
    module.user_bias = nn.Parameter(torch.as_tensor(bu, dtype=torch.float32).clone())
    module.item_bias = nn.Parameter(torch.as_tensor(bi, dtype=torch.float32).clone())
    module.register_buffer("mu", torch.tensor(float(mu)))
    return module


class MatrixFactorization(Recommender):
    """Biased MF by minibatch Adam.

    ``reg`` penalises the factors and ``reg_bias`` the biases of each example's user and
    item (mean over the batch). Biases start from the closed-form baseline, which makes
    training converge in a few epochs.
    """

    def __init__(
        self,
        n_factors: int = 64,
        n_epochs: int = 20,
        lr: float = 0.01,
        reg: float = 0.1,
        reg_bias: float = 0.005,
        batch_size: int = 1024,
        n_threads: int = 1,
        random_state=None,
    ):
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.lr = lr
        self.reg = reg
        self.reg_bias = reg_bias
        self.batch_size = batch_size
        self.n_threads = n_threads
        self.random_state = random_state

    def fit(self, ratings: RatingMatrix, item_features=None) -> MatrixFactorization:
        if self.n_factors < 1 or self.n_epochs < 0 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError("n_factors and batch_size must be >= 1, n_epochs >= 0, lr > 0")
        ratings, item_features = fit_inputs(ratings, item_features)
        mu, bu, bi = fit_biases(ratings)
        with torch_threads(self.n_threads):
            generator, _ = seeded_generator(self.random_state)
            module = _bias_module(*ratings.shape, self.n_factors, mu, bu, bi, generator)

            def loss_fn(m, users, items, values):
                p, q = m.user_factors[users], m.item_factors[items]
                b_u, b_i = m.user_bias[users], m.item_bias[items]
                pred = m.mu + b_u + b_i + (p * q).sum(1)
                penalty = self.reg * ((p**2).sum(1) + (q**2).sum(1))
                penalty = penalty + self.reg_bias * (b_u**2 + b_i**2)
                return ((pred - values) ** 2 + penalty).mean()

            if ratings.nnz:
                train_minibatches(
                    module, ratings, loss_fn, generator, self.n_epochs, self.batch_size, self.lr
                )
            self._store(module, ratings)
        return self

    def _store(self, module, ratings: RatingMatrix) -> None:
        """Copy the learned torch state to numpy; unseen rows fall back to the baseline."""
        seen_users = ratings.user_counts() > 0
        seen_items = ratings.item_counts() > 0
        self.global_mean_ = np.float64(module.mu.item())
        self.user_bias_ = module.user_bias.detach().numpy().astype(np.float64) * seen_users
        self.item_bias_ = module.item_bias.detach().numpy().astype(np.float64) * seen_items
        self.user_factors_ = module.user_factors.detach().numpy().copy() * seen_users[:, None]
        self.item_factors_ = module.item_factors.detach().numpy().copy() * seen_items[:, None]
        self.user_items_ = ratings.tocsr()

    def predict(self, users, items=None) -> np.ndarray:
        users, items = as_pairs(users, items)
        base = bias_prediction(self.global_mean_, self.user_bias_, self.item_bias_, users, items)
        p = known_rows(self.user_factors_, users)
        q = known_rows(self.item_factors_, items)
        return (base + np.einsum("ij,ij->i", p, q)).astype(np.float32)

    def fold_in(self, items, values) -> Folded:
        """A new user's state ``(factors, bias)``: the ridge solution of the training
        loss for one user (each rating adds ``reg`` and ``reg_bias`` penalties) against
        the fixed item factors and biases."""
        rows, known = known_indices(items, len(self.item_bias_))
        rows = rows[known]
        target = np.asarray(values, np.float64).ravel()[known] - self.global_mean_
        target = target - self.item_bias_[rows]
        solution = ridge_row(self.item_factors_[rows], target, self.reg, self.reg_bias)
        return Folded((solution[:-1], float(solution[-1])), items, values)

    def predict_folded(self, factors, bias, items=None) -> np.ndarray:
        """Scores of a folded-in user for ``items`` (every item when None)."""
        items = np.arange(len(self.item_bias_)) if items is None else items
        rows, known = known_indices(items, len(self.item_bias_))
        out = self.global_mean_ + bias + np.where(known, self.item_bias_[rows], 0.0)
        return out + np.where(known, self.item_factors_[rows] @ np.asarray(factors), 0.0)

    def _item_vectors(self) -> np.ndarray:
        return self.item_factors_


def ridge_row(features, target, reg: float, reg_bias: float) -> np.ndarray:
    """``[x, b]`` minimising ``||target - features x - b||^2 + n (reg ||x||^2 + reg_bias
    b^2)``: one user's solve against fixed item vectors (zeros without ratings).

    Example::

        >>> ridge_row(np.array([[1.0], [1.0]]), np.array([2.0, 2.0]), 1.0, 1.0).round(3)
        array([0.667, 0.667])
    """
    n, width = features.shape
    design = np.hstack([np.asarray(features, np.float64), np.ones((n, 1))])
    if n == 0:
        return np.zeros(width + 1)
    gram = design.T @ design
    penalty = np.full(width + 1, float(reg))
    penalty[-1] = reg_bias
    gram[np.diag_indices(width + 1)] += n * penalty + 1e-9
    return np.linalg.solve(gram, design.T @ np.asarray(target, np.float64))
