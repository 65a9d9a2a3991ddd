"""Every model passes scikit-learn's ``clone`` and can be tuned with ``GridSearchCV``:
the ratings are an ``(n, 3)`` array of user, item, rating split by ``KFold`` on rows, and
each model's ``score`` (minus the RMSE; recall@20 for the list models) is the criterion."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

from recommender.algorithms.balse import BALSE
from recommender.algorithms.ease import EASE
from recommender.algorithms.lasso import Lasso
from recommender.algorithms.ranker import Ranker
from tests.recommender.cases_core import CASES as CORE
from tests.recommender.cases_extra import CASES as EXTRA
from tests.recommender.conftest import make_tag_world

# One small grid per model: a parameter each class has.
GRIDS = {
    "als": {"rank": [2, 4]},
    "als-cholesky": {"reg": [0.05, 0.2]},
    "lasso": {"alpha": [0.01, 0.1]},
    "balse": {"als__rank": [2, 4]},  # a nested estimator's parameter
    "baseline": {"reg_user": [5.0, 15.0]},
    "knn-user": {"k": [5, 20]},
    "knn-item": {"k": [5, 20]},
    "svd": {"n_components": [2, 4]},
    "mf": {"n_factors": [4, 8]},
    "fm": {"n_factors": [4, 8]},
    "neural": {"reg_mlp": [1e-3, 1e-2]},
    "blend": {"reg": [1.0, 10.0]},
    "ease": {"reg": [1.0, 50.0]},
    "ranker": {"explore_every": [0, 20]},
}


def _cases():
    cases = []
    for name, factory, *rest in CORE + EXTRA:
        cases.append(pytest.param(name, factory, (rest or [{}])[0], id=name))
    cases.append(pytest.param("ease", lambda random_state=0: EASE(random_state=random_state),
                              {}, id="ease"))  # fmt: skip
    cases.append(
        pytest.param(
            "ranker",
            lambda random_state=0: Ranker(random_state=random_state),
            {"needs_features": True},
            id="ranker",
        )  # fmt: skip
    )
    return cases


@pytest.fixture(scope="module")
def small_world():
    world = make_tag_world(n_users=40, n_items=30, density=0.6)
    train = world.train
    return np.column_stack([train.users, train.items, train.values]), world.tags


@pytest.mark.parametrize(("name", "factory", "options"), _cases())
def test_clone_gives_an_unfitted_equal_estimator(name, factory, options, small_world):
    triples, tags = small_world
    model = factory(random_state=3)
    copy = clone(model)
    assert type(copy) is type(model) and copy is not model
    assert copy.get_params(deep=False).keys() == model.get_params(deep=False).keys()
    assert repr(copy) == repr(model)
    fitted = model.fit(triples, tags if options.get("needs_features") else None)
    assert not any(k.endswith("_") and not k.startswith("_") for k in vars(clone(fitted)))


@pytest.mark.parametrize(("name", "factory", "options"), _cases())
def test_a_small_grid_search_runs_and_picks_from_the_grid(name, factory, options, small_world):
    triples, tags = small_world
    grid = GRIDS[name]
    search = GridSearchCV(factory(random_state=0), grid, cv=KFold(3, shuffle=True, random_state=0),
                          error_score="raise")  # fmt: skip
    fit_params = {"item_features": tags} if options.get("needs_features") else {}
    search.fit(triples, **fit_params)
    assert search.best_params_[next(iter(grid))] in next(iter(grid.values()))
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    # The refitted best model predicts from an array of (user, item[, rating]) rows.
    assert np.all(np.isfinite(search.best_estimator_.predict(triples[:5])))


def test_nested_parameters_reach_the_template():
    model = BALSE(als=None).set_params(lasso=Lasso(), lasso__alpha=0.3)
    assert model.lasso.alpha == 0.3 and model.get_params()["lasso__alpha"] == 0.3
    # None stands for the default ALS: setting its parameters makes one.
    assert BALSE().set_params(als__rank=3).als.rank == 3
    with pytest.raises(ValueError, match="rating_model is None"):
        Ranker().set_params(rating_model__rank=3)
    with pytest.raises(ValueError, match="has no parameter 'ranks'"):
        BALSE().set_params(ranks=3)


def test_score_is_minus_the_rmse(small_world):
    triples, tags = small_world
    model = Lasso(random_state=0).fit(triples, tags)
    predicted = model.predict(triples)
    expected = -np.sqrt(np.mean((predicted - triples[:, 2]) ** 2))
    assert model.score(triples) == pytest.approx(expected)


@pytest.mark.parametrize(
    "factory",
    [pytest.param(f, id=name) for name, f, *rest in CORE + EXTRA
     if not (rest or [{}])[0].get("needs_features") and name != "blend"],
)  # fmt: skip
def test_models_without_tags_take_scikit_learns_x_and_y(factory, small_world):
    from sklearn.model_selection import cross_val_score

    triples, _ = small_world
    pairs, values = triples[:, :2], triples[:, 2]
    scores = cross_val_score(factory(random_state=0), pairs, values, cv=KFold(3, shuffle=True))
    assert np.all(np.isfinite(scores)) and np.all(scores < 0)
    fitted = factory(random_state=0).fit(pairs, values)
    same = factory(random_state=0).fit(triples)
    np.testing.assert_allclose(fitted.predict(pairs[:7]), same.predict(pairs[:7]), rtol=1e-6)
    assert fitted.score(pairs, values) == pytest.approx(same.score(triples))


def test_a_tag_model_given_x_and_y_says_how_to_pass_its_tags(small_world):
    triples, _ = small_world
    with pytest.raises(ValueError, match=r"item_features= as a fit parameter"):
        Lasso().fit(triples[:, :2], triples[:, 2])
