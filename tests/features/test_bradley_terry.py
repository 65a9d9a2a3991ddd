"""The duel model's maths: strengths recovered from simulated answers, bounded rating
evidence, and the pair drawing."""

import numpy as np
import pytest

from recommender.algorithms.bradley_terry import bradley_terry, choose_pair, refined_values


def test_planted_strengths_are_recovered_from_noisy_duels():
    rng = np.random.default_rng(0)
    true = rng.normal(0, 1, 40)
    a, b = rng.integers(0, 40, 4000), rng.integers(0, 40, 4000)
    keep = a != b
    a, b = a[keep], b[keep]
    a_wins = rng.random(len(a)) < 1 / (1 + np.exp(-(true[a] - true[b])))
    theta = bradley_terry(np.where(a_wins, a, b), np.where(a_wins, b, a), 40)
    assert np.corrcoef(theta, true)[0, 1] > 0.97
    # The same scale as the planted one (log-odds), up to the prior's shrinkage.
    assert 0.8 < np.std(theta) / np.std(true) < 1.1


def test_an_unbeaten_work_has_a_finite_strength_that_grows_with_its_wins():
    one = bradley_terry([0], [1], 2)
    five = bradley_terry([0] * 5, [1] * 5, 2)
    assert np.all(np.isfinite(five))
    assert 0 < one[0] < five[0] and five[1] < one[1] < 0
    assert bradley_terry([], [], 3).tolist() == [0.0, 0.0, 0.0]


def test_bad_duels_are_refused():
    with pytest.raises(ValueError, match="itself"):
        bradley_terry([1], [1], 2)
    with pytest.raises(ValueError, match="out of range"):
        bradley_terry([0], [5], 2)


def test_duels_order_works_within_a_choice_without_crossing_choices():
    values = np.array([2.0, 2.0, 2.0, 4.0, 0.1])
    theta = np.array([3.0, 0.0, -3.0, -5.0, 5.0])
    compared = np.array([True, True, True, True, False])
    refined = refined_values(values, theta, compared, margin=0.5)
    assert refined[0] > refined[1] > refined[2]
    assert np.all(np.abs(refined - values) <= 0.5)
    assert refined[1] == pytest.approx(2.0)  # the group's middle stays put
    assert refined[3] == 4.0  # alone in its choice: nothing to order
    assert refined[4] == 0.1  # never compared


def test_pairs_start_with_the_least_compared_and_stop_when_all_are_done():
    values = [2.0, 2.0, 4.0]
    first = choose_pair(values, [3, 0, 0], [1, 1, 9], set(), rng=0)
    assert first == (2, 1)  # least compared, most popular; partner: fewest comparisons
    done = {frozenset(p) for p in [(0, 1), (0, 2), (1, 2)]}
    assert choose_pair(values, [2, 2, 2], [1, 1, 1], done, rng=0) is None
    assert choose_pair(values, [2, 2, 2], [1, 1, 1], done - {frozenset((0, 2))}, rng=0) in {
        (0, 2),
        (2, 0),
    }
