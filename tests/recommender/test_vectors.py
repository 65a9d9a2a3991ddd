"""Row norms and unit rows: lengths, float types and zero rows."""

import numpy as np
import pytest

from recommender.algorithms.vectors import row_norms, unit_rows


def test_unit_rows_have_length_one_and_zero_rows_stay_zero():
    matrix = np.array([[3.0, 4.0], [0.0, 0.0], [-2.0, 0.0]])
    unit = unit_rows(matrix)
    assert unit.tolist() == [[0.6, 0.8], [0.0, 0.0], [-1.0, 0.0]]
    assert row_norms(unit).tolist() == pytest.approx([1.0, 0.0, 1.0])


def test_the_float_type_is_kept_and_integers_become_floats():
    assert unit_rows(np.ones((2, 3), dtype=np.float32)).dtype == np.float32
    assert row_norms(np.array([[3, 4]])).tolist() == [5.0]
    assert unit_rows(np.array([[0, 5]])).dtype == np.float64


def test_known_norms_are_reused():
    matrix = np.array([[3.0, 4.0]])
    assert unit_rows(matrix, norms=np.array([10.0])).tolist() == [[0.3, 0.4]]
