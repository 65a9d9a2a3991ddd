"""Peak memory of the training's stages on simulated ratings, without a database.

    python -m benchmarks.bench_training_memory --ratings 3000000 --users 300000 --works 2000

The ratings come from the planted tastes of benchmarks.scale_site; the stages are the ones
``manage.py train`` runs after its snapshot: the held-out evaluation (a model fit on 90%
and its figures) and the final fit. Few works keep the EASE part (works²) small, so what
the peaks show is what grows with ratings and members. A thread samples the resident
memory every 50 ms; each stage's peak is printed, and the memory before it.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import numpy as np

from benchmarks.memory import memory_mb

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mangaki.settings")


class Sampler:
    """The largest resident memory seen while each named stage ran."""

    def __init__(self) -> None:
        self.stage, self.peaks = "", {}
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            if self.stage:
                self.peaks[self.stage] = max(self.peaks.get(self.stage, 0.0), memory_mb())
            time.sleep(0.05)

    def measure(self, stage: str, work):
        """Run ``work()``, print its time and peak, return what it returned."""
        before = memory_mb()
        self.stage, started = stage, time.perf_counter()
        result = work()
        seconds = time.perf_counter() - started
        self.stage = ""
        peak = self.peaks.get(stage, before)
        print(f"{stage}: {seconds:.1f} s, resident {before:.0f} MB before, peak {peak:.0f} MB")
        return result


def simulated_snapshot(n_ratings: int, n_users: int, n_works: int, seed: int):
    import scipy.sparse as sp
    from django.utils import timezone

    from benchmarks.scale_site import Tastes, draw_ratings
    from mangaki.choices import RATING_VALUES
    from recommender.algorithms.base import RatingMatrix
    from recommender.snapshot import Snapshot

    tastes = Tastes(n_works, seed)
    counts = tastes.counts(n_users, n_ratings, seed)
    rng = np.random.default_rng([seed, 2])
    groups = rng.integers(0, len(tastes.centres), n_users)
    value_of = np.vectorize(RATING_VALUES.__getitem__, otypes=[np.float32])
    parts = []
    for start in range(0, n_users, 50_000):
        end = start + 50_000
        users, works, choices = draw_ratings(tastes, groups[start:end], counts[start:end], rng)
        parts.append((users + start, works, value_of(choices)))
    users, works, values = (np.concatenate(column) for column in zip(*parts, strict=True))
    ratings = RatingMatrix.from_triples(
        users, works, values, n_users, n_works, times=rng.random(len(users)) * 1e8
    )
    tags = sp.random(n_works, 40, density=0.1, format="csr", random_state=seed)
    tags.data[:] = 1.0
    return Snapshot(
        ratings, np.arange(n_users), np.arange(n_works), tags, [f"tag {i}" for i in range(40)],
        np.zeros(n_works, np.int64), timezone.now(), work_group=np.arange(n_works),
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=3_000_000)
    parser.add_argument("--users", type=int, default=300_000)
    parser.add_argument("--works", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    import django

    django.setup()
    from recommender.training import DEFAULT_PARAMS, make_model, score_run

    sampler = Sampler()
    snapshot = sampler.measure(
        "simulated ratings",
        lambda: simulated_snapshot(args.ratings, args.users, args.works, args.seed),
    )
    params = {**DEFAULT_PARAMS, "n_iter": 5}
    print(f"{snapshot.ratings.nnz:,} ratings, {args.users:,} members, {args.works:,} works; "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    sampler.measure("held-out evaluation", lambda: score_run(snapshot, params))
    sampler.measure(
        "final fit",
        lambda: make_model(params).fit(snapshot.ratings, snapshot.item_features, None),
    )
    print(f"peak of the process: {max(sampler.peaks.values()):.0f} MB")


if __name__ == "__main__":
    main()
