"""The examples in the pure library's docstrings and in docs/recommender-core.md run, so
what a data scientist copies from them works."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import recommender.algorithms
import recommender.evaluation

ROOT = Path(__file__).resolve().parents[2]
ML100K = ROOT.parent / "shared" / "data" / "movielens" / "ml-100k"
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules():
    names = ["recommender.evaluate"]
    for package in (recommender.algorithms, recommender.evaluation):
        names += [f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)]
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_module_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=OPTIONS, verbose=False)
    assert result.failed == 0, f"{result.failed} example(s) of {name} failed (see the output)"


def test_the_recommender_core_guide_runs(monkeypatch):
    if not (ML100K / "u.data").exists():
        pytest.skip(f"MovieLens 100K not found at {ML100K}")
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(
        str(ROOT / "docs" / "recommender-core.md"), module_relative=False, optionflags=OPTIONS
    )
    assert result.attempted > 10 and result.failed == 0
