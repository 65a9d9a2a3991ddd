"""The evaluation protocol: disjoint folds, truly cold works, validation, the command line."""

import json

import numpy as np
import pytest

from recommender import evaluate
from recommender.algorithms.baseline import Baseline
from recommender.evaluation import protocol
from recommender.evaluation.datasets import from_arrays


def dataset(seed=0, n_users=40, n_items=60, n=900):
    rng = np.random.default_rng(seed)
    key = rng.choice(n_users * n_items, size=n, replace=False)
    return from_arrays(key // n_items, key % n_items, rng.integers(1, 6, n))


def test_folds_partition_the_ratings_and_cold_works_are_absent_from_training():
    data = dataset()
    folds = protocol.make_folds(data, n_folds=5, seed=3, cold_fraction=0.1)
    tests = np.concatenate([f.test for f in folds])
    assert sorted(tests.tolist()) == list(range(data.ratings.nnz))  # each rating tested once
    for fold in folds:
        assert not np.intersect1d(fold.train, fold.test).size
        assert len(fold.cold_items) == 6
        assert not np.isin(data.ratings.items[fold.train], fold.cold_items).any()
        # Only the cold works' ratings left training.
        complement = np.setdiff1d(np.arange(data.ratings.nnz), fold.test)
        dropped = np.setdiff1d(complement, fold.train)
        assert np.isin(data.ratings.items[dropped], fold.cold_items).all()
    again = protocol.make_folds(data, n_folds=5, seed=3, cold_fraction=0.1)
    assert all(np.array_equal(a.test, b.test) for a, b in zip(folds, again, strict=True))


def test_official_folds_are_used_as_given():
    data = dataset()
    data.folds = [(np.arange(0, 800), np.arange(800, 900))]
    (fold,) = protocol.make_folds(data, n_folds=5, official=True, cold_fraction=0.0)
    assert fold.test.tolist() == list(range(800, 900)) and len(fold.train) == 800
    with pytest.raises(ValueError):
        protocol.make_folds(dataset(), official=True)


class NeedsValidation(Baseline):
    seen = []

    def fit(self, ratings, item_features=None, validation=None):
        NeedsValidation.seen.append((ratings.nnz, validation.nnz))
        return super().fit(ratings)


def test_models_taking_validation_get_thirty_percent_of_training():
    data = dataset()
    fold = protocol.make_folds(data, n_folds=5, seed=0, cold_fraction=0.0)[0]
    NeedsValidation.seen.clear()
    protocol.evaluate_fold(lambda seed: NeedsValidation(), data, fold)
    fit_size, val_size = NeedsValidation.seen[0]
    assert fit_size + val_size == len(fold.train)
    assert val_size / len(fold.train) == pytest.approx(0.3, abs=0.06)


def test_scores_split_little_known_and_cold_start():
    data = from_arrays(
        [0, 1, 2, 0, 1, 2, 0, 3, 4], [0, 0, 0, 1, 1, 2, 2, 0, 0], [5, 4, 5, 1, 2, 3, 4, 4, 4]
    )
    fold = protocol.Fold(
        0, train=np.array([0, 1, 3, 7, 8]), test=np.array([2, 4, 5, 6]), cold_items=np.array([2])
    )
    predictions = np.array([5.0, 2.0, 1.0, 4.0])  # errors 0, 0, -2, 0
    scores = protocol.score_fold(data, fold, predictions)
    assert scores["rmse"] == pytest.approx(1.0)
    assert scores["n_little_known"] == 3  # items 1 (1 training rating) and 2 (none)
    assert scores["rmse_little_known"] == pytest.approx(np.sqrt(4 / 3))
    assert scores["n_cold_start"] == 2
    assert scores["rmse_cold_start"] == pytest.approx(np.sqrt(2))


def test_run_protocol_summarises_each_model():
    calls = []
    results = protocol.run_protocol(
        dataset(),
        {"baseline": lambda seed: Baseline()},
        n_folds=3,
        progress=lambda name, fold: calls.append((name, fold)),
    )
    summary = results["baseline"]["summary"]
    per_fold = [f["rmse"] for f in results["baseline"]["folds"]]
    assert summary["rmse"]["mean"] == pytest.approx(np.mean(per_fold))
    assert 0.5 < summary["rmse"]["mean"] < 2.5  # uniform 1-5 ratings: about sqrt(2)
    assert calls == [("baseline", 0), ("baseline", 1), ("baseline", 2)]


def test_command_line_writes_json_and_markdown(tmp_path, capsys):
    rng = np.random.default_rng(0)
    lines = [
        f"u{u},i{i},{rng.integers(1, 6)}" for u in range(20) for i in range(15) if (u * 7 + i) % 3
    ]
    (tmp_path / "r.csv").write_text("user,item,rating\n" + "\n".join(lines) + "\n")
    out = tmp_path / "out"
    code = evaluate.main(
        [
            "--data",
            str(tmp_path / "r.csv"),
            "--models",
            "baseline,knn-item",
            "--folds",
            "3",
            "--output",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert set(results["models"]) == {"baseline", "knn-item"}
    assert len(results["models"]["baseline"]["folds"]) == 3
    table = (out / "results.md").read_text()
    assert "| knn-item |" in table and "RMSE cold-start" in table
    assert "| baseline |" in capsys.readouterr().out
    code = evaluate.main(
        ["--data", str(tmp_path / "r.csv"), "--models", "nope", "--quiet", "--output", str(out)]
    )
    assert code == 2 and "unknown model 'nope'" in capsys.readouterr().err


def test_topn_task_ranks_the_catalogue_next_to_popularity_and_ease(tmp_path, capsys):
    rng = np.random.default_rng(1)
    # Two tastes: people of taste t rate works of their half, with dates.
    lines = []
    for user in range(60):
        half = user % 2
        for day, item in enumerate(rng.choice(np.arange(half * 20, half * 20 + 20), 10, False)):
            lines.append(f"u{user},i{item},{rng.integers(3, 6)},{1_600_000_000 + day * 86_400}")
    (tmp_path / "r.csv").write_text("user,item,rating,timestamp\n" + "\n".join(lines) + "\n")
    for split in ("random", "temporal"):
        out = tmp_path / split
        code = evaluate.main(
            ["--task", "topn", "--split", split, "--data", str(tmp_path / "r.csv"),
             "--models", "ranker,baseline", "--k", "5", "--output", str(out), "--quiet"]
        )  # fmt: skip
        assert code == 0
        results = json.loads((out / "results.json").read_text())["models"]
        assert list(results) == ["popularity", "ease", "ranker", "baseline"]
        for row in results.values():
            assert 0.0 <= row["recall"] <= 1.0 and 0.0 <= row["coverage"] <= 1.0
        # Knowing the person's half beats the list of the most rated works.
        assert results["ranker"]["recall"] > results["popularity"]["recall"]
        table = (out / "results.md").read_text()
        assert "| ranker |" in table and "R@5" in table and f"{split} split" in table
    assert "| popularity |" in capsys.readouterr().out


def test_the_temporal_split_needs_timestamps(tmp_path, capsys):
    (tmp_path / "r.csv").write_text("user,item,rating\n1,1,5\n1,2,4\n2,1,3\n")
    code = evaluate.main(
        ["--task", "topn", "--split", "temporal", "--data", str(tmp_path / "r.csv"),
         "--output", str(tmp_path / "o"), "--quiet"]
    )  # fmt: skip
    assert code == 1 and "timestamp" in capsys.readouterr().err
