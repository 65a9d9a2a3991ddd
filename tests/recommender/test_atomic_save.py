"""Model files appear whole or not at all (persistence.save_model, atomic_write)."""

import numpy as np
import pytest

from recommender.algorithms.base import RatingMatrix
from recommender.algorithms.baseline import Baseline
from recommender.algorithms.persistence import atomic_write, load_model, save_model


def _fitted():
    data = RatingMatrix.from_triples(
        np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]), np.array([4.0, 3.0, 5.0, 2.0]), 3, 3
    )
    return Baseline().fit(data)


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "model.npz"
    save_model(_fitted(), target)
    before = target.read_bytes()
    with pytest.raises(RuntimeError), atomic_write(target) as handle:
        handle.write(b"half a file")
        raise RuntimeError("disk full")
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_a_saved_model_loads_back_and_nothing_else_is_left_behind(tmp_path):
    model = _fitted()
    path = save_model(model, tmp_path / "model.npz")
    again = load_model(path)
    users, items = np.array([0, 2]), np.array([1, 0])
    np.testing.assert_allclose(again.predict(users, items), model.predict(users, items))
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
