"""The statistics every reading goes through, on scipy.stats: over seeds, the paired t interval and p-value and an
exact sign-flip p-value; over many comparisons, Holm's correction; over pairs x seeds, Wilcoxon's signed-rank test,
the interquartile mean and a two-level bootstrap (pairs, then seeds within each pair), as rliable does over tasks
x runs. scipy is imported when a reading first needs it, so results load (and the first screen shows) without it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence

LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0  # a reading is reproducible: the same numbers give the same interval
SAME = 1e-12  # values closer than this are equal: float noise in differences of equal accuracies is no spread


def mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def std(values: Sequence[float]) -> float | None:
    """Sample standard deviation; None below two values, where it is undefined."""
    return statistics.stdev(values) if len(values) > 1 else None


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def spread_known(values: Sequence[float]) -> bool:
    """Whether the values show how much they vary: two or more, not all equal. Equal values (accuracy moves in
    steps of 0.05 points on 2,000 test images, so two seeds can tie) give a zero-width interval, which is no
    certainty: the spread is unseen, not zero."""
    return len(values) > 1 and max(values) - min(values) > SAME


def interval_95(values: Sequence[float]) -> tuple[float, float] | None:
    """95% confidence interval of the mean (Student's t, scipy's ttest_1samp); None where the spread is unknown
    (below two values, or all equal)."""
    if not spread_known(values):
        return None
    from scipy import stats

    interval = stats.ttest_1samp(values, 0.0).confidence_interval(LEVEL)
    return float(interval.low), float(interval.high)


def t_p_value(values: Sequence[float]) -> float | None:
    """Two-sided p-value of a mean of zero (Student's t); None where the spread is unknown."""
    if not spread_known(values):
        return None
    from scipy import stats

    return float(stats.ttest_1samp(values, 0.0).pvalue)


def sign_flip_p(values: Sequence[float]) -> float | None:
    """Exact two-sided p-value of a mean of zero by flipping the signs of the paired differences (all 2^n
    patterns): no normality assumed. With n seeds it cannot go below 2 / 2^n (0.25 for 3 seeds)."""
    if not values:
        return None
    import numpy as np
    from scipy import stats

    result = stats.permutation_test(
        (np.asarray(values, dtype=float),), np.mean, permutation_type="samples", n_resamples=np.inf
    )
    return float(result.pvalue)


def wilcoxon_p(values: Sequence[float]) -> float | None:
    """Two-sided Wilcoxon signed-rank p-value of a median of zero (Demšar 2006's test over data sets); None with
    fewer than two non-zero values."""
    if sum(value != 0 for value in values) < 2:
        return None
    from scipy import stats

    return float(stats.wilcoxon(values).pvalue)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's (1979) step-down adjusted p-values, in the order given: the k-th smallest p is multiplied by the
    number of hypotheses not yet rejected (m - k + 1), kept monotone and capped at 1. A comparison is flagged at 5%
    when its adjusted p is below 0.05: the chance of flagging any true null stays at most 5% over all of them."""
    m = len(p_values)
    adjusted = [1.0] * m
    running = 0.0
    for rank, index in enumerate(sorted(range(m), key=lambda i: p_values[i])):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def iqm(values: Sequence[float]) -> float | None:
    """The interquartile mean (rliable: the mean of the middle 50%), robust to a few pairs far out."""
    if not values:
        return None
    from scipy import stats

    return float(stats.trim_mean(values, 0.25))


def two_level_bootstrap(
    groups: Sequence[Sequence[float]],
    statistic: Callable[[list[float]], float] = statistics.fmean,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float] | None:
    """95% percentile interval of `statistic` over the groups' means, resampling groups (class pairs) with
    replacement and then the values (seeds) within each chosen group: both sources of variation count. Seeded,
    so a reading is the same each time it is made. None below two groups, or where every value is the same."""
    groups = [list(group) for group in groups if group]
    if len(groups) < 2 or not spread_known([value for group in groups for value in group]):
        return None  # a zero-width interval would read as certainty
    import numpy as np

    rng = np.random.default_rng(seed)
    sizes = np.array([len(group) for group in groups])
    padded = np.full((len(groups), sizes.max()), np.nan)
    for row, group in enumerate(groups):
        padded[row, : len(group)] = group
    chosen = rng.integers(0, len(groups), size=(resamples, len(groups)))
    picks = (rng.random((resamples, len(groups), sizes.max())) * sizes[chosen][..., None]).astype(int)
    within = np.take_along_axis(padded[chosen], picks, axis=2)
    # only the first `size` picks of each chosen group count: a group of n seeds is resampled n times
    counted = np.arange(sizes.max())[None, None, :] < sizes[chosen][..., None]
    group_means = np.where(counted, within, 0.0).sum(axis=2) / sizes[chosen]
    if statistic is statistics.fmean:
        estimates = group_means.mean(axis=1)
    else:
        estimates = np.array([statistic(list(row)) for row in group_means])
    low, high = np.percentile(estimates, [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
    return float(low), float(high)


def probability_of_improvement(groups: Sequence[Sequence[float]]) -> float | None:
    """The share of pairs whose mean difference is above zero, ties counting half (rliable's probability of
    improvement, over pairs)."""
    means = [statistics.fmean(group) for group in groups if group]
    if not means:
        return None
    return sum(1.0 if m > 0 else 0.5 if m == 0 else 0.0 for m in means) / len(means)


def seeds_for_half_width(spread: float, half_width: float, most: int = 100_000) -> int | None:
    """The fewest values whose 95% t interval would be at most ±`half_width` wide at sample standard deviation
    `spread`: how many seeds would resolve a difference to that precision. None beyond `most`."""
    if half_width <= 0:
        return None
    if spread == 0:
        return 2
    from scipy import stats

    def half(n: int) -> float:
        return float(stats.t.ppf(0.5 + LEVEL / 2, n - 1)) * spread / n**0.5

    if half(most) > half_width:
        return None
    low, high = 2, most  # half() falls as n grows: bisect for the first n within reach
    while low < high:
        middle = (low + high) // 2
        low, high = (middle + 1, high) if half(middle) > half_width else (low, middle)
    return low


def average_ranks(scores: Sequence[Sequence[float]]) -> list[float]:
    """Each method's rank averaged over tasks (Demšar 2006): `scores[task][method]`, higher is better, rank 1 the
    best on a task, ties sharing the mean of their ranks."""
    import numpy as np
    from scipy import stats

    ranks = np.array([stats.rankdata([-score for score in task]) for task in scores])
    return [float(rank) for rank in ranks.mean(axis=0)]


def friedman(ranks: Sequence[float], tasks: int) -> tuple[float, float, float]:
    """Friedman's test from the methods' average ranks over `tasks` tasks: (chi-square, Iman and Davenport's F,
    the p-value of F), as Demšar 2006 recommends F (chi-square is too conservative)."""
    from scipy import stats

    k = len(ranks)
    chi_square = 12 * tasks / (k * (k + 1)) * (sum(rank**2 for rank in ranks) - k * (k + 1) ** 2 / 4)
    most = tasks * (k - 1)  # every task ranking the methods alike
    if chi_square >= most - 1e-9:
        return chi_square, math.inf, 0.0
    f = (tasks - 1) * chi_square / (most - chi_square)
    return chi_square, f, float(stats.f.sf(f, k - 1, (k - 1) * (tasks - 1)))


def nemenyi_cd(methods: int, tasks: int, alpha: float = 0.05) -> float:
    """Nemenyi's critical difference of average ranks: two methods whose ranks differ by less cannot be told apart
    (q_alpha from the studentized range over sqrt(2); Demšar 2006: k = 4, N = 14 gives 1.25)."""
    import math

    from scipy import stats

    q = float(stats.studentized_range.ppf(1 - alpha, methods, math.inf)) / math.sqrt(2)
    return q * math.sqrt(methods * (methods + 1) / (6 * tasks))


def cliques(ranks: Sequence[float], cd: float) -> list[list[int]]:
    """The maximal groups of methods (by index, best rank first) whose average ranks lie within `cd` of each
    other: the bars of a critical-difference diagram."""
    order = sorted(range(len(ranks)), key=lambda method: ranks[method])
    groups: list[list[int]] = []
    for start in range(len(order)):
        group = [m for m in order[start:] if ranks[m] - ranks[order[start]] < cd]
        if len(group) > 1 and not any(set(group) <= set(kept) for kept in groups):
            groups.append(group)
    return groups


def rank_intervals(
    scores: Sequence[Sequence[float]], resamples: int = 2_000, seed: int = 0
) -> list[tuple[float, float, float]]:
    """Each method's rank on one task (1 the best, ties sharing their mean rank) by its mean over seeds, with a 95%
    percentile interval from resampling the seeds (`scores[seed][method]`, seeds paired across methods: a
    resample keeps a seed's scores together). Seeded, so the same scores give the same intervals."""
    import numpy as np
    from scipy import stats

    matrix = np.asarray(scores, dtype=float)
    rank = stats.rankdata(-matrix.mean(axis=0))
    draws = np.random.default_rng(seed).integers(0, len(matrix), size=(resamples, len(matrix)))
    ranks = stats.rankdata(-matrix[draws].mean(axis=1), axis=1)
    low, high = np.percentile(ranks, [2.5, 97.5], axis=0)
    return [(float(r), float(lo), float(hi)) for r, lo, hi in zip(rank, low, high, strict=True)]


def performance_profile(costs: Sequence[Sequence[float]], taus: Sequence[float]) -> list[list[float]]:
    """Dolan and Moré's performance profile: `costs[task][method]` (infinite where a method never got there), and
    for each method the share of tasks on which its cost is within tau times the task's best, for each tau.
    A task no method finished counts against every method."""
    import numpy as np

    matrix = np.asarray(costs, dtype=float)
    best = matrix.min(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = np.where(np.isfinite(matrix), matrix / best, np.inf)
    return [[float(np.mean(ratios[:, method] <= tau)) for tau in taus] for method in range(matrix.shape[1])]
