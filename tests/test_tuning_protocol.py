"""The tuning's protocol without training: the draws, the search space's checks, and what the result may read
(validation picks, test is only reported), on made-up trials."""

from __future__ import annotations

import math
import re

import pytest

from engine.config import ExperimentConfig
from engine.config.arms import SCRATCH, TRANSFER
from engine.config.search import ONE_SHOT, arm_trials, edges, trial_values
from engine.config.values import apply_overrides
from engine.errors import ConfigError
from engine.results.tune import Trial, TuneResult


def test_the_draws_are_reproducible_spread_over_each_range_and_independent_of_the_run_seeds() -> None:
    config = ExperimentConfig()
    space = config.tune.space_of(TRANSFER)
    draws = trial_values(space, 16, draw_seed=0)
    assert draws == trial_values(space, 16, draw_seed=0)
    assert draws != trial_values(space, 16, draw_seed=1)
    other_seeds = apply_overrides(config, ["run.seeds=[7,8,9]"])
    assert trial_values(other_seeds.tune.space_of(TRANSFER), 16, 0) == draws  # the seeds pair up
    rates = sorted(math.log10(d["learning_rate"]) for d in draws)
    assert rates[0] >= -4 and rates[-1] <= -1
    # a scrambled Sobol sequence of 16 puts one draw in each sixteenth of every coordinate
    assert sorted(int((r + 4) / 3 * 16) for r in rates) == list(range(16))
    assert {d["frozen_epochs"] for d in draws} == {0.0, 2.0, 4.0, 8.0}
    assert all(0.01 <= d["fine_tune_ratio"] <= 1 for d in draws)


def test_each_seed_draws_its_own_trials_by_default_the_same_ones_when_shared() -> None:
    config = apply_overrides(ExperimentConfig(), ["run.seeds=[1,2,3]"])
    assert config.tune.draws == "per_seed"
    own = [arm_trials(config, TRANSFER, seed) for seed in (1, 2, 3)]
    assert own[0] == arm_trials(config, TRANSFER, 1)  # reproducible
    assert own[0] != own[1] != own[2]
    for trials in own:  # each seed's draws keep Sobol's balance: one learning rate in each sixteenth
        rates = [math.log10(values["learning_rate"]) for number, values in trials if number != ONE_SHOT]
        assert sorted(int((r + 4) / 3 * 16) for r in rates) == list(range(16))
    shared = apply_overrides(config, ["tune.draws='shared'"])
    assert arm_trials(shared, TRANSFER, 1) == arm_trials(shared, TRANSFER, 3)
    assert [v for _, v in arm_trials(shared, TRANSFER, 2)][:16] == trial_values(config.tune.space_of(TRANSFER), 16, 0)
    with pytest.raises(ConfigError, match=r"tune\.draws must be one of per_seed, shared"):
        apply_overrides(config, ["tune.draws='sometimes'"])


def test_a_value_in_the_outer_tenth_of_its_range_is_at_the_edge() -> None:
    space = ExperimentConfig().tune.space_of(TRANSFER)
    assert edges(space, {"learning_rate": 1.2e-4, "frozen_epochs": 8.0, "fine_tune_ratio": 0.1}) == (
        "learning_rate 0.00012 at the bottom of [0.0001, 0.1]",
    )
    assert edges(space, {"learning_rate": 0.09}) == ("learning_rate 0.09 at the top of [0.0001, 0.1]",)
    assert edges(space, {"learning_rate": 3e-3, "fine_tune_ratio": 0.5}) == ()


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("tune.budget=0", "tune.budget must be between 1 and 1024"),
        ('tune.space.scratch.momentum={dist="log", low=0.1, high=0.9}', "has no 'momentum'; scratch searches"),
        ('tune.space.scratch.learning_rate={dist="log", low=0, high=0.1}', "must be above 0 for a log range"),
        ('tune.space.scratch.learning_rate={dist="normal", low=1, high=2}', "must be one of log, uniform"),
        (  # a space written by hand that its epochs cannot train (a default one is clipped instead)
            'tune.space.transfer.frozen_epochs={dist="choice", values=[0, 40]}',
            "frozen_epochs must be whole epochs from 0 to fewer than tune.epochs (40)",
        ),
        (
            'tune.space.transfer.frozen_epochs={dist="int", low=0, high=40}',
            "frozen_epochs must be whole epochs from 0 to fewer than tune.epochs (40)",
        ),
        ('tune.space.wide.learning_rate={dist="log", low=0.1, high=1}', "names 'wide', which is neither scratch"),
        ('tune.arms=["transfer"]', "tune.arms must hold scratch (the baseline) and at least one other arm"),
        ('tune.arms=["scratch", "AnB:0"]', "an arm is scratch, transfer, or a treatment at a depth from 1"),
        ('tune.arms=["scratch", "AnB+:6"]', "has 'AnB+:6', deeper than the network's 5 hidden layers"),
        ('tune.arms=["scratch", "BnB", "BnB"]', "has 'BnB'; an arm is"),
        ('tune.space.transfer.reused_layers={dist="int", low=0, high=3}', "reused_layers must be whole numbers"),
        ('tune.space.transfer.reused_layers={dist="log", low=1, high=3}', "reused_layers must be whole numbers"),
        ('tune.space.transfer.reused_layers={dist="choice", values=[2, 6]}', "hidden layers from 1 to 5"),
    ],
)
def test_a_bad_search_space_is_refused_naming_its_key(assignment, message) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        apply_overrides(ExperimentConfig(), [assignment])


def _trial(arm, number, seed, val, test, diverged=False) -> Trial:
    return Trial(arm, number, (5, 6), seed, {"learning_rate": 0.01 * (number + 2)}, val, test, 3, diverged)


def _result(trials: list[Trial], budget: int = 3) -> TuneResult:
    config = {"tune": {"budget": budget, "arms": [SCRATCH, TRANSFER]}}
    return TuneResult(config, trials, "finished", "CPU", 1000, {"5-6:1": 0.9, "5-6:2": 0.9})


def test_validation_picks_the_result_and_test_only_reports_it() -> None:
    trials = [
        # seed 1, scratch: trial 1 is best on test but worse on validation; it is the oracle, not the result
        _trial(SCRATCH, 0, 1, val=0.90, test=0.85),
        _trial(SCRATCH, 1, 1, val=0.80, test=0.97),
        _trial(SCRATCH, 2, 1, val=0.90, test=0.80),  # ties trial 0 on validation: both are the pick, alike
        _trial(SCRATCH, ONE_SHOT, 1, val=0.99, test=0.99),  # outside the budget: never picked
        _trial(TRANSFER, 0, 1, val=0.95, test=0.90),
        _trial(TRANSFER, 1, 1, val=0.99, test=0.50, diverged=True),  # diverged: the worst validation, kept
        _trial(TRANSFER, 2, 1, val=0.70, test=0.60),
        _trial(TRANSFER, ONE_SHOT, 1, val=0.60, test=0.55),
    ]
    result = _result(trials)
    assert result.picked(SCRATCH, (5, 6), 1).number == 0
    assert result.oracle(SCRATCH, (5, 6), 1).number == 1
    assert result.picked(TRANSFER, (5, 6), 1).number == 0
    assert len(result.trials_of(TRANSFER, (5, 6), 1)) == 3  # the diverged trial is not dropped
    reading = result.arm_reading(TRANSFER, (5, 6))
    assert reading.curve[0].best_validation.mean == pytest.approx((0.95 + 0.0 + 0.70) / 3)
    summary = result.summary((5, 6))
    # the tied picks count at their mean (0.85 and 0.80), not by which trial came first
    assert summary.acc_scratch_mean == pytest.approx(0.825) and summary.acc_transfer_mean == pytest.approx(0.90)
    assert [t.number for t in result.tied_picks(SCRATCH, (5, 6), 1)] == [0, 2]
    # the budget curve at n = budget is the result itself (drawn without replacement, ties alike)
    assert result.arm_reading(SCRATCH, (5, 6)).curve[2].test_of_pick.mean == pytest.approx(0.825)
    assert result.one_shot_summary((5, 6)).acc_scratch_mean == pytest.approx(0.99)
    # picking scratch on test would have added 12 points at the full budget (E over draws of 3 from 3)
    meter = result.meter((5, 6))
    assert meter[SCRATCH][3] == pytest.approx(result.arm_reading(SCRATCH, (5, 6)).curve[2].cherry_pick)
    assert meter[SCRATCH][3] > 0.05
    # the notebook's author: transfer ahead by a point or more in 2 of 9 pairings (0.90 against 0.85 and 0.80)
    assert result.great_improvement_share((5, 6)) == pytest.approx(2 / 9)
    rows = result.export_rows()
    # both scratch trials tied at the best validation score are the pick
    assert [row["picked_on_validation"] for row in rows] == [True, False, True, False, True, False, False, False]
    assert all(set(row) == set(rows[0]) for row in rows)  # one header for every arm


def test_a_stored_tuning_reads_back_to_the_same_readings() -> None:
    trials = [
        _trial(arm, n, seed, 0.8 + 0.01 * n + 0.001 * seed, 0.7 + 0.02 * n)
        for arm in (SCRATCH, TRANSFER)
        for seed in (1, 2)
        for n in range(3)
    ]
    result = _result(trials)
    again = TuneResult.from_dict(result.to_dict())
    assert again == result
    assert again.reading((5, 6)) == result.reading((5, 6))
    assert TuneResult.merged(result.config, [_result(trials[:6]), _result(trials[6:])]).trials == trials


def test_over_several_pairs_the_reading_counts_the_pairs_whose_verdict_the_budget_changes() -> None:
    trials = []
    for pair, tuned_gain, one_shot_gain in (((5, 6), 0.05, -0.05), ((0, 2), -0.04, -0.04)):
        for seed, wobble in ((1, 0.0), (2, 0.004), (3, -0.003)):
            for arm, gain in ((SCRATCH, 0.0), (TRANSFER, tuned_gain)):
                for number in range(2):
                    test = 0.80 + gain + wobble + 0.001 * number + (0.002 * seed if arm == TRANSFER else 0.0)
                    trials.append(Trial(arm, number, pair, seed, {}, 0.8 + 0.01 * number, test, 2))
                shot = 0.80 + wobble + (one_shot_gain + 0.002 * seed if arm == TRANSFER else 0.0)
                trials.append(Trial(arm, ONE_SHOT, pair, seed, {}, 0.5, shot, None))
    config = {"tune": {"budget": 2, "arms": [SCRATCH, TRANSFER]}}
    accuracy_a = {f"{a}-{b}:{seed}": 0.9 for a, b in ((5, 6), (0, 2)) for seed in (1, 2, 3)}
    result = TuneResult(config, trials, "finished", "CPU", 1000, accuracy_a)
    assert result.map_reading() == [  # pooled first, then pair by pair, uncorrected and after Holm
        "Over 2 pairs, B on A minus B from scratch at 2 trials per arm: mean +0.90 points (no interval over fewer "
        "than 5 pairs), IQM +0.90; probability of improvement 0.50; Wilcoxon over the pairs' means p = 1.",
        "Over 2 pairs, B on A minus B from scratch one shot (the notebook's): mean -4.10 points (no interval over "
        "fewer than 5 pairs), IQM -4.10; probability of improvement 0.00; Wilcoxon over the pairs' means p = 0.5.",
        "Pair by pair at 2 trials per arm (each pair's own 95% interval, uncorrected): transfer ahead in 1, behind "
        "in 1, equivalent in 0, no clear difference in 0 (the notebook's one-shot configurations: 0, 2, 0 and 0).",
        "Pair by pair, 95% intervals clear zero above in 1 and below in 1; after Holm's correction over 2 pairs, "
        "above in 1 and below in 1 (by chance alone about 0.1 of 2 would look clear uncorrected).",
        "The equal budget changes the verdict of 1 pair of 2: Sandal vs Shirt.",
    ]
    assert result.summary_line() == "2 pairs at 2 trials: mean Δ +0.90"  # the pooled mean, not a count of pairs


def test_the_budget_tables_sides_read_equivalent_inside_the_band_as_the_verdict_does() -> None:
    """Three seeds whose expected gain at every budget is +0.2, +0.3 and +0.25 points: clear of zero, yet inside
    the ±0.5-point band, so every budget reads 'equivalent', as the result's verdict (the n = budget row) does; a
    band of 0.1 points reads them 'ahead'."""
    trials = []
    for seed, gain in ((1, 0.002), (2, 0.003), (3, 0.0025)):
        for number in range(3):
            trials += [
                _trial(SCRATCH, number, seed, val=0.9 + number / 100, test=0.95),
                _trial(TRANSFER, number, seed, val=0.9 + number / 100, test=0.95 + gain),
            ]
    models_a = {f"5-6:{seed}": 0.9 for seed in (1, 2, 3)}
    result = TuneResult({"tune": {"budget": 3, "arms": [SCRATCH, TRANSFER]}}, trials, "finished", "CPU", 1000, models_a)
    assert [result.side_at((5, 6), n) for n in (1, 2, 3)] == ["equivalent"] * 3
    assert result.summary((5, 6)).side == "equivalent" == result.side_at((5, 6), result.budget)
    narrow = TuneResult({**result.config, "stats": {"rope_points": 0.1}}, trials, "finished", "CPU", 1000, models_a)
    assert [narrow.side_at((5, 6), n) for n in (1, 3)] == ["ahead", "ahead"] and narrow.summary((5, 6)).side == "ahead"
