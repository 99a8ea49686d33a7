"""A paired difference read over many class pairs, pooled first (Agarwal et al. 2021, rliable: intervals over
tasks x runs; Demšar 2006: Wilcoxon over data sets), then pair by pair with the flags corrected for how many
pairs were looked at (Holm 1979). With 45 pairs of 3 seeds of pure noise, uncorrected 95% intervals call about
2.2 pairs clear, and at least one in 9 maps of 10; what no pair alone can resolve, the pairs together often do."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from engine.results import stats

Pair = tuple[int, int]
ALPHA = 0.05
FEWEST_PAIRS_FOR_INTERVAL = 5  # below, resampling the pairs says more about the resampling than about the pairs


@dataclass(frozen=True)
class OverPairs:
    """The per-seed differences of every measured pair, read pooled and pair by pair. Each reading is computed
    when first asked for (a map's grid needs the flags, not the bootstrap, which takes most of the time)."""

    differences: dict[Pair, list[float]]  # pairs with at least one seed

    @property
    def n_pairs(self) -> int:
        return len(self.differences)

    @cached_property
    def means(self) -> dict[Pair, float]:
        return {pair: stats.mean(values) for pair, values in self.differences.items()}

    @property
    def mean(self) -> float:
        return stats.mean(list(self.means.values()))

    @cached_property
    def interval(self) -> tuple[float, float] | None:
        """95%, two-level bootstrap: pairs, then seeds within each pair; none below FEWEST_PAIRS_FOR_INTERVAL."""
        if self.n_pairs < FEWEST_PAIRS_FOR_INTERVAL:
            return None
        return stats.two_level_bootstrap(list(self.differences.values()))

    @property
    def iqm(self) -> float:
        return stats.iqm(list(self.means.values()))

    @property
    def wilcoxon_p(self) -> float | None:
        """Over the pairs' mean differences."""
        return stats.wilcoxon_p(list(self.means.values()))

    @property
    def improvement(self) -> float:
        """The share of pairs whose mean difference is above zero (ties half)."""
        return stats.probability_of_improvement(list(self.differences.values()))

    @cached_property
    def p_values(self) -> dict[Pair, float | None]:
        """Each pair's t-test p-value; None where its seeds show no spread to judge."""
        return {pair: stats.t_p_value(values) for pair, values in self.differences.items()}

    @cached_property
    def flags(self) -> dict[Pair, int]:
        """+1 above zero, -1 below, 0 neither: uncorrected, by the pair's 95% t interval."""
        return {pair: self._sign(pair, p) for pair, p in self.p_values.items()}

    @cached_property
    def corrected(self) -> dict[Pair, int]:
        """The same flags after Holm's correction over every pair with a spread to judge."""
        judged = [pair for pair, p in self.p_values.items() if p is not None]
        adjusted = dict(zip(judged, stats.holm([self.p_values[pair] for pair in judged]), strict=True))
        return {pair: self._sign(pair, adjusted.get(pair)) for pair in self.differences}

    def _sign(self, pair: Pair, p: float | None) -> int:
        return 0 if p is None or p >= ALPHA else (1 if self.means[pair] > 0 else -1)

    @property
    def by_chance(self) -> float:
        """How many pairs uncorrected intervals would call clear if there were no effect at all."""
        return ALPHA * self.n_pairs

    def count(self, corrected: bool, sign: int) -> int:
        flags = self.corrected if corrected else self.flags
        return sum(flag == sign for flag in flags.values())


def over_pairs(differences: dict[Pair, list[float]]) -> OverPairs | None:
    """None with no pair measured."""
    measured = {pair: values for pair, values in differences.items() if values}
    return OverPairs(measured) if measured else None


def pooled_sentence(reading: OverPairs, what: str) -> str:
    """'Over 45 pairs, B on A minus B from scratch: mean -12.36 points (95% interval -15.01 to -9.80, resampling
    pairs, then seeds), IQM -12.50; probability of improvement 0.00; Wilcoxon over the pairs' means p = 1.4e-12.'
    The probability of improvement is the share of pairs whose mean is above zero, ties counting half."""
    text = f"Over {reading.n_pairs} pairs, {what}: mean {100 * reading.mean:+.2f} points"
    if reading.interval is not None:
        low, high = (100 * bound for bound in reading.interval)
        text += f" (95% interval {low:+.2f} to {high:+.2f}, resampling pairs, then seeds)"
    elif reading.n_pairs < FEWEST_PAIRS_FOR_INTERVAL:
        text += f" (no interval over fewer than {FEWEST_PAIRS_FOR_INTERVAL} pairs)"
    else:
        text += " (no interval: every pair and seed gave the same difference, no spread to judge it by)"
    text += f", IQM {100 * reading.iqm:+.2f}; probability of improvement {reading.improvement:.2f}"
    if reading.wilcoxon_p is not None:
        text += f"; Wilcoxon over the pairs' means p = {reading.wilcoxon_p:.2g}"
    return text + "."


def corrected_sentence(reading: OverPairs) -> str:
    """'Pair by pair, 95% intervals clear zero above in 0 and below in 8; after Holm's correction over 45 pairs,
    above in 0 and below in 0 (by chance alone about 2.2 of 45 would look clear uncorrected).'"""
    n = reading.n_pairs
    return (
        f"Pair by pair, 95% intervals clear zero above in {reading.count(False, 1)} and below in "
        f"{reading.count(False, -1)}; after Holm's correction over {n} pairs, above in {reading.count(True, 1)} "
        f"and below in {reading.count(True, -1)} (by chance alone about {reading.by_chance:.1f} of {n} would look "
        "clear uncorrected)."
    )
