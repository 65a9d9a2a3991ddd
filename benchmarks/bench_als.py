"""Benchmark the core recommender library and record the numbers.

Measures, on the synthetic Kaggle-anime-shaped set (73,515 users x 11,200 items x 6.3M
ratings, ``benchmarks/synthetic.py``): ALS fit time (10 iterations, rank 20; median of 3,
wall and CPU time) for the CG and the exact solver, LASSO time for all users over 43 tags,
fold-in time for 500 ratings and peak RSS; and ALS RMSE on MovieLens 100K u1..u5.
Writes the results between markers in ``docs/recommender-core.md``.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_als            # everything
    .venv/bin/python -m benchmarks.bench_als --quick    # 10% scale, 1 repeat, no doc update
    .venv/bin/python -m benchmarks.bench_als --als-only --repeats 5   # just the ALS CG fit
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import resource
import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks.shared_data import data_path
from benchmarks.synthetic import anime_like
from recommender.algorithms.als import ALS
from recommender.algorithms.base import RatingMatrix
from recommender.algorithms.lasso import Lasso

logger = logging.getLogger("bench_als")
ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "recommender-core.md"
ML100K = data_path("movielens", "ml-100k")
START, END = "<!-- bench_als:start -->", "<!-- bench_als:end -->"
# Tuned on the u1..u5 folds (see docs/recommender-core.md): ALS-WR's reg * n weighting
# over-shrinks the biases at the factors' reg, so they get their own.
ML_SETTINGS = {"rank": 20, "n_iter": 10}  # the other parameters: ALS defaults


def timed(function, repeats):
    """Median wall, fastest wall and median CPU seconds of ``repeats`` calls (after a
    warm-up call). The fastest run shows the speed when the shared machine was quiet."""
    function()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), min(walls), statistics.median(cpus)


def uncached(ratings: RatingMatrix) -> RatingMatrix:
    """The same triples without the cached CSR/CSC, so a timed fit pays for building them,
    as a first fit on new data does (and as the peers' fit times include)."""
    return RatingMatrix(ratings.users, ratings.items, ratings.values, *ratings.shape)


def _fold(k):
    def read(name):
        table = np.loadtxt(ML100K / name, dtype=np.int64, usecols=(0, 1, 2))
        return table[:, 0] - 1, table[:, 1] - 1, table[:, 2].astype(np.float64)

    users, items, values = read(f"u{k}.base")
    train = RatingMatrix.from_triples(users, items, values, 943, 1682)
    return train, read(f"u{k}.test")


def movielens_rmse(settings) -> list[float] | None:
    if not (ML100K / "u1.base").exists():
        logger.warning("MovieLens 100K not found at %s: skipped", ML100K)
        return None
    errors = []
    for k in range(1, 6):
        train, (users, items, values) = _fold(k)
        model = ALS(random_state=0, **settings).fit(train)
        predicted = np.clip(model.predict(users, items), 1, 5)
        errors.append(float(np.sqrt(np.mean((predicted - values) ** 2))))
    return errors


def als_only(repeats: int) -> None:
    """Time only the default ALS fit: quick to repeat when the shared machine is quiet."""
    ratings = anime_like().ratings
    model = ALS(rank=20, n_iter=10, random_state=0)
    wall, fastest, cpu = timed(lambda: model.fit(uncached(ratings)), repeats)
    logger.info(
        "ALS cg (3 steps), rank 20, 10 iterations, %s ratings (CSR/CSC built in the fit): "
        "%.2f s wall median of %d "
        "(fastest %.2f s; CPU %.2f s); load average %.1f",
        f"{ratings.nnz:,}", wall, repeats, fastest, cpu, os.getloadavg()[0],
    )  # fmt: skip


def run(scale: float, repeats: int) -> list[str]:
    lines = []

    def say(text):
        logger.info(text)
        lines.append(text)

    start = time.perf_counter()
    data = anime_like(scale=scale)
    ratings = data.ratings
    say(
        f"- synthetic set: {ratings.n_users:,} users x {ratings.n_items:,} items x "
        f"{ratings.nnz:,} ratings, 43 tags (generated in {time.perf_counter() - start:.1f} s)"
    )
    models = {
        "ALS cg (3 steps)": ALS(rank=20, n_iter=10, random_state=0),
        "ALS cg (2 steps)": ALS(rank=20, n_iter=10, cg_steps=2, random_state=0),
        "ALS exact (Cholesky)": ALS(rank=20, n_iter=10, solver="cholesky", random_state=0),
    }
    sample = np.arange(0, ratings.nnz, 97)
    for name, model in models.items():
        wall, fastest, cpu = timed(lambda model=model: model.fit(uncached(ratings)), repeats)
        predicted = model.predict(ratings.users[sample], ratings.items[sample])
        train_rmse = float(np.sqrt(np.mean((predicted - ratings.values[sample]) ** 2)))
        say(
            f"- {name}, rank 20, 10 iterations: **{wall:.2f} s** wall median of {repeats} "
            f"(fastest {fastest:.2f} s; CPU {cpu:.2f} s), training RMSE {train_rmse:.4f}"
        )
    als = models["ALS cg (3 steps)"]

    lasso = Lasso(alpha=0.05)
    wall, fastest, cpu = timed(lambda: lasso.fit(ratings, data.tags), repeats)
    say(
        f"- LASSO, all {ratings.n_users:,} users x 43 tags: **{wall:.2f} s** "
        f"(fastest {fastest:.2f} s; CPU {cpu:.2f} s)"
    )

    rng = np.random.default_rng(0)
    items = rng.choice(ratings.n_items, 500, replace=False)
    values = rng.integers(1, 11, 500).astype(np.float64)
    fold_wall, _, _ = timed(lambda: als.fold_in(items, values), 50)
    lasso_wall, _, _ = timed(lambda: lasso.fold_in(items, values), 50)
    say(
        f"- fold-in of 500 ratings: ALS **{fold_wall * 1e3:.3f} ms**, "
        f"LASSO {lasso_wall * 1e3:.3f} ms (median of 50)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    say(f"- peak RSS of the benchmark process: {peak:.0f} MB")

    errors = movielens_rmse(ML_SETTINGS)
    if errors is not None:
        folds = ", ".join(f"{e:.4f}" for e in errors)
        say(
            f"- ALS on MovieLens 100K u1..u5 ({ML_SETTINGS}): RMSE {folds}; "
            f"**mean {np.mean(errors):.4f}**"
        )
    return lines


def write_doc(lines: list[str], command: str) -> None:
    load = os.getloadavg()
    header = [
        START,
        f"Command: `{command}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"numba threads {os.environ.get('NUMBA_NUM_THREADS', 'default')}, "
        f"1-minute load average at the end {load[0]:.1f}, this benchmark's own threads "
        "included).",
        "",
    ]
    block = "\n".join([*header, *lines, END])
    text = DOC.read_text() if DOC.exists() else f"# Recommender core\n\n{START}\n{END}\n"
    if START not in text:
        text += f"\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    DOC.write_text(before + block + after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10%% scale, 1 repeat, no doc")
    parser.add_argument("--als-only", action="store_true", help="time the ALS fit only")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per model")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.als_only:
        als_only(args.repeats)
        return
    lines = run(scale=0.1 if args.quick else 1.0, repeats=1 if args.quick else args.repeats)
    if not args.quick:
        write_doc(lines, ".venv/bin/python -m benchmarks.bench_als")


if __name__ == "__main__":
    main()
