"""The summary over seeds: honest numbers and a verdict that never claims more than the interval shows."""

from __future__ import annotations

import dataclasses
import json

import pytest
from scipy.stats import t as scipy_t

from engine.results.experiment import ExperimentResult, SeedResult, summarise
from engine.results.stats import interval_95


def seed_result(seed: int, scratch: float, transfer: float, diverged: str | None = None) -> SeedResult:
    return SeedResult(seed, (5, 6), 0.9, scratch, transfer, history={}, diverged=diverged)


def test_error_ratio_and_difference() -> None:
    result = seed_result(1, scratch=0.90, transfer=0.95)
    assert result.difference == pytest.approx(0.05)
    assert result.error_ratio == pytest.approx(0.10 / 0.05)
    assert seed_result(1, 0.9, 1.0).error_ratio is None  # transfer made no error: the ratio is undefined


def test_the_interval_is_students_t_as_printed_tables_give_it() -> None:
    """Oracle: the t table of any textbook (97.5% quantiles 12.706 at 1 degree of freedom, 4.303 at 2)."""
    low, high = interval_95([1.0, 2.0, 3.0])
    assert (low, high) == pytest.approx((2 - 4.303 / 3**0.5, 2 + 4.303 / 3**0.5), abs=1e-3)
    low, high = interval_95([0.0, 1.0])
    assert (low, high) == pytest.approx((0.5 - 12.706 / 2, 0.5 + 12.706 / 2), abs=1e-3)


def test_clear_gain() -> None:
    summary = summarise([seed_result(s, 0.90, 0.95 + 0.001 * s) for s in range(5)])
    assert (summary.wins, summary.losses, summary.ties) == (5, 0, 0)
    assert summary.difference_ci95[0] > 0
    assert summary.verdict.startswith("Transfer helped: +5.20 points on average")
    assert "won 5 of 5 seeds" in summary.verdict


def test_mixed_results_claim_nothing() -> None:
    summary = summarise([seed_result(1, 0.90, 0.95), seed_result(2, 0.93, 0.91), seed_result(3, 0.92, 0.92)])
    assert (summary.wins, summary.losses, summary.ties) == (1, 1, 1)
    assert summary.verdict.startswith("No clear difference")
    assert "includes zero and reaches past ±0.5 points; at this spread about 203 seeds" in summary.verdict
    assert summary.acc_scratch_mean == pytest.approx(0.9166666)
    assert summary.acc_scratch_std == pytest.approx(0.0152752, abs=1e-6)


def test_consistent_loss_is_called_a_loss() -> None:
    summary = summarise([seed_result(s, 0.95, 0.90 - 0.002 * s) for s in range(4)])
    assert summary.verdict.startswith("Transfer hurt")
    assert summary.wins == 0


def test_one_seed_is_not_evidence() -> None:
    summary = summarise([seed_result(42, 0.90, 0.97)])
    assert summary.difference_ci95 is None and summary.acc_transfer_std is None
    assert summary.verdict.startswith("One seed only: transfer beat scratch by 7.00 points")
    assert "cannot tell a real effect from luck" in summary.verdict


def test_a_diverged_seed_counts_at_chance_level_and_is_said_so() -> None:
    """Seed 2's B from scratch diverged: it counts at 50% (the balanced task's chance), so B on A wins that seed;
    nothing is left out, and the verdict says so."""
    results = [seed_result(1, 0.9, 0.95), seed_result(2, 0.3, 0.99, diverged="b_scratch"), seed_result(3, 0.91, 0.9)]
    summary = summarise(results)
    assert summary.n_seeds == 3 and summary.n_diverged == 1 and summary.wins == 2
    assert summary.acc_scratch_mean == pytest.approx((0.9 + 0.5 + 0.91) / 3)
    assert "1 seed diverged: the model that diverged counts at chance level (50%)" in summary.verdict


def test_a_diverged_seed_lowers_the_reading_instead_of_vanishing() -> None:
    """Three seeds at +1.1 points read 'helped'; two more where B on A diverged pull the mean down, and with them
    the verdict cannot claim a gain (left out, they would leave 'helped' standing)."""
    good = [seed_result(s, 0.90, 0.911 + 0.0002 * s) for s in (1, 2, 3)]
    assert summarise(good).side == "ahead"
    failed = [seed_result(s, 0.90, 0.91, diverged="b_finetune") for s in (4, 5)]
    summary = summarise(good + failed)
    assert summary.difference_mean < 0 and summary.side != "ahead"
    assert summary.acc_transfer_mean == pytest.approx((3 * 0.9114 + 2 * 0.5) / 5)


def test_a_zero_width_interval_is_not_read_as_certainty() -> None:
    """Two seeds with the same difference (accuracy moves in 0.05-point steps on 2,000 images)."""
    summary = summarise([seed_result(1, 0.90, 0.9005), seed_result(2, 0.91, 0.9105)])
    assert summary.difference_ci95 is None and summary.side == "no difference"
    assert summary.verdict.startswith("Cannot tell: every seed gave the same difference (+0.05 points")
    assert "zero-width interval is no certainty" in summary.verdict and "helped" not in summary.verdict


def test_json_is_strict() -> None:
    result = ExperimentResult({"split": {}}, [seed_result(1, 0.9, 1.0)], "finished", "CPU")
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["seeds"][0]["error_ratio"] is None
    assert set(data) == {"config", "status", "device", "seeds", "summary", "pairs"}
    assert {"seed", "test_acc_a", "test_acc_b_scratch", "test_acc_b_transfer", "error_ratio", "history"} <= set(
        data["seeds"][0]
    )


def test_pairs_are_summarised_apart_never_pooled() -> None:
    seeds = [seed_result(1, 0.90, 0.95), seed_result(2, 0.91, 0.96)]
    other = [
        SeedResult(1, (0, 2), 0.9, 0.80, 0.70, history={}),
        SeedResult(2, (0, 2), 0.9, 0.82, 0.71, history={}),
    ]
    config = {"split": {"extra_pairs": [[0, 2]]}, "run": {"seeds": [1, 2]}}
    result = ExperimentResult(config, seeds + other, "finished", "CPU")
    summaries = result.summaries()
    assert list(summaries) == [(5, 6), (0, 2)]
    assert summaries[(5, 6)].wins == 2 and summaries[(0, 2)].wins == 0
    assert summaries[(0, 2)].acc_transfer_mean == pytest.approx(0.705)
    assert result.planned_runs == 4
    data = result.to_dict()
    assert data["summary"] is None  # a study has no single summary
    assert [entry["b_classes"] for entry in data["pairs"]] == [[5, 6], [0, 2]]
    assert data["pairs"][1]["summary"]["difference_mean"] == pytest.approx(-0.105)


def test_a_difference_inside_the_band_of_practical_equivalence_reads_equivalent() -> None:
    """Four ways: ahead, behind, equivalent (the interval inside ±rope_points), cannot tell (with how many seeds
    would resolve it at the spread seen)."""
    small = [seed_result(s, 0.90, 0.9010 + 0.0005 * (s % 2)) for s in range(1, 6)]  # +0.10 to +0.15 points
    equivalent = summarise(small)
    assert equivalent.side == "equivalent" and equivalent.verdict.startswith("Practically equivalent: +0.13 points")
    assert "inside ±0.5 points ([stats] rope_points)" in equivalent.verdict and "clear of zero" in equivalent.verdict
    assert summarise(small, rope_points=0.05).side == "ahead"  # a narrower band: a small but clear gain
    wide = [seed_result(1, 0.90, 0.92), seed_result(2, 0.90, 0.88), seed_result(3, 0.90, 0.905)]
    unsure = summarise(wide)
    assert unsure.side == "no difference" and unsure.verdict.startswith("No clear difference (cannot tell)")
    assert "at this spread about 66 seeds would resolve it to ±0.5 points" in unsure.verdict


def test_the_seeds_that_would_resolve_a_difference_agree_with_the_t_interval() -> None:
    from engine.results.stats import seeds_for_half_width

    n = seeds_for_half_width(2.0, 0.5)
    assert n == 64
    half = lambda k: scipy_t.ppf(0.975, k - 1) * 2.0 / k**0.5  # noqa: E731
    assert half(n) <= 0.5 < half(n - 1)
    assert seeds_for_half_width(2.0, 0.0) is None and seeds_for_half_width(0.0, 0.5) == 2


def test_a_summary_reads_model_a_over_the_seeds_that_tested_one() -> None:
    """A tuning of B from scratch alone has no model A: its accuracy is unknown (NaN), read as none, not as a
    crash in the standard deviation; where some seeds tested one, over those."""
    unknown = [dataclasses.replace(seed_result(seed, 0.9, 0.92), test_acc_a=float("nan")) for seed in (1, 2, 3)]
    summary = summarise(unknown)
    assert summary.acc_a_mean is None and summary.acc_a_std is None
    assert summary.difference_mean == pytest.approx(0.02)
    mixed = [*unknown[:2], dataclasses.replace(unknown[2], test_acc_a=0.8)]
    assert summarise(mixed).acc_a_mean == 0.8
