"""Expected best of n trials (Dodge et al. 2021, without replacement) and the cherry-pick, against brute-force
enumeration of every subset."""

from __future__ import annotations

import itertools
import math
import statistics

import pytest

from engine.results.budget import budget_curve, expected_max, expected_of_pick, pick_weights, tied_pick

VALIDATION = [0.71, 0.90, 0.65, 0.90, 0.80]  # trials 1 and 3 tie on validation
TEST = [0.70, 0.84, 0.95, 0.88, 0.79]  # trial 2: the best on test, among the worst on validation


def _picks(draw: tuple[int, ...], picking: list[float]) -> list[int]:
    """The trials a pick over the drawn trials may take: every one tied at the best score, alike."""
    best = max(picking[trial] for trial in draw)
    return [trial for trial in draw if picking[trial] == best]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_expectations_equal_the_mean_over_every_subset_of_n_trials(n) -> None:
    draws = list(itertools.combinations(range(len(VALIDATION)), n))  # without replacement
    best_validation = [max(VALIDATION[t] for t in draw) for draw in draws]
    # a tie is picked at random: each tied trial weighs alike within its subset
    test_of_pick = [statistics.fmean(TEST[t] for t in _picks(draw, VALIDATION)) for draw in draws]
    outcomes = [(1 / len(draws) / len(_picks(d, VALIDATION)), TEST[t]) for d in draws for t in _picks(d, VALIDATION)]
    mean_pick = sum(p * value for p, value in outcomes)
    std_pick = math.sqrt(sum(p * (value - mean_pick) ** 2 for p, value in outcomes))
    best_test = [max(TEST[t] for t in draw) for draw in draws]
    assert expected_max(VALIDATION, n).mean == pytest.approx(statistics.fmean(best_validation), abs=1e-12)
    assert expected_max(VALIDATION, n).std == pytest.approx(statistics.pstdev(best_validation), abs=1e-9)
    assert expected_of_pick(VALIDATION, TEST, n).mean == pytest.approx(statistics.fmean(test_of_pick), abs=1e-12)
    assert expected_of_pick(VALIDATION, TEST, n).std == pytest.approx(std_pick, abs=1e-9)
    point = budget_curve(VALIDATION, TEST, 5)[n - 1]
    assert point.n == n
    assert point.best_test.mean == pytest.approx(statistics.fmean(best_test), abs=1e-12)
    assert point.cherry_pick == pytest.approx(statistics.fmean(best_test) - statistics.fmean(test_of_pick))


def test_at_the_full_budget_the_expectation_is_the_validation_pick_itself() -> None:
    """n = N: every trial is drawn, so the expected test score of the pick is the pick's (the tied best trials'
    mean), not a blend of the others (with replacement, the best of 16 weighs only 1 - (15/16)^16 = 0.64)."""
    assert expected_of_pick(VALIDATION, TEST, 5).mean == pytest.approx((TEST[1] + TEST[3]) / 2)
    assert tied_pick(VALIDATION, TEST) == pytest.approx((0.84 + 0.88) / 2)
    assert expected_max(TEST, 5).mean == max(TEST) and expected_max(TEST, 5).std == 0
    assert pick_weights(16, 16)[-1] == 1.0 and sum(pick_weights(16, 16)[:-1]) == 0


def test_the_pick_reads_validation_only() -> None:
    assert budget_curve(VALIDATION, TEST, 1)[0].test_of_pick.mean == pytest.approx(statistics.fmean(TEST))
    assert sum(pick_weights(7, 3)) == pytest.approx(1.0)
    assert math.isclose(expected_max([0.5], 1).mean, 0.5)
    with pytest.raises(ValueError):
        expected_max([], 1)
    with pytest.raises(ValueError, match="n must be from 1 to the 2 trials"):
        expected_max([0.5, 0.6], 3)
