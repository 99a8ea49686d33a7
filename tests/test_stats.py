"""The statistics every reading goes through, against scipy, worked examples and simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from engine.results import stats


def test_a_zero_width_interval_is_no_interval() -> None:
    """Two seeds with the same difference (accuracy moves in 0.05-point steps) show no spread: that is unseen,
    not zero, so there is no interval and no p-value to read as certainty."""
    assert stats.interval_95([0.0005, 0.0005]) is None and stats.t_p_value([0.0005, 0.0005]) is None
    assert stats.interval_95([0.01]) is None
    assert stats.interval_95([0.0005, 0.001]) is not None


def test_the_t_p_value_and_interval_agree_with_scipy() -> None:
    values = [0.011, 0.012, 0.009, -0.002]
    expected = scipy_stats.ttest_1samp(values, 0.0)
    assert stats.t_p_value(values) == pytest.approx(expected.pvalue)
    assert stats.interval_95(values) == pytest.approx(tuple(expected.confidence_interval(0.95)))


def test_the_sign_flip_p_value_is_exact() -> None:
    """Every sign pattern of 3 seeds: the largest |mean| is reached by 2 of the 8 patterns, so p = 0.25."""
    assert stats.sign_flip_p([0.011, 0.012, 0.009]) == pytest.approx(0.25)
    assert stats.sign_flip_p([0.01, 0.02, 0.03, 0.04, 0.05]) == pytest.approx(2 / 32)
    assert stats.sign_flip_p([0.01, -0.01]) == pytest.approx(1.0)


def test_holm_on_a_worked_example() -> None:
    """Holm 1979: p = (0.01, 0.04, 0.03, 0.005), m = 4: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06,
    0.04 x 1 = 0.04 kept at 0.06 (monotone); only the first two stay below 0.05."""
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert stats.holm([]) == []


def test_wilcoxon_agrees_with_scipy_and_needs_two_non_zero_values() -> None:
    values = [1.0, 2.0, 3.0, -0.5, 4.0, 5.0]
    assert stats.wilcoxon_p(values) == pytest.approx(scipy_stats.wilcoxon(values).pvalue)
    assert stats.wilcoxon_p([0.0, 0.0, 1.0]) is None


def test_the_interquartile_mean() -> None:
    assert stats.iqm([1.0, 2.0, 3.0, 4.0, 100.0, -100.0, 2.5, 3.5]) == pytest.approx(2.75)


def test_the_two_level_bootstrap_is_reproducible_and_covers_the_mean() -> None:
    rng = np.random.default_rng(1)
    groups = [list(rng.normal(pair_effect, 1.0, size=3)) for pair_effect in rng.normal(2.0, 1.0, size=20)]
    first = stats.two_level_bootstrap(groups)
    assert first == stats.two_level_bootstrap(groups)  # seeded: the same reading each time
    grand = np.mean([np.mean(group) for group in groups])
    assert first[0] < grand < first[1]
    # resampling seeds as well as pairs makes it wider than resampling the pairs' means alone
    one_level = scipy_stats.bootstrap(([np.mean(g) for g in groups],), np.mean, method="percentile", random_state=0)
    assert first[1] - first[0] > 0.9 * (one_level.confidence_interval.high - one_level.confidence_interval.low)
    assert stats.two_level_bootstrap([[1.0, 2.0]]) is None


def test_holm_over_a_map_of_pure_noise_flags_a_pair_in_about_5_percent_of_maps() -> None:
    """45 pairs x 3 seeds of pure noise, 2,000 maps: uncorrected per-pair 95% intervals flag at least one pair in
    about 90% of maps (2.25 on average); after Holm, in about 5% at most."""
    rng = np.random.default_rng(2026)
    maps = rng.normal(0.0, 1.0, size=(2000, 45, 3))
    p_values = scipy_stats.ttest_1samp(maps, 0.0, axis=2).pvalue
    uncorrected = (p_values < 0.05).sum(axis=1)
    assert 0.85 < (uncorrected > 0).mean() < 0.95 and 2.0 < uncorrected.mean() < 2.5
    flagged = np.mean([min(stats.holm(list(row))) < 0.05 for row in p_values])
    assert flagged <= 0.065


def test_the_pooled_reading_finds_a_true_shift_of_one_point() -> None:
    """Maps whose pairs move by +1 point on average (seed noise 2 points, pair to pair 1 point): too small for a
    pair alone, found over 45 pairs together in nearly every map; after Holm, a pair alone almost never."""
    rng = np.random.default_rng(7)
    found = wilcoxon_found = pairs_flagged = 0
    for _ in range(100):
        groups = [list(rng.normal(effect, 2.0, size=3)) for effect in rng.normal(1.0, 1.0, size=45)]
        found += stats.two_level_bootstrap(groups, resamples=2000)[0] > 0
        wilcoxon_found += stats.wilcoxon_p([np.mean(group) for group in groups]) < 0.05
        pairs_flagged += sum(p < 0.05 for p in stats.holm([stats.t_p_value(g) for g in groups]))
    assert found >= 90 and wilcoxon_found >= 90
    assert pairs_flagged / 100 < 0.5


@pytest.mark.parametrize(
    ("overrides", "kind", "varied", "fixed"),
    [
        ([], "experiment", ["initial weights", "data order"], ["B's training images (the first 200)", "the test set"]),
        (["split.b_sample='random'"], "experiment", ["B's 200 training images (drawn per seed)"], ["the test set"]),
        (["split.extra_pairs=[[0, 2]]"], "map", ["the class pair (over pairs)"], ["the validation images"]),
        (["tune.budget=8"], "tune", ["the tuning's 8 draws (drawn per seed)"], ["the test set"]),
        (["tune.draws='shared'"], "tune", ["data order"], ["the tuning's 16 draws (the same trials for every seed)"]),
        (["leaderboard.budget=4"], "leaderboard", ["the 4 draws (drawn per seed, the same for every"], ["the test"]),
        (["leaderboard.budget=4", "tune.draws='shared'"], "leaderboard", [], ["the 4 draws (the same trials for"]),
    ],
)
def test_every_reading_names_what_varied_and_what_was_held_fixed(overrides, kind, varied, fixed) -> None:
    from engine.config import ExperimentConfig, apply_overrides
    from engine.results.variance import sources_line, variance_sources

    settings = apply_overrides(ExperimentConfig(), overrides)
    line = sources_line(settings, kind)
    said_varied, said_fixed = line.split("; held fixed: ")
    assert all(source in said_varied for source in varied) and all(source in said_fixed for source in fixed)
    assert line.endswith("The intervals cover what varied, not what was held fixed.")
    if kind == "leaderboard":  # task A: no B images to name
        varied_sources, fixed_sources = variance_sources(settings, kind)
        assert not any("B's" in source for source in varied_sources + fixed_sources)


def test_every_kind_of_result_says_its_sources_in_its_report() -> None:
    """Through the one registry every report is printed by: each kind's report ends with the line."""
    from engine.kinds import KINDS
    from engine.results.experiment import ExperimentResult, SeedResult
    from engine.results.leaderboard import LeaderboardResult
    from engine.results.pair_map import MapResult
    from engine.results.race import RaceResult
    from engine.results.study import StudyResult
    from engine.results.tune import TuneResult
    from tui.kinds import result_report

    seeds = [SeedResult(s, (5, 6), 0.9, 0.9, 0.91 + 0.001 * s, {}) for s in (1, 2, 3)]
    experiment = ExperimentResult({}, seeds, "finished", "CPU")
    results = {
        "experiment": experiment,
        "map": MapResult({}, {"dense": experiment}, "finished", "CPU"),
        "study": StudyResult({}, [], {1: 0.9}, {}, "finished"),
        "tune": TuneResult({}, [], "finished", "CPU"),
        "leaderboard": LeaderboardResult({}, [], "finished", "CPU"),
        "race": RaceResult({"split": {"extra_pairs": [[0, 2]]}}, [], "finished", "CPU"),
    }
    assert set(results) == set(KINDS)
    for kind, result in results.items():
        text = str(result_report(result)[-1]) if kind != "study" else "\n".join(result.reading())
        assert "held fixed: " in text and "the test set" in text, kind


def test_a_bootstrap_over_identical_values_is_no_interval() -> None:
    assert stats.two_level_bootstrap([[0.006, 0.006]] * 5) is None


def test_friedman_and_nemenyi_on_demsars_worked_example() -> None:
    """Demšar 2006, section 3.2.2: four methods over 14 data sets, average ranks 3.143, 2.000, 2.893 and 1.964:
    chi-square 9.28, F 3.69, and at alpha = 0.05 a critical difference of 1.25 (q = 2.569)."""
    ranks = [3.143, 2.000, 2.893, 1.964]
    chi_square, f, p = stats.friedman(ranks, 14)
    assert chi_square == pytest.approx(9.28, abs=0.01) and f == pytest.approx(3.69, abs=0.01) and p < 0.05
    assert stats.nemenyi_cd(4, 14) == pytest.approx(1.25, abs=0.005)
    # 1 and 3 (ranks 2.000, 1.964) differ from 0 (3.143) by less than 1.25 only in part: 0-1 by 1.143, 0-3 by 1.179
    assert stats.cliques(ranks, stats.nemenyi_cd(4, 14)) == [[3, 1, 2, 0]]
    assert stats.cliques(ranks, 1.0) == [[3, 1, 2], [2, 0]]


def test_average_ranks_share_ties_and_agree_with_scipy_friedman() -> None:
    scores = [[0.9, 0.8, 0.8], [0.7, 0.9, 0.6], [0.95, 0.9, 0.85], [0.6, 0.7, 0.65]]
    ranks = stats.average_ranks(scores)
    assert ranks == pytest.approx([(1 + 2 + 1 + 3) / 4, (2.5 + 1 + 2 + 1) / 4, (2.5 + 3 + 3 + 2) / 4])
    # scipy corrects chi-square for ties, Demšar's rank formula does not: they agree where no task has a tie
    untied = [[0.7, 0.9, 0.6], [0.95, 0.9, 0.85], [0.6, 0.7, 0.65]]
    expected = scipy_stats.friedmanchisquare(*zip(*untied, strict=True)).statistic
    assert stats.friedman(stats.average_ranks(untied), 3)[0] == pytest.approx(expected)
