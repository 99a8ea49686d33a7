"""The optimizer leaderboard: a fair race (same start, same data order), honest ranking, divergence shown."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from engine.config import apply_overrides
from engine.data.fashion_mnist import Dataset
from engine.data.split import make_tasks
from engine.errors import ConfigError
from engine.progress import EpochDone, RunPlanned
from engine.results.exports import export_text
from engine.results.leaderboard import LeaderboardResult, OptimizerEntry, chance_of, ranked, row_of
from engine.runtime import keras
from engine.studies.leaderboard import plan_leaderboard, run_leaderboard
from engine.training.seeding import model_seed
from tests.conftest import tiny_config
from tests.notebook_oracle import b_on_a_start, dense_network, fit, notebook_optimizer, train_model_a


def board_config(*overrides: str):
    return apply_overrides(
        tiny_config(),
        [
            "run.seeds=[1, 2]",
            "network.hidden=[256, 256, 256]",
            "leaderboard.epochs=2",
            "leaderboard.target_accuracy=0.3",
            "leaderboard.optimizers=['sgd', 'adam', 'momentum']",
            "leaderboard.hyperparameters.sgd.learning_rate=10.0",  # far too large: sgd must diverge
            *overrides,
        ],
    )


@pytest.fixture(scope="module")
def raced(small_dataset: Dataset):
    events = []
    return run_leaderboard(board_config(), small_dataset, listener=events.append), events


def test_a_huge_learning_rate_shows_as_diverged_not_a_crash(raced) -> None:
    result, _ = raced
    assert result.status == "finished"
    sgd = next(entry for entry in result.entries if entry.name == "sgd")
    assert sgd.status == "diverged" and sgd.diverged_seeds == [1, 2]
    row = row_of(sgd, result.target, chance_of("a"))
    # every seed diverged: each counts at chance on task A's 8 classes (12.5%, loss ln 8), never vanishes
    assert row.status == "diverged" and row.best_val_accuracy == (0.125, 0.0) and row.seeds_counted == 2
    assert row.final_val_loss[0] == pytest.approx(math.log(8)) and row.seeds_reaching_target == 0
    assert [row.optimizer for row in ranked(result.rows())][-1] == "sgd"  # at chance: last
    assert [row.optimizer for row in ranked(result.rows(), "loss")][-1] == "sgd"
    assert [row.optimizer for row in ranked(result.rows(), "target")][-1] == "sgd"  # never reached: last


def test_epochs_to_target_ranks_how_many_seeds_reached_it_first() -> None:
    """AlgoPerf's rule: an optimizer that reached the target in 1 epoch in 1 of 3 seeds does not outrank one
    that reached it in 3 epochs in all 3; a diverged seed counts at chance and does not reach it."""
    once = OptimizerEntry(
        "once", {}, {s: {"val_accuracy": [0.9 if s == 1 else 0.5], "val_loss": [0.3]} for s in (1, 2, 3)}
    )
    always = OptimizerEntry(
        "always", {}, {s: {"val_accuracy": [0.6, 0.7, 0.86], "val_loss": [0.4, 0.3, 0.2]} for s in (1, 2, 3)}
    )
    broke = OptimizerEntry(
        "broke",
        {},
        {
            1: {"val_accuracy": [0.9], "val_loss": [0.3]},
            2: {"val_accuracy": [float("nan")], "val_loss": [float("nan")]},
        },
        diverged_seeds=[2],
    )
    rows = [row_of(entry, 0.85, chance_of("b_scratch")) for entry in (once, always, broke)]
    assert [(r.seeds_reaching_target, r.epochs_to_target) for r in rows] == [(1, 1.0), (3, 3.0), (1, 1.0)]
    assert next(r.optimizer for r in ranked(rows, "target")) == "always"
    assert rows[2].best_val_accuracy[0] == pytest.approx((0.9 + 0.5) / 2) and rows[2].seeds_counted == 2


def test_ranking_follows_the_metric(raced) -> None:
    result, _ = raced
    rows = [row for row in result.rows() if row.best_val_accuracy[0] is not None]
    best = [row.best_val_accuracy[0] for row in ranked(rows, "best")]
    assert best == sorted(best, reverse=True)
    losses = [row.final_val_loss[0] for row in ranked(rows, "loss")]
    assert losses == sorted(losses)
    assert [r.optimizer for r in ranked(rows, "best", reverse=True)] == [r.optimizer for r in ranked(rows, "best")][
        ::-1
    ]
    names = [r.optimizer for r in ranked(result.rows(), "name")]
    assert names == ["adam", "momentum", "sgd"]


def test_every_optimizer_starts_equal_and_sees_the_same_data(raced) -> None:
    result, events = raced
    plan = events[0].plan
    assert isinstance(events[0], RunPlanned)
    assert [(p.optimizer, p.seeds, p.epochs, p.phase) for p in plan] == [
        ("sgd", (1, 2), 2, "model_a"),
        ("adam", (1, 2), 2, "model_a"),
        ("momentum", (1, 2), 2, "model_a"),
    ]
    # one epoch row per optimizer, seed and epoch (a diverged seed stops reporting)
    reported = {(plan[e.index].optimizer, e.seed, e.epoch) for e in events if isinstance(e, EpochDone)}
    assert {("adam", 1, 2), ("adam", 2, 2), ("momentum", 1, 2), ("momentum", 2, 2)} <= reported
    adam = next(entry for entry in result.entries if entry.name == "adam")
    assert all(len(history["val_accuracy"]) == 2 for history in adam.histories.values())


def test_same_seeds_same_table(small_dataset: Dataset, raced) -> None:
    first, _ = raced
    again = run_leaderboard(board_config(), small_dataset)
    for a, b in zip(first.rows(), again.rows(), strict=True):
        assert (a.optimizer, a.status, a.best_val_accuracy, a.final_val_loss, a.epochs_to_target) == (
            b.optimizer,
            b.status,
            b.best_val_accuracy,
            b.final_val_loss,
            b.epochs_to_target,
        )


def test_one_optimizer_alone_matches_its_row_in_the_race(small_dataset: Dataset, raced) -> None:
    """Same initial weights and data order per seed: adam's numbers do not depend on who else raced."""
    first, _ = raced
    alone = run_leaderboard(board_config("leaderboard.optimizers=['adam']"), small_dataset)
    in_race = next(entry for entry in first.entries if entry.name == "adam")
    for seed in (1, 2):
        np.testing.assert_allclose(alone.entries[0].histories[seed]["val_loss"], in_race.histories[seed]["val_loss"])


def test_round_trip_and_exports(raced, tmp_path: Path) -> None:
    result, _ = raced
    data = json.loads(export_text(result, "json"))
    assert [item["name"] for item in data["optimizers"]] == ["sgd", "adam", "momentum"]
    assert len(data["optimizers"][1]["histories"]["1"]["val_loss"]) == 2
    restored = LeaderboardResult.from_dict(data)
    assert [row.optimizer for row in ranked(restored.rows())] == [row.optimizer for row in ranked(result.rows())]
    csv_lines = export_text(result, "csv").splitlines()
    assert csv_lines[0].startswith("rank,optimizer,status,best_val_accuracy_mean")
    assert csv_lines[-1].startswith("3,sgd,diverged,")
    markdown = export_text(result, "md")
    assert markdown.startswith("# Optimizer leaderboard: task A (8 classes)")
    assert "| 3 | sgd | diverged |" in markdown
    with pytest.raises(ConfigError, match="export format must be one of csv, json, md"):
        export_text(result, "xlsx")


def test_partly_diverged_optimizer() -> None:
    entry = OptimizerEntry("adam", {}, status="finished", diverged_seeds=[2])
    entry.histories = {
        1: {"val_accuracy": [0.5, 0.9], "val_loss": [1.0, 0.4]},
        2: {"val_accuracy": [0.4, math.nan], "val_loss": [1.2, math.nan]},
        3: {"val_accuracy": [0.6, 0.7], "val_loss": [0.9, 0.8]},
    }
    entry.epoch_seconds = [1.0, 3.0]
    row = row_of(entry, target=0.85)
    assert row.status == "diverged 1/3"
    # seed 2 diverged: it counts at task A's chance, 12.5% (its last finite 40% is no result)
    assert row.best_val_accuracy[0] == pytest.approx((0.9 + 0.125 + 0.7) / 3) and row.seeds_counted == 3
    assert (row.epochs_to_target, row.seeds_reaching_target) == (2.0, 1)
    assert row.seconds_per_epoch == 2.0


def test_leaderboard_config_is_checked() -> None:
    with pytest.raises(ConfigError, match=r"leaderboard\.optimizers must be one of sgd"):
        apply_overrides(tiny_config(), ["leaderboard.optimizers=['adam', 'lion']"])
    with pytest.raises(ConfigError, match=r"leaderboard\.hyperparameters\.adam has no .momentum."):
        apply_overrides(tiny_config(), ["leaderboard.hyperparameters.adam.momentum=0.9"])
    with pytest.raises(ConfigError, match=r"leaderboard.hyperparameters.rmsprop.rho must be a number in \[0.0, 1.0\]"):
        apply_overrides(tiny_config(), ["leaderboard.hyperparameters.rmsprop.rho=1.5"])
    with pytest.raises(ConfigError, match="names an unknown optimizer 'lion'"):
        apply_overrides(tiny_config(), ["leaderboard.hyperparameters.lion.learning_rate=0.1"])
    with pytest.raises(ConfigError, match=r"leaderboard\.task must be one of a, b_scratch, b_on_a"):
        apply_overrides(tiny_config(), ["leaderboard.task=c"])
    kept = apply_overrides(tiny_config(), ["leaderboard.hyperparameters.adam.learning_rate=0.01"])
    assert kept.leaderboard.hyperparameters["adam"] == {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999}
    assert kept.leaderboard.hyperparameters["nesterov"] == {"learning_rate": 0.001, "momentum": 0.9, "nesterov": True}


def test_plan_for_b_on_a_trains_model_a_first() -> None:
    config = board_config("leaderboard.task=b_on_a")
    plan = plan_leaderboard(config, {(5, 6): (480, 50)}, n_full=600)
    assert [(p.phase, p.optimizer) for p in plan] == [
        ("model_a", None),
        ("b_finetune", "sgd"),
        ("b_finetune", "adam"),
        ("b_finetune", "momentum"),
    ]


def race_oracle(config, tasks, seed: int, name: str, hyperparameters: dict) -> list[float]:
    """The validation losses plain Keras gets on the race's task, from the start the race promises."""
    board = config.leaderboard
    if board.task == "a":
        keras.utils.set_random_seed(model_seed(seed, "model_a"))
        model, data, loss, phase = (
            dense_network(config.network, 8, "softmax"),
            tasks.a,
            "sparse_categorical_crossentropy",
            "model_a",
        )
    elif board.task == "b_scratch":
        keras.utils.set_random_seed(model_seed(seed, "b_scratch"))
        model, data, loss, phase = (
            dense_network(config.network, 1, "sigmoid"),
            tasks.b,
            "binary_crossentropy",
            "b_scratch",
        )
    else:  # B on A: model A trained with [train_a]'s settings, then the notebook's clone with a new head
        model_a, _ = train_model_a(config, tasks, seed)
        model, data, loss, phase = b_on_a_start(model_a, seed), tasks.b, "binary_crossentropy", "b_finetune"
    rest = dict(hyperparameters)
    learning_rate = rest.pop("learning_rate")
    model.compile(loss=loss, optimizer=notebook_optimizer(name, learning_rate, **rest), metrics=["accuracy"])
    return fit(model, data, seed=seed, phase=phase, epochs=board.epochs, batch_size=config.run.batch_size)["val_loss"]


@pytest.mark.parametrize("task", ["b_scratch", "b_on_a"])
def test_task_b_leaderboards_start_where_they_say(small_dataset: Dataset, task: str) -> None:
    """B from scratch starts from the scratch baseline's weights; B on A from each seed's trained model A."""
    config = board_config(
        f"leaderboard.task={task}", "leaderboard.optimizers=['momentum', 'adam']", "network.hidden=[16]"
    )
    result = run_leaderboard(config, small_dataset)
    assert [entry.status for entry in result.entries] == ["finished", "finished"]
    tasks = make_tasks(small_dataset, config.split, 0)
    for entry in result.entries:
        for seed in (1, 2):
            expected = race_oracle(config, tasks, seed, entry.name, entry.hyperparameters)
            np.testing.assert_allclose(entry.histories[seed]["val_loss"], expected, rtol=1e-4, atol=1e-5)


def test_momentum_zero_races_exactly_like_sgd(small_dataset: Dataset) -> None:
    config = board_config(
        "leaderboard.optimizers=['sgd', 'momentum']",
        "leaderboard.hyperparameters.sgd.learning_rate=0.01",
        "leaderboard.hyperparameters.momentum.learning_rate=0.01",
        "leaderboard.hyperparameters.momentum.momentum=0.0",
    )
    sgd, momentum = run_leaderboard(config, small_dataset).entries
    assert sgd.status == momentum.status == "finished"
    for seed in (1, 2):
        for metric in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert sgd.histories[seed][metric] == momentum.histories[seed][metric]


# one hyperparameter besides the learning rate (the notebook's 1e-3) set away from its default, per optimizer
NON_DEFAULT = {
    "sgd": {"learning_rate": 0.02},  # SGD has no other
    "momentum": {"momentum": 0.5},
    "nesterov": {"momentum": 0.6},
    "adagrad": {"initial_accumulator_value": 1.0},
    "rmsprop": {"rho": 0.5},
    "adam": {"beta_1": 0.5},
    "adamax": {"beta_1": 0.5},
    "nadam": {"beta_1": 0.5},
    "adamw": {"weight_decay": 0.5},
}


@pytest.fixture(scope="module")
def every_optimizer_raced(small_dataset: Dataset):
    settings = [
        f"leaderboard.hyperparameters.{name}.{key}={value}"
        for name, values in NON_DEFAULT.items()
        for key, value in values.items()
    ]
    config = board_config(
        f"leaderboard.optimizers={list(NON_DEFAULT)}", "network.hidden=[32, 16]", "run.seeds=[1]", *settings
    )
    return config, {entry.name: entry for entry in run_leaderboard(config, small_dataset).entries}


@pytest.mark.parametrize("name", list(NON_DEFAULT))
def test_every_hyperparameter_reaches_its_optimizer(small_dataset: Dataset, every_optimizer_raced, name: str) -> None:
    """Each raced optimizer matches plain Keras given the same hyperparameters, and not plain Keras without
    the changed one: so the value in the config is the value the optimizer used."""
    config, entries = every_optimizer_raced
    tasks = make_tasks(small_dataset, config.split, 0)
    got = np.array(entries[name].histories[1]["val_loss"])
    given = config.leaderboard.hyperparameters[name]
    with_it = np.abs(got - race_oracle(config, tasks, 1, name, given)).max()
    without_it = np.abs(got - race_oracle(config, tasks, 1, name, {"learning_rate": 0.001})).max()
    assert with_it < 1e-5, with_it
    assert without_it > 1000 * max(with_it, 1e-6), (with_it, without_it)


def test_at_an_equal_budget_each_optimizer_gets_the_same_trials_and_the_one_shot_race_stays(
    small_dataset: Dataset,
) -> None:
    from engine.config.search import draws_seed, optimizer_space, optimizer_trials

    config = apply_overrides(
        tiny_config(),
        ["run.seeds=[1, 2]", 'leaderboard.optimizers=["sgd", "momentum", "adam"]', "leaderboard.epochs=2"],
    )
    one_shot = run_leaderboard(config, small_dataset)
    tuned_config = apply_overrides(config, ["leaderboard.budget=3"])
    tuned = run_leaderboard(tuned_config, small_dataset)
    for alone, beside in zip(one_shot.entries, tuned.entries, strict=True):  # the race itself is unchanged
        assert alone.histories.keys() == beside.histories.keys()
        for seed in alone.histories:
            assert alone.histories[seed]["val_loss"] == beside.histories[seed]["val_loss"]
    rates = {
        s: [v["learning_rate"] for v in optimizer_trials("sgd", False, 3, draws_seed(0, "per_seed", s))] for s in (1, 2)
    }
    assert rates[1] != rates[2]
    for entry in tuned.entries:
        assert len(entry.trials) == 3 * 2 and {t["seed"] for t in entry.trials} == {1, 2}
        # every optimizer gets the same learning rates, each seed its own trials
        assert [t["values"]["learning_rate"] for t in entry.trials if t["seed"] == 1] == rates[1]
        assert [t["values"]["learning_rate"] for t in entry.trials if t["seed"] == 2] == rates[2]
        assert all(1 <= t["best_epoch"] <= 2 and 0 <= t["test_accuracy"] <= 1 for t in entry.trials)
    momentum = next(entry for entry in tuned.entries if entry.name == "momentum")
    assert all(1e-3 <= t["values"]["one_minus_momentum"] <= 0.3 for t in momentum.trials)
    # the ranking reads the validation pick: with every trial drawn, each seed's best validation trial's test
    expected = tuned.expected_at(3)  # every trial drawn (without replacement): the pick itself
    for entry in tuned.entries:
        picks = []
        for seed in (1, 2):
            trials = [t for t in entry.trials if t["seed"] == seed]
            score = [0.0 if t["diverged"] else t["val_accuracy"] for t in trials]
            tied = [t["test_accuracy"] for t, s in zip(trials, score, strict=True) if s == max(score)]
            picks.append(sum(tied) / len(tied))  # trials tied on validation count alike
        assert expected[entry.name][1] == pytest.approx(sum(picks) / 2, abs=1e-6)
    assert tuned.budget_budgets() == [1, 3]
    # the ranks at n = budget carry their interval over resampled seeds; with one seed, none
    intervals = tuned.rank_intervals()
    assert set(intervals) == {"sgd", "momentum", "adam"}
    assert all(low <= rank <= high for rank, low, high in intervals.values())
    from tui.render.runs import budget_table

    assert "its 95% interval over resampled seeds at n = 3" in str(budget_table(tuned).caption)
    one_seed = dataclasses.replace(tuned, entries=[_only_seed(entry, 1) for entry in tuned.entries])
    assert one_seed.rank_intervals() == {}
    assert LeaderboardResult.from_dict(json.loads(json.dumps(tuned.to_dict()))).entries == tuned.entries
    assert any(line.startswith("At an equal budget (3 trials") for line in tuned.budget_reading())
    from rich.console import Console

    from tui.render.runs import leaderboard_report

    console = Console(width=100, record=True)
    for part in leaderboard_report(tuned):
        console.print(part)
    assert "validation pick of n of 3 trials" in " ".join(console.export_text().split())
    extended = apply_overrides(tuned_config, ['leaderboard.space="extended"'])
    assert "epsilon" in optimizer_space("adam", extended.leaderboard.space == "extended")
    assert "epsilon" not in optimizer_space("sgd", True)


def _only_seed(entry: OptimizerEntry, seed: int) -> OptimizerEntry:
    """An optimizer's race as if only `seed` had run."""
    trials = [trial for trial in entry.trials if trial["seed"] == seed]
    return dataclasses.replace(entry, histories={seed: entry.histories[seed]}, trials=trials)
