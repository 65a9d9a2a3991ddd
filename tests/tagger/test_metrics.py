"""The tag head's metrics against values worked out by hand (ties and empty tags included)."""

import numpy as np
import pytest

from tagger.vision.metrics import average_precision, precision_recall_f1, roc_auc


def test_auc_counts_a_tied_pair_as_half():
    # Positives 0.8 and 0.5; negatives 0.5 and 0.2: pairs won 1 + 1 + 0.5 + 1 of 4.
    y = np.array([1, 0, 1, 0])
    scores = np.array([0.8, 0.5, 0.5, 0.2])
    assert roc_auc(y, scores)[0] == pytest.approx(3.5 / 4)


def test_average_precision_reads_a_tie_group_as_one_threshold():
    # Thresholds 0.9 (1 of 1 right), 0.5 (2 of 3 right, recall 1/2 -> 1): 0.5 x 1 + 0.5 x 2/3.
    y = np.array([1, 1, 0, 0])
    scores = np.array([0.9, 0.5, 0.5, 0.1])
    assert average_precision(y, scores)[0] == pytest.approx(0.5 + 0.5 * 2 / 3)


def test_undefined_columns_are_nan_and_zero_not_errors():
    y = np.array([[0, 1], [0, 1], [0, 1]])
    scores = np.array([[0.1, 0.2], [0.5, 0.4], [0.9, 0.3]])
    assert np.isnan(roc_auc(y, scores)).all()
    ap = average_precision(y, scores)
    assert np.isnan(ap[0]) and ap[1] == pytest.approx(1.0)
    precision, recall, f1 = precision_recall_f1(y, scores > 0.35)
    assert precision.tolist() == [0.0, 1.0]
    assert recall.tolist() == [0.0, pytest.approx(1 / 3)]
    assert f1.tolist() == [0.0, pytest.approx(0.5)]


def test_f1_is_per_tag_on_many_columns():
    y = np.array([[1, 0, 1], [1, 1, 0], [0, 1, 0], [0, 0, 1]])
    predicted = np.array([[1, 1, 1], [0, 1, 1], [0, 0, 0], [1, 0, 0]])
    precision, recall, f1 = precision_recall_f1(y, predicted)
    assert precision.tolist() == pytest.approx([0.5, 0.5, 0.5])
    assert recall.tolist() == pytest.approx([0.5, 0.5, 0.5])
    assert f1.tolist() == pytest.approx([0.5, 0.5, 0.5])
