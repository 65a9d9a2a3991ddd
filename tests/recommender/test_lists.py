"""The list models (EASE, Ranker) and their full-catalogue top-N selection: known answers
on planted taste groups, fallbacks, fold-in, save/load, determinism, and a recall band on
MovieLens 100K."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.algorithms._ease_solve import gram_matrix, sparsify_rows
from recommender.algorithms.base import RatingMatrix
from recommender.algorithms.ease import EASE, recency_factors, solve_ease
from recommender.algorithms.persistence import load_model, save_model
from recommender.algorithms.ranker import Ranker, diversify, explore_positions
from recommender.algorithms.topn import recall_ndcg, top_n
from tests.recommender.conftest import ML100K


def planted_groups(n_users=200, n_items=120, n_groups=4, per_user=12, seed=0):
    """Each person picks works of one taste group only and likes them; tags name the group.
    Returns (ratings, tags, group of each user, group of each item)."""
    rng = np.random.default_rng(seed)
    item_group = np.arange(n_items) % n_groups
    user_group = rng.integers(0, n_groups, n_users)
    users, items, values = [], [], []
    for user in range(n_users):
        pool = np.flatnonzero(item_group == user_group[user])
        for item in rng.choice(pool, size=per_user, replace=False):
            users.append(user)
            items.append(item)
            values.append(rng.choice([4.0, 5.0]))
    tags = sp.csr_matrix(np.eye(n_groups)[item_group])
    ratings = RatingMatrix.from_triples(users, items, values, n_users, n_items)
    return ratings, tags, user_group, item_group


def test_ease_closed_form_matches_the_constrained_least_squares_solution():
    rng = np.random.default_rng(0)
    weights = (rng.random((40, 6)) < 0.4).astype(float)
    gram = weights.T @ weights
    coef = solve_ease(gram, 2.0)
    assert np.allclose(np.diag(coef), 0.0)
    # Each column j is the ridge regression of work j on the other works.
    for j in range(6):
        others = [k for k in range(6) if k != j]
        x = weights[:, others]
        expected = np.linalg.solve(x.T @ x + 2.0 * np.eye(5), x.T @ weights[:, j])
        assert np.allclose(coef[others, j], expected, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_in_place_solve_gives_the_same_weights_in_the_same_order(dtype):
    # 1,100 works: several bands of the symmetrisation, the last one partial.
    rng = np.random.default_rng(1)
    weights = (rng.random((3000, 1100)) < 0.05).astype(dtype)
    gram = weights.T @ weights
    before = gram.copy()
    copied = solve_ease(gram, 3.0)
    np.testing.assert_array_equal(gram, before)  # left as it was
    in_place = solve_ease(gram, 3.0, overwrite=True)
    np.testing.assert_array_equal(in_place, copied)
    assert in_place.flags["C_CONTIGUOUS"] and np.shares_memory(in_place, gram)
    # B = -P / diag(P) column-wise, zero diagonal, P the inverse of the regularised Gram.
    precision = np.linalg.inv(before.astype(np.float64) + 3.0 * np.eye(1100))
    expected = -precision / np.diag(precision)[None, :]
    np.fill_diagonal(expected, 0.0)
    assert np.allclose(copied, expected, atol=1e-4 if dtype == np.float32 else 1e-10)


def test_the_gram_matrix_is_built_band_by_band_without_changing_it():
    rng = np.random.default_rng(3)
    weights = sp.random(500, 2300, density=0.02, format="csr", random_state=rng)
    expected = (weights.T @ weights).toarray()
    np.testing.assert_allclose(gram_matrix(weights, np.float64), expected, rtol=1e-12)
    assert gram_matrix(weights, np.float32).dtype == np.float32


def test_sparsified_rows_keep_their_largest_weights_across_bands():
    rng = np.random.default_rng(2)
    coef = rng.normal(size=(2500, 40))
    kept = sparsify_rows(coef, 5).toarray()
    assert ((kept != 0).sum(axis=1) == 5).all()
    fifth = -np.sort(-np.abs(coef), axis=1)[:, 4]
    assert (np.abs(kept).min(axis=1, where=kept != 0, initial=np.inf) == fifth).all()


@pytest.mark.parametrize("model", [EASE(random_state=0), Ranker(random_state=0)])
def test_a_person_is_offered_works_of_the_taste_they_showed(model):
    ratings, tags, user_group, item_group = planted_groups()
    model.fit(ratings, tags) if isinstance(model, Ranker) else model.fit(ratings)
    users = np.arange(40)
    seen = ratings.tocsr()[users]
    lists = top_n(model.score_users(users), 10, exclude=seen)
    assert (lists >= 0).all()
    assert (item_group[lists] == user_group[users][:, None]).mean() > 0.95
    assert not (seen.toarray()[np.arange(40)[:, None], lists] > 0).any()


def test_auto_reg_tried_on_the_most_picked_works_matches_the_whole_catalogue(monkeypatch):
    import recommender.algorithms.ease as ease

    ratings, _, _, _ = planted_groups(n_users=300, n_items=160, per_user=15)
    whole = EASE(random_state=0).fit(ratings)
    monkeypatch.setattr(ease, "REG_SAMPLE_ITEMS", 60)
    core = EASE(random_state=0).fit(ratings)
    # Same candidates (scaled by the whole catalogue): the choice moves at most one step.
    assert whole.reg_ / 4.5 <= core.reg_ <= whole.reg_ * 4.5
    assert core.coef_.shape == whole.coef_.shape  # the final solve still covers every work


def test_fold_in_gives_the_training_user_s_own_scores():
    ratings, _, _, _ = planted_groups()
    model = EASE(reg=5.0).fit(ratings)
    csr = ratings.tocsr()
    user = 7
    items = csr.indices[csr.indptr[user] : csr.indptr[user + 1]]
    values = csr.data[csr.indptr[user] : csr.indptr[user + 1]]
    folded = model.score_folded(model.fold_in(items, values))
    assert np.allclose(folded, model.score_users([user])[0])
    # Unknown works in the history are ignored; an unknown user scores zero everywhere.
    assert np.allclose(model.score_folded(model.fold_in([*items, 10_000], [*values, 5.0])), folded)
    assert not model.score_users([10_000]).any()


def test_recent_ratings_count_more_in_a_person_s_row():
    factors = recency_factors([0, 0, 0, 1], [30.0, 10.0, 20.0, 5.0], 0.5)
    assert factors.tolist() == [1.0, 0.5, 0.75, 1.0]
    ratings, _, _, _ = planted_groups()
    model = EASE(reg=5.0, recency=0.5).fit(ratings)
    row = model.fold_in([0, 4], [5.0, 5.0], times=[2.0, 1.0])
    assert row[0, 0] == pytest.approx(2 * row[0, 4])


def test_unknown_works_and_people_never_raise():
    ratings, tags, _, _ = planted_groups()
    model = Ranker(random_state=0).fit(ratings, tags)
    scores = model.predict([0, 10_000, 3], [5, 5, 10_000])
    assert np.all(np.isfinite(scores)) and scores[2] == 0.0
    state = model.fold_in([], [])
    items, _, _ = model.rank_folded(state, n=5)
    assert len(items) == 5


def test_empty_input_is_a_clear_error():
    empty = RatingMatrix.from_triples([], [], [], n_users=3, n_items=4)
    for model in (EASE(), Ranker()):
        with pytest.raises(ValueError, match="empty|at least two"):
            model.fit(empty)


def test_save_load_round_trip_and_memory_mapping(tmp_path, monkeypatch):
    import recommender.algorithms.persistence as persistence

    ratings, tags, _, _ = planted_groups()
    model = Ranker(random_state=0).fit(ratings, tags)
    path = save_model(model, tmp_path / "ranker.npz")
    monkeypatch.setattr(persistence, "MMAP_FROM_BYTES", 1024)
    loaded = load_model(path, mmap=True)
    assert isinstance(loaded.pick_.coef_, np.memmap)
    assert np.allclose(loaded.score_users(np.arange(10)), model.score_users(np.arange(10)))


def test_fitting_twice_with_one_seed_gives_the_same_lists():
    ratings, tags, _, _ = planted_groups()
    first = Ranker(random_state=3).fit(ratings, tags).top_n(np.arange(20), 10)
    second = Ranker(random_state=3).fit(ratings, tags).top_n(np.arange(20), 10)
    assert np.array_equal(first, second)


def test_a_new_work_is_found_from_its_tags_alone():
    ratings, tags, user_group, item_group = planted_groups()
    # Works 0..3 (one per group) lose every rating: only their tags are left.
    keep = ~np.isin(ratings.items, [0, 1, 2, 3])
    model = Ranker(random_state=0).fit(ratings.subset(keep), tags)
    for user in range(20):
        csr = ratings.subset(keep).tocsr()
        items = csr.indices[csr.indptr[user] : csr.indptr[user + 1]]
        state = model.fold_in(items, csr.data[csr.indptr[user] : csr.indptr[user + 1]])
        scores = model.score_folded(state)
        cold = np.array([0, 1, 2, 3])
        assert cold[np.argmax(scores[cold])] == user_group[user]


def test_exploration_places_and_franchise_cap():
    assert explore_positions(24, 20) == [19, 23] and explore_positions(12, 20) == [11]
    assert diversify([5, 6, 7, 8, 9], np.array([0, 0, 0, 0, 0, 1, 1, 1, 2, 3]), 2, 4).tolist() == [
        5, 6, 8, 9,
    ]  # fmt: skip
    ratings, tags, _, _ = planted_groups()
    keep = ~np.isin(ratings.items, [0, 1, 2, 3])
    model = Ranker(random_state=0, explore_within=1000.0).fit(ratings.subset(keep), tags)
    state = model.fold_in([4, 8, 12], [5.0, 5.0, 5.0])
    items, _, explored = model.rank_folded(state, n=20)
    assert explored[19] and items[19] in (0, 1, 2, 3)
    groups = np.arange(ratings.n_items) % 3
    items, _, _ = model.rank_folded(state, n=6, groups=groups, max_per_group=2)
    assert np.bincount(groups[items]).max() <= 2


def test_recall_and_ndcg_follow_their_definitions():
    relevant = sp.csr_matrix(np.array([[0, 1, 1, 0], [0, 0, 0, 0], [1, 0, 0, 0]]))
    lists = np.array([[1, 3], [0, 1], [3, -1]])
    recall, ndcg = recall_ndcg(lists, relevant)
    assert recall[0] == 0.5 and np.isnan(recall[1]) and recall[2] == 0.0
    assert ndcg[0] == pytest.approx(1.0 / (1.0 + 1.0 / np.log2(3)))


@pytest.mark.slow
def test_on_movielens_the_list_model_beats_ease_and_doubles_popularity():
    if not (ML100K / "u.data").exists():
        pytest.skip(f"MovieLens 100K not found at {ML100K}")
    from recommender.evaluation.datasets import load_movielens
    from recommender.evaluation.named_models import make_factory
    from recommender.evaluation.topn import make_split, run_topn

    data = load_movielens(ML100K)
    results = run_topn(
        data, {"popularity": None, "ease": make_factory("ease"), "ranker": make_factory("ranker")}
    )
    assert results["ranker"]["recall"] >= results["ease"]["recall"] >= 0.43
    assert results["ranker"]["recall"] >= 2 * results["popularity"]["recall"]
    assert results["ranker"]["ndcg"] >= results["ease"]["ndcg"]
    split = make_split(data, "temporal")
    assert split.test.mean() == pytest.approx(0.2, abs=0.01)


@pytest.mark.slow
def test_on_generated_ratings_the_list_model_beats_ease_and_doubles_popularity():
    # The MovieLens test's claims, on MovieLens-like ratings that need no shared data.
    from recommender.evaluation.datasets import from_arrays
    from recommender.evaluation.named_models import make_factory
    from recommender.evaluation.topn import run_topn
    from tests.recommender.conftest import make_rating_world

    world = make_rating_world(choice=3.0)
    train = world.train
    data = from_arrays(
        np.concatenate([train.users, world.test_users]),
        np.concatenate([train.items, world.test_items]),
        np.rint(np.concatenate([train.values, world.test_values])),  # whole stars, 1-5
        name="generated",
    )
    results = run_topn(
        data, {"popularity": None, "ease": make_factory("ease"), "ranker": make_factory("ranker")}
    )
    assert results["ranker"]["recall"] >= results["ease"]["recall"] >= 0.55
    assert results["ranker"]["recall"] >= 2 * results["popularity"]["recall"]
    assert results["ranker"]["ndcg"] >= results["ease"]["ndcg"]
