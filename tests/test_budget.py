"""Expected best of n trials (Dodge et al. 2019) and the cherry-pick, against brute-force enumeration."""

from __future__ import annotations

import itertools
import math
import statistics

import pytest

from engine.results.budget import budget_curve, expected_max, expected_of_pick, pick_weights

VALIDATION = [0.71, 0.90, 0.65, 0.90, 0.80]  # trials 1 and 3 tie on validation
TEST = [0.70, 0.84, 0.95, 0.88, 0.79]  # trial 2: the best on test, among the worst on validation


def _pick(draw: tuple[int, ...], picking: list[float]) -> int:
    """The trial an argmax over the drawn trials picks: the best score, the earlier trial on a tie."""
    return max(draw, key=lambda trial: (picking[trial], -trial))


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_expectations_equal_the_mean_over_every_draw_of_n_trials(n) -> None:
    draws = list(itertools.product(range(len(VALIDATION)), repeat=n))  # with replacement, every order
    best_validation = [max(VALIDATION[t] for t in draw) for draw in draws]
    test_of_pick = [TEST[_pick(draw, VALIDATION)] for draw in draws]
    best_test = [max(TEST[t] for t in draw) for draw in draws]
    assert expected_max(VALIDATION, n).mean == pytest.approx(statistics.fmean(best_validation), abs=1e-12)
    assert expected_max(VALIDATION, n).std == pytest.approx(statistics.pstdev(best_validation), abs=1e-9)
    assert expected_of_pick(VALIDATION, TEST, n).mean == pytest.approx(statistics.fmean(test_of_pick), abs=1e-12)
    point = budget_curve(VALIDATION, TEST, 4)[n - 1]
    assert point.n == n
    assert point.best_test.mean == pytest.approx(statistics.fmean(best_test), abs=1e-12)
    assert point.cherry_pick == pytest.approx(statistics.fmean(best_test) - statistics.fmean(test_of_pick))


def test_the_pick_reads_validation_only_and_a_tie_goes_to_the_earlier_trial() -> None:
    # with every trial drawn (large n), validation picks trial 1 (0.90, before trial 3), never trial 2
    assert expected_of_pick(VALIDATION, TEST, 200).mean == pytest.approx(TEST[1], abs=1e-6)
    assert expected_max(TEST, 200).mean == pytest.approx(max(TEST), abs=1e-6)
    assert budget_curve(VALIDATION, TEST, 1)[0].test_of_pick.mean == pytest.approx(statistics.fmean(TEST))
    assert sum(pick_weights(7, 3)) == pytest.approx(1.0)
    assert math.isclose(expected_max([0.5], 5).mean, 0.5)
    with pytest.raises(ValueError):
        expected_max([], 1)
