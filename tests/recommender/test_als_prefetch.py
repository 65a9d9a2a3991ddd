"""The ALS kernels compile with and without LLVM's prefetch hint, and give the same model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recommender.algorithms import _als_kernels

ROOT = Path(__file__).resolve().parents[2]
FIT = """
import json, sys
import numpy as np
from recommender.algorithms import _als_kernels
from recommender.algorithms.als import ALS
from tests.recommender.test_als import planted_low_rank

data, _, _ = planted_low_rank(n_users=150, n_items=90, noise=0.1)
factors = []
for solver in ("cg", "cholesky"):
    model = ALS(rank=4, n_iter=5, solver=solver, random_state=0).fit(data)
    factors.append(model.predict(np.arange(150).repeat(90), np.tile(np.arange(90), 150)))
np.save(sys.argv[1], np.stack(factors))
print(json.dumps(_als_kernels.PREFETCH_INTRINSIC))
"""


def _fit(tmp_path: Path, prefetch: str) -> tuple[str | None, np.ndarray]:
    out = tmp_path / f"predictions-{prefetch}.npy"
    env = {
        **os.environ,
        _als_kernels.PREFETCH_ENV: prefetch,
        # A cache of its own: kernels compiled with prefetch must not be reused without.
        "NUMBA_CACHE_DIR": str(tmp_path / f"numba-{prefetch}"),
    }
    done = subprocess.run(
        [sys.executable, "-c", FIT, str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1]), np.load(out)


@pytest.mark.slow  # two processes compile the kernels from scratch (about a minute each)
def test_kernels_give_the_same_model_with_and_without_prefetch(tmp_path):
    used, with_prefetch = _fit(tmp_path, "1")
    off, without = _fit(tmp_path, "0")
    assert off is None
    assert used == _als_kernels.PREFETCH_INTRINSIC
    np.testing.assert_allclose(with_prefetch, without, rtol=1e-6, atol=1e-6)
    assert np.isfinite(without).all() and without.std() > 0.5


def test_the_probe_accepts_this_llvms_prefetch_and_rejects_an_unknown_intrinsic():
    assert not _als_kernels.prefetch_compiles("llvm.no.such.intrinsic")
    if _als_kernels.PREFETCH_INTRINSIC is not None:
        assert _als_kernels.prefetch_compiles(_als_kernels.PREFETCH_INTRINSIC)
