"""What every model offers beyond ``predict``: ``recommend`` (training and folded-in
users), ``similar_items`` (models with item vectors) and ``explain`` (by tag names)."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.algorithms.ease import EASE
from recommender.algorithms.persistence import load_model, save_model
from recommender.algorithms.ranker import Ranker
from recommender.algorithms.recommending import Explanation
from tests.recommender.cases_core import CASES as CORE
from tests.recommender.cases_extra import CASES as EXTRA
from tests.recommender.conftest import make_tag_world

NO_ITEM_VECTORS = {"baseline", "knn-user", "blend"}
TAG_MODELS = {"lasso", "balse", "ranker"}
NAMES = [f"tag{j}" for j in range(8)]


def _cases():
    cases = [pytest.param(name, factory, (rest or [{}])[0], id=name)
             for name, factory, *rest in CORE + EXTRA]  # fmt: skip
    cases.append(pytest.param("ease", lambda random_state=0: EASE(random_state=random_state),
                              {}, id="ease"))  # fmt: skip
    cases.append(pytest.param("ranker", lambda random_state=0: Ranker(random_state=random_state),
                              {"needs_features": True}, id="ranker"))  # fmt: skip
    return cases


@pytest.fixture(scope="module")
def world():
    return make_tag_world(n_users=50, n_items=40, density=0.4)


def _fit(factory, options, world):
    model = factory(random_state=0)
    if options.get("needs_features"):
        kwargs = {"tag_names": NAMES} if "tag_names" in model.fit.__code__.co_varnames else {}
        return model.fit(world.train, world.tags, **kwargs)
    return model.fit(world.train)


@pytest.fixture(scope="module")
def fitted(world):
    return {}


def _model(name, factory, options, world, fitted):
    if name not in fitted:
        fitted[name] = _fit(factory, options, world)
    return fitted[name]


@pytest.mark.parametrize(("name", "factory", "options"), _cases())
def test_recommend_leaves_out_what_the_user_rated(name, factory, options, world, fitted):
    model = _model(name, factory, options, world, fitted)
    user = 4
    rated = world.train.items[world.train.users == user]
    items, scores = model.recommend(user, n=5)
    assert len(items) == 5 and not np.isin(items, rated).any()
    if name != "ranker":  # the ranker's exploration places may step out of score order
        assert np.all(np.diff(scores) <= 1e-12)
    everything = model.recommend(user, n=100, exclude_seen=False)
    assert len(everything.items) == 40
    some = model.recommend(user, n=3, items=[1, 2, 3, 999])
    assert set(some.items.tolist()) <= {1, 2, 3} - set(rated.tolist())
    unknown = model.recommend(10_000, n=4)  # an unknown user gets the fallback list
    assert len(unknown.items) == 4


@pytest.mark.parametrize(("name", "factory", "options"), _cases())
def test_recommend_works_for_a_folded_in_user(name, factory, options, world, fitted):
    model = _model(name, factory, options, world, fitted)
    train = world.train
    user = 7
    rated, values = train.items[train.users == user], train.values[train.users == user]
    state = model.fold_in(rated, values)
    items, _ = model.recommend(state, n=6)
    assert len(items) == 6 and not np.isin(items, rated).any()
    # The folded-in copy of a training user ranks the works about as the user does.
    others = np.setdiff1d(np.arange(40), rated)
    trained = model._user_scores(user, others)
    folded = model._user_scores(state, others)
    assert np.corrcoef(trained, folded)[0, 1] > 0.8


@pytest.mark.parametrize(("name", "factory", "options"), _cases())
def test_similar_items_or_a_clear_error(name, factory, options, world, fitted):
    model = _model(name, factory, options, world, fitted)
    if name in NO_ITEM_VECTORS:
        with pytest.raises(TypeError, match="item"):
            model.similar_items(3, n=5)
        return
    items, similarity = model.similar_items(3, n=5)
    assert 0 < len(items) <= 5 and 3 not in items.tolist()
    assert np.all(np.diff(similarity) <= 1e-9)
    assert len(model.similar_items(10_000, n=5).items) == 0


@pytest.mark.parametrize(("name", "factory", "options"), _cases())
def test_explain_speaks_tag_names_and_the_users_own_items(name, factory, options, world, fitted):
    model = _model(name, factory, options, world, fitted)
    user, item = 4, int(model.recommend(4, n=1).items[0])
    explanation = model.explain(user, item)
    assert isinstance(explanation, Explanation) and explanation.item == item
    assert np.isfinite(explanation.score)
    if name in TAG_MODELS:
        assert explanation.tags and all(tag in NAMES for tag, _ in explanation.tags)
        # The contributions are the user's weights times the work's tags, largest first.
        positive = [w for _, w in explanation.tags if w > 0]
        assert positive == sorted(positive, reverse=True)
    rated = set(world.train.items[world.train.users == user].tolist())
    assert {i for i, _ in explanation.because} <= rated
    if name not in NO_ITEM_VECTORS | {"knn-item"}:
        assert explanation.because, "models with item vectors or pick reasons say why"
    folded = model.fold_in([item], [9.0])
    assert model.explain(folded, item).item == item


@pytest.mark.parametrize(("name", "factory", "options"), _cases())
def test_recommendations_and_explanations_survive_save_and_load(
    name, factory, options, world, fitted, tmp_path
):
    model = _model(name, factory, options, world, fitted)
    loaded = load_model(save_model(model, tmp_path / "model.npz"))
    first, again = model.recommend(4, n=5), loaded.recommend(4, n=5)
    np.testing.assert_array_equal(first.items, again.items)
    assert loaded.explain(4, int(first.items[0])) == model.explain(4, int(first.items[0]))
    if name in TAG_MODELS:
        assert list(loaded.tag_names_) == NAMES


def test_a_nested_model_stores_the_shared_ratings_once(world, tmp_path):
    from recommender.algorithms.balse import BALSE

    model = BALSE(random_state=0).fit(world.train, world.tags)
    assert model.als_.user_items_ is model.user_items_
    loaded = load_model(save_model(model, tmp_path / "balse.npz"))
    assert loaded.als_.user_items_ is loaded.lasso_.user_items_ is loaded.user_items_
    with np.load(tmp_path / "balse.npz") as archive:
        assert sum(name.endswith("user_items_/data") for name in archive.files) == 1
