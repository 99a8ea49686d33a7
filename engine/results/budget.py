"""What a tuning budget buys, from one arm's trials: the expected best validation score of n trials drawn from the
N run, the expected test score of the trial that validation picks among them, and of the trial the test set would
pick (the cherry-pick a report gains by choosing on test). Pure arithmetic on the stored scores; no TensorFlow.

The n trials are drawn without replacement (Dodge et al. 2021, "Expected Validation Performance and Estimation of
a Random Variable's Maximum"), so n = N is exactly the validation argmax of all N: the result. With the N trials
sorted by the score that picks, the i-th lowest (1-based) is the best of n with probability C(i-1, n-1) / C(N, n).
Trials that tie on that score are picked alike: each tied group counts at its mean, never by trial order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby


def pick_weights(count: int, n: int) -> list[float]:
    """P(the i-th lowest of `count` trials is the best of n drawn without replacement), i = 1..count."""
    if not 1 <= n <= count:
        raise ValueError(f"n must be from 1 to the {count} trials, got {n}")
    total = math.comb(count, n)
    return [math.comb(i - 1, n - 1) / total for i in range(1, count + 1)]


@dataclass(frozen=True)
class Expected:
    """An expectation over the n-trial subsets (a tie picked at random among the tied), and its standard
    deviation."""

    mean: float
    std: float


def expected_of_pick(picking: Sequence[float], reported: Sequence[float], n: int) -> Expected:
    """E[`reported` score of the trial with the best `picking` score among n of the trials], with its spread."""
    if not picking:
        raise ValueError("no trials")
    order = sorted(range(len(picking)), key=lambda trial: picking[trial])
    weights = pick_weights(len(order), n)
    mean = second = 0.0
    position = 0
    for _, tied in groupby(order, key=lambda trial: picking[trial]):
        group = list(tied)
        weight = sum(weights[position : position + len(group)])
        position += len(group)
        mean += weight * sum(reported[t] for t in group) / len(group)
        second += weight * sum(reported[t] ** 2 for t in group) / len(group)
    return Expected(mean, math.sqrt(max(second - mean * mean, 0.0)))


def expected_max(scores: Sequence[float], n: int) -> Expected:
    """E[max of n of the trials] of `scores` (the expected best validation score at budget n), with its spread."""
    return expected_of_pick(scores, scores, n)


def tied_pick(picking: Sequence[float], reported: Sequence[float]) -> float:
    """The `reported` score of the validation pick of all the trials (n = N): the mean over the trials tied at
    the best `picking` score."""
    return expected_of_pick(picking, reported, len(picking)).mean


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
