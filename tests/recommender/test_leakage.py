"""Leakage canary: the test ratings' values must never reach a model. Changing every test
rating (mirrored on the scale) must leave every model's test predictions identical, on
random folds and on the temporal split; and the temporal split tests each user's latest."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.evaluation import protocol
from recommender.evaluation.datasets import Dataset, from_arrays
from recommender.evaluation.named_models import MODELS, make_factory

# Small but complete: every model fits in a second or two on it.
FAST = {"fm": {"n_epochs": 2}, "neural": {"n_epochs": 2}, "mf": {"n_epochs": 2},
        "blend": {"components": ("als", "knn-item", "lasso")}}  # fmt: skip


def _dataset(seed=0, n_users=40, n_items=30):
    rng = np.random.default_rng(seed)
    cells = rng.choice(n_users * n_items, size=500, replace=False)
    users, items = cells // n_items, cells % n_items
    data = from_arrays(users, items, rng.integers(1, 6, 500),
                       timestamps=rng.permutation(500).astype(float))  # fmt: skip
    tags = (rng.random((n_items, 5)) < 0.4).astype(np.float32)
    import scipy.sparse as sp

    data.item_features = sp.csr_matrix(tags[data.item_ids.astype(int)])
    return data


def _mirrored(data, test) -> Dataset:
    values = data.ratings.values.copy()
    values[test] = data.scale.low + data.scale.high - values[test]  # 5 <-> 1, 4 <-> 2
    assert (values[test] != data.ratings.values[test]).any()
    return Dataset(data.ratings.with_values(values), data.user_ids, data.item_ids, data.scale,
                   data.item_features, data.tag_names, name="mirrored")  # fmt: skip


@pytest.mark.parametrize("split", ["random", "temporal"])
@pytest.mark.parametrize("name", [n for n in MODELS if n not in ("ease", "ranker")])
def test_changing_the_test_ratings_changes_no_prediction(name, split):
    data = _dataset()
    fold = protocol.make_folds(data, n_folds=3, seed=1, cold_fraction=0.1, split=split)[0]
    factory = make_factory(name, **FAST.get(name, {}))
    before, _, _ = protocol.predict_fold(factory, data, fold, seed=1)
    after, _, _ = protocol.predict_fold(factory, _mirrored(data, fold.test), fold, seed=1)
    np.testing.assert_array_equal(before, after)


def test_the_canary_would_catch_a_leak():
    # A model fitted on every rating (test ones included) must fail the same check.
    from recommender.algorithms.baseline import Baseline

    data = _dataset()
    fold = protocol.make_folds(data, n_folds=3, seed=1, cold_fraction=0.0)[0]
    mirrored = _mirrored(data, fold.test)
    users, items = data.ratings.users[fold.test], data.ratings.items[fold.test]
    leaky = [Baseline().fit(d.ratings).predict(users, items) for d in (data, mirrored)]
    assert not np.array_equal(*leaky)


def test_the_temporal_split_tests_each_users_latest_ratings():
    data = _dataset()
    (fold,) = protocol.make_folds(data, seed=0, cold_fraction=0.0, split="temporal",
                                  test_fraction=0.25)  # fmt: skip
    ratings = data.ratings
    for user in np.unique(ratings.users):
        mine = np.flatnonzero(ratings.users == user)
        tested = np.intersect1d(mine, fold.test)
        trained = np.intersect1d(mine, fold.train)
        if len(mine) >= 2:
            assert len(tested) >= 1
        if len(tested) and len(trained):
            assert ratings.times[tested].min() >= ratings.times[trained].max()
    with pytest.raises(ValueError, match="timestamp"):
        nodates = from_arrays([0, 1], [0, 1], [3, 4])
        protocol.make_folds(nodates, split="temporal")


def test_the_command_runs_the_temporal_split_for_ratings(tmp_path, capsys):
    import json

    from recommender import evaluate

    rng = np.random.default_rng(0)
    lines = [f"u{u},i{i},{rng.integers(1, 6)},{1_600_000_000 + 86_400 * (u + i)}"
             for u in range(25) for i in range(20) if rng.random() < 0.6]  # fmt: skip
    (tmp_path / "r.csv").write_text("user,item,rating,time\n" + "\n".join(lines) + "\n")
    out = tmp_path / "o"
    code = evaluate.main(["--data", str(tmp_path / "r.csv"), "--split", "temporal", "--models",
                          "baseline,als", "--output", str(out), "--quiet"])  # fmt: skip
    assert code == 0
    results = json.loads((out / "results.json").read_text())["models"]
    assert len(results["als"]["folds"]) == 1
    assert "temporal split" in capsys.readouterr().out


def test_the_sparse_subsample_keeps_one_rating_for_most_users(tmp_path):
    from recommender.evaluation.subsample import main, sparse_users

    data = _dataset()
    keep = sparse_users(data.ratings, 0.7, seed=0)
    counts = np.bincount(data.ratings.users[keep])
    full = np.bincount(data.ratings.users)
    assert np.all((counts == 1) | (counts == full))  # one rating, or all of them
    assert 0.5 < np.mean(counts[counts > 0] == 1) < 0.9
    source = tmp_path / "r.csv"
    source.write_text("user,item,rating\n" + "\n".join(f"u{k % 9},i{k},4" for k in range(60)))
    assert main(["--data", str(source), "--output", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "ratings.csv").read_text().startswith("user,item,rating")
