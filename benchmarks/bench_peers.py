"""Time our ALS against peer libraries on the same synthetic set, side by side.

Peers are optional (``pip install -r requirements-bench.txt``); a missing one is reported
and skipped. Only LensKit's biased MF (ALS) has an adapter so far: implicit's ALS solves
the implicit-feedback objective, and scikit-surprise (SVD), cornac (MF) and pyspark
(MLlib ALS) are listed for the next step but were not installed or run here.

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_peers            # full-size set
    .venv/bin/python -m benchmarks.bench_peers --scale 0.1
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os

from benchmarks.bench_als import timed
from benchmarks.synthetic import anime_like
from recommender.algorithms.als import ALS

logger = logging.getLogger("bench_peers")
NOT_ADAPTED = {
    "implicit": "implicit-feedback ALS: a different objective",
    "surprise": "scikit-surprise: adapter not written",
    "cornac": "cornac: adapter not written",
    "pyspark": "pyspark MLlib ALS: adapter not written (needs Java)",
}


def lenskit_fit(ratings, rank: int, n_iter: int, reg: float):
    """A function fitting LensKit's BiasedMFScorer on ``ratings`` (same shape of problem)."""
    import pandas as pd
    from lenskit.als import BiasedMFConfig, BiasedMFScorer
    from lenskit.data import from_interactions_df

    frame = pd.DataFrame(
        {"user_id": ratings.users, "item_id": ratings.items, "rating": ratings.values}
    )
    dataset = from_interactions_df(frame)
    config = BiasedMFConfig(embedding_size=rank, epochs=n_iter, regularization=reg)
    return lambda: BiasedMFScorer(config).train(dataset)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("lenskit").setLevel(logging.WARNING)  # its per-epoch progress
    ratings = anime_like(scale=args.scale).ratings
    ratings.tocsr(), ratings.tocsc()
    logger.info(
        "%s users x %s items x %s ratings; rank 20, 10 iterations, reg 0.1; load average %.1f",
        f"{ratings.n_users:,}", f"{ratings.n_items:,}", f"{ratings.nnz:,}", os.getloadavg()[0],
    )  # fmt: skip
    ours = ALS(rank=20, n_iter=10, reg=0.1, random_state=0)
    results = {"mangaki ALS (cg)": timed(lambda: ours.fit(ratings), args.repeats)}
    if importlib.util.find_spec("lenskit") is not None:
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
        fit = lenskit_fit(ratings, 20, 10, 0.1)
        results["lenskit BiasedMF (ALS)"] = timed(fit, args.repeats)
    else:
        logger.info("lenskit: not installed, skipped")
    for name, why in NOT_ADAPTED.items():
        status = "installed" if importlib.util.find_spec(name) else "not installed"
        logger.info("%s: %s; %s", name, status, why)
    base = results["mangaki ALS (cg)"][0]
    for name, (wall, fastest, cpu) in results.items():
        logger.info(
            "%-26s median %.2f s (fastest %.2f s, CPU %.2f s)  x%.2f of ours",
            name, wall, fastest, cpu, wall / base,
        )  # fmt: skip
    if len(results) > 1:
        logger.info("ratio = peer median wall / our median wall; same machine, same minute")


if __name__ == "__main__":
    main()
