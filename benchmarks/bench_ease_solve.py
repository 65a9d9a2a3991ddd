"""Time and memory of EASE's Gram matrix, closed-form solve and row sparsification at one
catalogue size.

The solve is the cubic step of training the list model (recommender.algorithms._ease_solve);
its peak memory, beyond the works x works Gram matrix, bounds the largest catalogue one
training machine handles (docs/performance.md).

    .venv/bin/python -m benchmarks.bench_ease_solve [--works 8000] [--keep 200]
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp

from recommender.algorithms._ease_solve import gram_matrix, solve_ease, sparsify_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--works", type=int, default=8000)
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--keep", type=int, default=200, help="weights kept per row")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    picks = sp.random(args.people, args.works, density=0.01, format="csr", random_state=rng)
    picks.data[:] = 1.0
    tracemalloc.start()
    tick = time.perf_counter()
    gram = gram_matrix(picks, np.float32)
    gram_s, gram_peak = time.perf_counter() - tick, tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    tick = time.perf_counter()
    coef = solve_ease(gram, 10.0, overwrite=True)
    solve_s, solve_peak = time.perf_counter() - tick, tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    tick = time.perf_counter()
    sparsify_rows(coef, args.keep)
    sparse_s, sparse_peak = time.perf_counter() - tick, tracemalloc.get_traced_memory()[1]
    mb, size = 2**20, gram.nbytes  # the Gram's memory becomes B: both peaks include it once
    print(
        f"{args.works} works (float32 Gram {size / mb:.0f} MB): Gram {gram_s:.1f} s, "
        f"{(gram_peak - size) / mb:.0f} MB beyond it; solve {solve_s:.1f} s, "
        f"{(solve_peak - size) / mb:.0f} MB beyond it; sparsify to {args.keep} per row "
        f"{sparse_s:.1f} s, {(sparse_peak - size) / mb:.0f} MB beyond B; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
