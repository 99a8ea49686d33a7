"""The optimizer race over several tasks: which tasks it runs, that each task's numbers are the single-task
leaderboard's, and its reading over tasks (average ranks, Friedman, Nemenyi's CD, rank intervals, the performance
profile), checked against Demšar 2006 and against hand-made scores."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from engine.config import ExperimentConfig, apply_overrides, config_to_dict
from engine.config.race import race_tasks, task_config
from engine.data.fashion_mnist import Dataset
from engine.errors import ConfigError
from engine.execution.tracking import run_tracked
from engine.kinds import LEADERBOARD, RACE, RunOptions, kind_for
from engine.progress import PartDone, StopToken
from engine.results import stats
from engine.results.leaderboard import LeaderboardResult, OptimizerEntry
from engine.results.race import RaceResult
from tests.conftest import tiny_config

RACE_SETTINGS = [
    "run.seeds=[1, 2]",
    'leaderboard.optimizers=["sgd", "adam", "rmsprop"]',
    "leaderboard.epochs=2",
    "leaderboard.target_accuracy=0.6",
    "split.extra_pairs=[[0, 2]]",
]


def test_several_pairs_race_over_task_a_all_ten_classes_and_b_per_pair() -> None:
    config = apply_overrides(ExperimentConfig(), ["split.extra_pairs=[[0, 2], [1, 7]]"])
    assert race_tasks(config) == [
        ("a", (5, 6)),
        ("full", (5, 6)),
        ("b_scratch", (5, 6)),
        ("b_scratch", (0, 2)),
        ("b_scratch", (1, 7)),
    ]
    assert kind_for(config, "leaderboard") is RACE and kind_for(ExperimentConfig(), "leaderboard") is LEADERBOARD
    on_a = apply_overrides(config, ["leaderboard.task='b_on_a'"])
    assert [name for name, _ in race_tasks(on_a)] == ["a", "full", "b_on_a", "b_on_a", "b_on_a"]
    chosen = apply_overrides(ExperimentConfig(), ["leaderboard.tasks=['a', 'b_scratch']"])
    assert race_tasks(chosen) == [("a", (5, 6)), ("b_scratch", (5, 6))] and kind_for(chosen, "leaderboard") is RACE
    one = task_config(config, ("b_scratch", (0, 2)))
    assert (one.leaderboard.task, one.split.pairs, race_tasks(one)) == ("b_scratch", [(0, 2)], [("b_scratch", (0, 2))])
    with pytest.raises(ConfigError, match=r"leaderboard\.tasks must not repeat a task"):
        apply_overrides(ExperimentConfig(), ["leaderboard.tasks=['a', 'a']"])


def test_each_task_of_a_race_gives_the_single_task_leaderboards_numbers(small_dataset: Dataset) -> None:
    from engine.studies.leaderboard import run_leaderboard
    from engine.studies.race import run_race

    config = apply_overrides(tiny_config(), [*RACE_SETTINGS, "leaderboard.tasks=['a', 'b_scratch']"])
    parts = []
    result = run_race(config, small_dataset, listener=lambda e: parts.append(e) if isinstance(e, PartDone) else None)
    assert result.status == "finished" and result.titles == [
        "task A (8 classes)",
        "B from scratch: Sandal vs Shirt",
        "B from scratch: T-shirt/top vs Pullover",
    ]
    assert [len(part.result.races) for part in parts] == [1, 2, 3]
    for task, race in zip(race_tasks(config), result.races, strict=True):
        alone = run_leaderboard(task_config(config, task), small_dataset)
        for mine, its in zip(race.entries, alone.entries, strict=True):
            assert _untimed(mine.histories) == _untimed(its.histories), task
    again = RaceResult.from_dict(result.to_dict())
    assert again.titles == result.titles and again.task_means() == result.task_means()
    reading = result.reading()
    assert reading is not None and reading.tasks == 3 and sorted(reading.optimizers) == ["adam", "rmsprop", "sgd"]
    assert sum(reading.average_ranks) == pytest.approx(6.0)  # ranks 1..3 on every task


def test_a_race_runs_as_its_own_kind_and_names_the_tasks_as_a_source_of_variance(
    small_dataset: Dataset, isolated_home: Path
) -> None:
    from engine.kinds import variance_line

    config = apply_overrides(tiny_config(), [*RACE_SETTINGS, "leaderboard.tasks=['b_scratch']"])
    kind = kind_for(config, "leaderboard")
    assert kind is RACE
    result = run_tracked(kind, config, small_dataset, isolated_home / "r1", lambda _e: None, StopToken(), RunOptions())
    assert isinstance(result, RaceResult) and len(result.races) == 2
    assert result.settings.split.b_sample == "random"  # over pairs: B's images drawn per seed
    assert "the task (over 2 tasks)" in variance_line(result)
    rows = result.export_rows()
    assert len(rows) == 2 * 3 and {row["task"] for row in rows} == set(result.titles)


def test_demsars_worked_example_through_the_race_reading() -> None:
    """Demšar 2006, section 3.2.2: four methods over 14 data sets with average ranks 3.143, 2.000, 2.893, 1.964
    give chi-square 9.28, F 3.69 and a critical difference of 1.25 at 95%. Scores made to rank as his (ties
    included): the race's reading, from scores, gives the paper's numbers."""
    ranks = [
        (3.5, 2, 3.5, 1), (3, 1, 4, 2), (3, 1, 4, 2), (3, 1.5, 4, 1.5), (3.5, 1, 3.5, 2), (4, 3, 2, 1), (2, 1, 3, 4),
        (1, 2, 3.5, 3.5), (4, 1, 2, 3), (4, 3, 2, 1), (4, 2, 1, 3), (2, 4, 3, 1), (4, 1.5, 3, 1.5), (3, 4, 2, 1),
    ]  # fmt: skip
    names = ("sgd", "momentum", "nesterov", "adagrad")  # Demšar's C4.5, C4.5+m, C4.5+cf, C4.5+m+cf
    result = _race_of([{name: [0.9 - rank / 100] for name, rank in zip(names, row, strict=True)} for row in ranks])
    reading = result.reading()
    assert [round(rank, 3) for rank in reading.average_ranks] == [3.143, 2.0, 2.893, 1.964]
    assert round(reading.chi_square, 2) == 9.28 and round(reading.f, 2) == 3.69
    assert round(reading.cd, 2) == 1.25 and reading.p_value < 0.05
    # D (1.964) and A (3.143) differ by 1.179 < 1.25: the post-hoc test cannot tell any two apart, as in the paper
    assert reading.groups == [["adagrad", "momentum", "nesterov", "sgd"]]
    words = " ".join(reading.sentences())
    assert "The ranks differ by more than chance would give" in words and "{adagrad, momentum, nesterov, sgd}" in words


def test_the_rank_intervals_resample_the_seeds_and_are_reproducible() -> None:
    # a clearly best optimizer, and two that swap places from seed to seed
    scores = [[0.95, 0.80, 0.81], [0.96, 0.82, 0.80], [0.94, 0.79, 0.80], [0.95, 0.81, 0.79]]
    intervals = stats.rank_intervals(scores)
    assert intervals == stats.rank_intervals(scores)
    assert intervals[0] == (1.0, 1.0, 1.0)
    assert intervals[1][1] == 2.0 and intervals[1][2] == 3.0 and intervals[2][1] == 2.0 and intervals[2][2] == 3.0
    result = _race_of([{"adam": [0.95, 0.96], "sgd": [0.80, 0.82]}, {"adam": [0.9, 0.9], "sgd": [0.9, 0.9]}])
    assert result.task_ranks()[0]["adam"] == (1.0, 1.0, 1.0) and result.task_ranks()[1]["adam"] == (1.5, 1.5, 1.5)


def test_a_diverged_seed_lowers_an_optimizers_task_score_instead_of_vanishing() -> None:
    result = _race_of([{"sgd": [0.90, 0.90], "adam": [0.91, math.nan]}], task="a")
    means = result.task_means()[0]
    assert means["adam"] == pytest.approx((0.91 + 1 / 8) / 2)  # the diverged seed at chance, 1 of 8 classes


def test_the_performance_profile_counts_a_miss_as_never() -> None:
    profile = stats.performance_profile([[2, 4, math.inf], [3, 3, 6], [math.inf, math.inf, math.inf]], (1, 2, 4))
    assert profile == [[2 / 3, 2 / 3, 2 / 3], [1 / 3, 2 / 3, 2 / 3], [0.0, 1 / 3, 1 / 3]]
    result = _race_of([{"sgd": [0.5, 0.7], "adam": [0.7, 0.7]}])
    assert result.races[0].epochs_to_target() == {"sgd": math.inf, "adam": 2.0}  # sgd: 1 of 2 seeds got there
    assert result.profile() == {"sgd": [0.0] * 4, "adam": [1.0] * 4}


def test_friedman_with_every_task_agreeing_is_certain_not_a_division_by_zero() -> None:
    chi_square, f, p = stats.friedman([1.0, 2.0, 3.0], tasks=5)
    assert chi_square == pytest.approx(10.0) and f == math.inf and p == 0.0


def _untimed(histories: dict) -> dict:
    return {seed: {k: v for k, v in h.items() if k != "seconds"} for seed, h in histories.items()}


def _race_of(tasks: list[dict[str, list[float]]], task: str = "b_scratch") -> RaceResult:
    """A race made by hand: per task, each optimizer's per-seed score (NaN: that seed diverged), written as
    one-shot histories whose best validation accuracy is the score, reaching it at epoch 2."""
    names = list(tasks[0])
    config = apply_overrides(
        ExperimentConfig(),
        [f"leaderboard.optimizers={names!r}", f"leaderboard.tasks=[{task!r}]", "leaderboard.target_accuracy=0.6"],
    )
    races = []
    for scores in tasks:
        entries = []
        for name, values in scores.items():
            entry = OptimizerEntry(name, {})
            for seed, value in enumerate(values, start=1):
                if math.isnan(value):
                    entry.diverged_seeds.append(seed)
                    entry.histories[seed] = {"val_accuracy": [0.5, math.nan], "val_loss": [1.0, math.nan]}
                else:
                    entry.histories[seed] = {"val_accuracy": [value / 2, value], "val_loss": [1.0, 0.5]}
            entries.append(entry)
        own = config_to_dict(apply_overrides(config, [f"leaderboard.task={task!r}", "leaderboard.tasks=[]"]))
        races.append(LeaderboardResult(own, entries, "finished", "CPU"))
    return RaceResult(config_to_dict(config), races, "finished", "CPU")


def test_a_race_cut_into_units_a_task_each_merges_to_the_whole_race(small_dataset: Dataset) -> None:
    from engine.studies import race

    config = apply_overrides(tiny_config(), [*RACE_SETTINGS, "leaderboard.tasks=['full', 'b_scratch']"])
    whole = race.run_race(config, small_dataset)
    units = race.cut_kind(config, workers=8)
    assert [race_tasks(unit) for unit, _ in units] == [[task] for task in race_tasks(config)]
    # each unit's plan is the whole plan's share for its task, entry for entry (the driver maps them by position)
    assert [entry for unit, _ in units for entry in race.plan_race(unit, small_dataset)] == race.plan_race(
        config, small_dataset
    )
    parts = [race.run_race(unit, small_dataset) for unit, _ in reversed(units)]  # any order
    merged = RaceResult.merged(config_to_dict(config), parts)
    assert merged.titles == whole.titles and merged.status == "finished"
    for mine, its in zip(merged.races, whole.races, strict=True):
        for a, b in zip(mine.entries, its.entries, strict=True):
            assert _untimed(a.histories) == _untimed(b.histories)
    assert merged.reading() == whole.reading()


def test_at_an_equal_budget_a_task_scores_each_seeds_validation_pick(small_dataset: Dataset) -> None:
    from engine.results.budget import tied_pick
    from engine.studies.race import run_race

    config = apply_overrides(tiny_config(), [*RACE_SETTINGS, "leaderboard.tasks=['b_scratch']", "leaderboard.budget=3"])
    result = run_race(config, small_dataset)
    for race, means in zip(result.races, result.task_means(), strict=True):
        for entry in race.entries:
            picks = []
            for seed in (1, 2):
                trials = sorted((t for t in entry.trials if t["seed"] == seed), key=lambda t: t["number"])
                picking = [0.0 if t["diverged"] else t["val_accuracy"] for t in trials]
                picks.append(tied_pick(picking, [t["test_accuracy"] for t in trials]))
            assert means[entry.name] == pytest.approx(sum(picks) / 2)
    assert "Score: test accuracy of the validation pick" in result.export_heading()
