"""The peers benchmark (benchmarks/bench_peers.py): each peer measured in its own process,
a missing or crashing peer reported in its row without stopping the run, ratios to ours,
and the adapters of the installed peers (skipped where a peer is not installed)."""

from __future__ import annotations

import os
import shutil
import time

import numpy as np
import pytest

from benchmarks import bench_peers
from benchmarks.bench_als import ML100K, _fold
from benchmarks.peers import PEERS, Peer

HERE = __name__  # the children import the adapters below from this module


class Absent(Peer):
    library, package, model = "ghost", "mangaki_no_such_peer_library", "never installed"


class Failing(Peer):
    library, package, model = "failing", "numpy", "raises in fit"

    def fit(self, data, dataset):
        raise RuntimeError("diverged")


class Crashing(Peer):
    library, package, model = "crashing", "numpy", "dies in fit"

    def fit(self, data, dataset):
        os._exit(3)  # like a segfault or the OOM killer: no Python cleanup, no result file


class Sleeper(Peer):
    library, package, model = "sleeper", "numpy", "never finishes"

    def fit(self, data, dataset):
        time.sleep(3600)


class Clueless(Peer):
    """Predicts nothing: the harness must fall back to the training mean."""

    def fit(self, data, dataset):
        return None

    def predict(self, fitted, users, items):
        return np.full(len(users), np.nan)


needs_ml100k = pytest.mark.skipif(
    not (ML100K / "u1.base").exists(), reason=f"MovieLens 100K not found at {ML100K}"
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("peers")
    return folder, bench_peers.prepare_dataset("synthetic", 0.002, folder)


def test_it_reports_missing_failing_and_crashing_peers_and_still_measures_ours(tiny):
    folder, path = tiny
    specs = ["mangaki", f"{HERE}:Absent", f"{HERE}:Failing", f"{HERE}:Crashing"]
    rows = [bench_peers.run_peer(spec, "synthetic", path, 1, folder, timeout=300) for spec in specs]
    ours, absent, failing, crashing = rows

    assert ours["status"] == "ok"
    assert ours["ratings"] == len(np.load(path)["values"])
    assert ours["fit_s"] > 0 and ours["fastest_s"] <= ours["fit_s"]
    assert ours["peak_rss_mb"] >= ours["rss_before_fit_mb"] > 10
    assert absent["status"] == "not installed" and absent["library"] == "ghost"
    assert failing["status"] == "failed: RuntimeError('diverged')"
    assert crashing["status"].startswith("failed: exit 3")

    bench_peers.add_ratios(rows)
    table = bench_peers.format_table(rows).splitlines()
    assert len(table) == 2 + len(rows)
    assert "not installed" in table[3] and "diverged" in table[4] and "exit 3" in table[5]
    assert all("fit_ratio" not in row for row in rows)  # nothing ran beside ours


def test_it_kills_a_peer_that_runs_past_the_timeout(tiny, tmp_path):
    folder, path = tiny
    row = bench_peers.run_peer(f"{HERE}:Sleeper", "synthetic", path, 1, tmp_path, timeout=5)
    assert row["status"] == "failed: exit timeout after 5 s"
    assert row["child_wall_s"] < 60


def _row(peer, dataset, fit_s, rss_mb):
    return {
        "peer": peer, "dataset": dataset, "status": "ok", "library": peer, "model": "m",
        "threads": "2", "convert_s": 0.5, "fit_s": fit_s, "fastest_s": fit_s,
        "peak_rss_mb": rss_mb, "load_average": 3.0,
    }  # fmt: skip


def test_ratios_are_peer_over_ours_on_the_same_dataset_only():
    rows = [
        _row("mangaki", "synthetic", 2.0, 400.0),
        _row("lenskit", "synthetic", 7.0, 1000.0),
        _row("cornac", "synthetic", 1.0, 200.0),
        _row("spark", "ml100k", 40.0, 4000.0),  # ours did not run on ml100k
        {"peer": "implicit", "dataset": "synthetic", "status": "not installed"},
    ]
    bench_peers.add_ratios(rows)
    assert (rows[1]["fit_ratio"], rows[1]["rss_ratio"]) == (3.5, 2.5)
    assert (rows[2]["fit_ratio"], rows[2]["rss_ratio"]) == (0.5, 0.5)
    assert "fit_ratio" not in rows[0] and "fit_ratio" not in rows[3]
    table = bench_peers.format_table(rows).splitlines()
    assert "| x3.50 | x2.50 |" in table[3] and "| x0.50 | x0.50 |" in table[4]
    assert "| **40.00** |" in table[5] and "| x" not in table[5]
    assert table[6].endswith("| not installed |")


@needs_ml100k
def test_unknown_predictions_fall_back_to_the_training_mean():
    errors = bench_peers._movielens_rmse(Clueless())
    assert len(errors) == 5
    assert 1.1 < np.mean(errors) < 1.2  # the global mean's RMSE on MovieLens 100K, ~1.15


@needs_ml100k
def test_it_measures_our_rmse_on_the_five_official_folds(tmp_path):
    row = bench_peers.run_peer("mangaki", "ml100k", ML100K, 1, tmp_path, timeout=600)
    assert row["status"] == "ok" and row["ratings"] == 100_000
    assert len(row["rmse_folds"]) == 5
    assert 0.88 < np.mean(row["rmse_folds"]) < 0.93


RATING_PEERS = ["lenskit", "surprise", "cornac"]
if os.environ.get("MANGAKI_TEST_SPARK"):  # starts a JVM: minutes on the shared machine
    RATING_PEERS.append("spark")


@needs_ml100k
@pytest.mark.parametrize("name", RATING_PEERS)
def test_each_installed_peer_predicts_movielens_ratings_in_the_right_order(name):
    peer = PEERS[name]()
    pytest.importorskip(peer.package)
    if name == "spark" and shutil.which("java") is None:
        pytest.skip("no Java")
    peer.start()
    try:
        train, (users, items, values) = _fold(1)
        predicted = peer.predict(peer.fit(peer.convert(train), "ml100k"), users, items)
    finally:
        peer.stop()
    known = ~np.isnan(predicted)
    assert known.mean() > 0.99  # u1.test has a handful of items never rated in u1.base
    rmse = np.sqrt(np.mean((np.clip(predicted[known], 1, 5) - values[known]) ** 2))
    assert rmse < 0.97  # the mean scores ~1.15: misaligned ids would land there


def test_implicit_learns_from_ratings_as_confidence_and_claims_no_rmse():
    pytest.importorskip("implicit")
    from recommender.algorithms.base import RatingMatrix

    # Two tastes: users 0-99 rate 20 of items 0-99, users 100-199 rate 20 of items 100-199.
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(200), 20)
    items = np.concatenate(
        [rng.choice(100, 20, replace=False) + (user // 100) * 100 for user in range(200)]
    )
    ratings = RatingMatrix.from_triples(users, items, rng.integers(3, 6, len(users)), 200, 200)
    peer = PEERS["implicit"]()
    peer.start()
    data = peer.convert(ratings)
    model = peer.fit(data, "synthetic")
    recommended, _ = model.recommend(np.arange(200), data, N=10)
    own_taste = recommended // 100 == (np.arange(200) // 100)[:, None]
    assert own_taste.mean() > 0.9  # 0.97 measured; half if users and items were mixed up
    assert peer.no_rmse == "n/a (implicit objective)"
