"""What a tuning budget buys, from one arm's trials: the expected best validation score of n trials drawn from the
N run (Dodge et al. 2019, "Show Your Work": n draws with replacement), the expected test score of the trial that
validation picks among them, and of the trial the test set would pick (the cherry-pick a report gains by choosing
on test). Pure arithmetic on the stored scores; no TensorFlow.

With the N trials sorted by the score that picks, the i-th (1-based) is the pick of n draws with probability
(i/N)^n - ((i-1)/N)^n, so every expectation is a weighted sum over the sorted trials. Ties go to the earlier
trial, as an argmax over the trials in their order would.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def pick_weights(count: int, n: int) -> list[float]:
    """P(the i-th lowest of `count` trials is the best of n draws with replacement), i = 1..count."""
    return [(i / count) ** n - ((i - 1) / count) ** n for i in range(1, count + 1)]


def _ranked(picking: Sequence[float]) -> list[int]:
    """The trials' indices from the worst to the best by `picking`; of equal scores the earlier ranks higher."""
    return sorted(range(len(picking)), key=lambda trial: (picking[trial], -trial))


@dataclass(frozen=True)
class Expected:
    """An expectation over the n-draw subsets, and its standard deviation."""

    mean: float
    std: float


def expected_of_pick(picking: Sequence[float], reported: Sequence[float], n: int) -> Expected:
    """E[`reported` score of the trial with the best `picking` score among n draws], with its spread."""
    if not picking:
        raise ValueError("no trials")
    order = _ranked(picking)
    weights = pick_weights(len(order), n)
    mean = sum(w * reported[t] for w, t in zip(weights, order, strict=True))
    second = sum(w * reported[t] ** 2 for w, t in zip(weights, order, strict=True))
    return Expected(mean, math.sqrt(max(second - mean * mean, 0.0)))


def expected_max(scores: Sequence[float], n: int) -> Expected:
    """E[max of n draws] of `scores` (the expected best validation score at budget n), with its spread."""
    return expected_of_pick(scores, scores, n)


@dataclass(frozen=True)
class BudgetPoint:
    """One arm at budget n: expected best validation, expected test of the validation pick, expected best test
    (the oracle, not a result), and their gap (how many points picking on test would add)."""

    n: int
    best_validation: Expected
    test_of_pick: Expected
    best_test: Expected

    @property
    def cherry_pick(self) -> float:
        return self.best_test.mean - self.test_of_pick.mean


def budget_curve(validation: Sequence[float], test: Sequence[float], budget: int) -> list[BudgetPoint]:
    """The arm's points for n = 1 .. budget."""
    return [
        BudgetPoint(
            n,
            expected_max(validation, n),
            expected_of_pick(validation, test, n),
            expected_max(test, n),
        )
        for n in range(1, budget + 1)
    ]
