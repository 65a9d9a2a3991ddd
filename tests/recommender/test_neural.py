"""Neural (DeepFM-style) model: numpy forward pass equals torch, tags drive cold start."""

import numpy as np
import pytest
import torch

from recommender.algorithms.neural import NeuralRecommender, mlp_forward
from tests.recommender.cases_extra import tag_world


def test_numpy_forward_equals_torch():
    gen = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(5, 4),
        torch.nn.ReLU(),
        torch.nn.Linear(4, 3),
        torch.nn.ReLU(),
        torch.nn.Linear(3, 1),
    )
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    x = torch.randn(7, 5, generator=gen)
    flat = np.concatenate([p.detach().numpy().ravel() for p in net.parameters()])
    expected = net(x).detach().numpy()[:, 0]
    np.testing.assert_allclose(mlp_forward(flat, x.numpy(), (4, 3)), expected, rtol=1e-5)


def neural(**kw):
    params = dict(n_factors=8, hidden=(16,), n_epochs=40, lr=0.02, reg=0.01, batch_size=128)
    return NeuralRecommender(**{**params, "random_state": 0, **kw})


def test_it_ranks_cold_start_works_by_tag_taste():
    train, tags, likes_tag0, item_tag = tag_world()
    model = neural(implicit=False).fit(train, tags)
    cold = np.arange(train.n_items - 6, train.n_items)
    pred = model.predict(np.repeat(np.arange(train.n_users), 6), np.tile(cold, train.n_users))
    pred = pred.reshape(train.n_users, 6)
    sign = np.where(item_tag[cold][None, :] == 0, 1.0, -1.0) * likes_tag0[:, None]
    agreement = np.mean([np.corrcoef(p, s)[0, 1] > 0.9 for p, s in zip(pred, sign, strict=True)])
    assert agreement == 1.0


def test_deterministic_and_fallback_for_unknown_pairs():
    train, tags, _, _ = tag_world(seed=3)
    a = neural(n_epochs=2, random_state=4).fit(train, tags)
    b = neural(n_epochs=2, random_state=4).fit(train, tags)
    np.testing.assert_array_equal(a.mlp_weights_, b.mlp_weights_)
    np.testing.assert_array_equal(a.predict([0, 2], [1, 3]), b.predict([0, 2], [1, 3]))
    expected = a.global_mean_ + a.item_bias_[1]
    assert a.predict([500], [1])[0] == pytest.approx(expected, abs=1e-5)


def test_bad_hidden_sizes_are_rejected():
    train, tags, _, _ = tag_world()
    with pytest.raises(ValueError):
        neural(hidden=(0,)).fit(train, tags)
