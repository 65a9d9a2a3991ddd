"""Stacked blend: it is at least as good as its best component, and validates its input."""

import numpy as np
import pytest

from recommender.algorithms.blend import Blend, _component
from tests.recommender.cases_extra import planted


def rmse(a, b):
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def test_without_refit_it_beats_its_best_component_on_small_data():
    train, (users, items, truth), _ = planted(n_users=80, n_items=60, noise=0.3, seed=5)
    blend = Blend(
        components=("knn-item", "svd"), validation_fraction=0.3, refit=False, random_state=0
    )
    blend.fit(train)
    errors = [
        rmse(_component(n, 0).fit(train).predict(users, items), truth) for n in blend.components
    ]
    # Components fitted on all the training ratings, i.e. with more data than the blend's.
    assert rmse(blend.predict(users, items), truth) < min(errors)
    # One weight per support feature alone, then per component and support feature.
    assert blend.weights_.shape == ((1 + 2) * 4,)


def test_unknown_users_get_the_baseline_corrected_for_the_works_popularity():
    train, _, _ = planted(seed=6)
    blend = Blend(components=("svd",), random_state=0).fit(train)
    n_item = blend.item_counts_[2]
    # Support columns [1, log1p(n_u), log1p(n_i), n_i == 0] with n_u = 0; the components'
    # deviations from the baseline are 0 for a user they never saw.
    support = np.array([1.0, 0.0, np.log1p(n_item), n_item == 0])
    expected = blend.global_mean_ + blend.item_bias_[2] + support @ blend.weights_[:4]
    assert blend.predict([10_000], [2])[0] == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize(
    "params",
    [
        {"components": ()},
        {"components": ("nope",)},
        {"validation_fraction": 1.0},
        {"cold_fraction": -0.1},
    ],
)
def test_bad_parameters_are_rejected(params):
    train, _, _ = planted(seed=7)
    with pytest.raises(ValueError):
        Blend(**params).fit(train)
