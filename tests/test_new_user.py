"""What a new user tripped over: bad input that slipped through, noise on the terminal, unreadable wording."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from engine.config import apply_overrides
from engine.config.presets import preset
from engine.data.fashion_mnist import Dataset
from engine.data.split import make_tasks
from engine.storage.store import RunStore
from tui.cli.reporter import ConsoleReporter

CLI = [sys.executable, "-m", "tui"]
TINY = ["--set", "network.hidden=[16]", "--set", "train_a.epochs=1"]
TINY += ["--set", "transfer.frozen_epochs=1", "--set", "transfer.unfrozen_epochs=1"]


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600, env=env or os.environ.copy())


def one_line_error(completed: subprocess.CompletedProcess) -> str:
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert completed.stderr.count("\n") == 1 and "Traceback" not in completed.stderr, completed.stderr
    return completed.stderr


def test_an_empty_seed_list_is_an_error() -> None:
    error = one_line_error(run_cli("run", "--seeds", ""))
    assert error.startswith("transfer-tui: error: --seeds '' is empty; give a list such as 42,1,2 or 1-10")


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("run", "--json"),
        ("leaderboard", "--json"),
        ("leaderboard", "--csv"),
        ("leaderboard", "--markdown"),
        ("bench", "--json"),
    ],
)
def test_output_files_are_checked_before_training(real_data_dir: Path, isolated_home: Path, command, option) -> None:
    completed = run_cli(command, "--data-dir", str(real_data_dir), *TINY, option, "/no/such/dir/x.out")
    error = one_line_error(completed)
    assert error == f"transfer-tui: error: {option} /no/such/dir/x.out: the folder /no/such/dir does not exist\n"
    assert completed.stdout == ""  # nothing was trained, nothing was printed
    assert not (isolated_home / "runs.sqlite").exists()


def test_a_tensorboard_folder_that_cannot_be_made_is_an_error(tmp_path: Path, real_data_dir: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    completed = run_cli("run", "--data-dir", str(real_data_dir), *TINY, "--tensorboard", str(blocker / "tb"))
    assert one_line_error(completed).startswith(f"transfer-tui: error: --tensorboard {blocker / 'tb'}: ")
    assert completed.stdout == ""


def test_an_unreadable_model_a_says_so(tmp_path: Path, real_data_dir: Path) -> None:
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(os.urandom(2048))
    completed = run_cli("run", "--data-dir", str(real_data_dir), "--model-a", str(corrupt))
    error = one_line_error(completed)
    assert f"{corrupt} is not a readable Keras model file" in error
    assert "not found" not in error.lower()


def test_tensorflow_chatter_goes_to_the_log_not_the_terminal(real_data_dir: Path, isolated_home: Path) -> None:
    # at log level 0 TensorFlow's C++ side writes to file descriptor 2 while it trains (XLA, asserts, devices)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"}
    completed = run_cli("run", "--data-dir", str(real_data_dir), "--seeds", "1,2", *TINY, "--no-save", env=env)
    assert completed.returncode == 0, completed.stderr
    assert not re.search(r"^[IWEF]\d{4} ", completed.stderr, re.MULTILINE), completed.stderr
    logged = "".join(path.read_text() for path in (isolated_home / "logs").glob("*.log"))
    assert re.search(r"^[IWEF]\d{4} .*\] ", logged, re.MULTILINE)
    # our own messages still reach the terminal
    bad = run_cli("run", "--data-dir", str(real_data_dir), "--model-a", "/nowhere/a.keras", env=env)
    assert "a.keras not found" in bad.stderr


def test_many_seeds_print_one_row_per_epoch(real_data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    seeds = ["--seeds", "1-4", "--data-dir", str(real_data_dir), *TINY, "--no-save"]
    completed = run_cli("run", *seeds, "--json", str(out))
    assert completed.returncode == 0, completed.stderr
    rows = [line for line in completed.stdout.splitlines() if re.match(r" +4 seeds ", line)]
    assert [row.split()[2:5] for row in rows][:2] == [["Model", "A", "1/1"], ["B", "on", "A,"]]
    assert len(rows) == 5  # A, frozen, fine-tune, scratch 1/2 and 2/2: one row each, not four
    mean_row = rows[0]
    losses = [s["history"]["model_a"]["loss"][0] for s in json.loads(out.read_text())["seeds"]]
    assert f"{np.mean(losses):.3f}±{np.std(losses, ddof=1):.3f}" in mean_row
    assert len(json.loads(out.read_text())["seeds"]) == 4  # the JSON keeps every seed
    every = run_cli("run", *seeds, "--rows", "all", "--no-cache")
    assert sum(bool(re.match(r" +[1-4]  Model A ", line)) for line in every.stdout.splitlines()) == 4


def test_validation_on_the_last_5000_gives_the_third_editions_b_images(real_dataset: Dataset) -> None:
    config = preset("handson-ml3")
    assert config.split.validation == "last" and preset("seed").split.validation == "first"
    # the third edition: X_train_full[:-5000] trains, then split_dataset, then the first 200 B images
    x_train, y_train = real_dataset.x_train[:-5000] / 255.0, real_dataset.y_train[:-5000]
    in_b = np.isin(y_train, [0, 2])
    expected_x, expected_y = x_train[in_b][:200], (y_train[in_b][:200] == 2).astype(np.float32)
    tasks = make_tasks(real_dataset, config.split, seed=0)
    np.testing.assert_allclose(tasks.b.x_train, expected_x, atol=1e-7)
    np.testing.assert_array_equal(tasks.b.y_train, expected_y)
    assert len(tasks.b.y_valid) == int(np.isin(real_dataset.y_train[-5000:], [0, 2]).sum())
    first = make_tasks(real_dataset, apply_overrides(config, ["split.validation='first'"]).split, seed=0)
    assert not np.array_equal(first.b.x_train, tasks.b.x_train)


def test_the_third_editions_optimizer_comparison_is_the_preset(real_data_dir: Path) -> None:
    board = preset("handson-ml3").leaderboard
    assert (board.task, board.epochs, board.optimizers) == ("full", 10, preset("seed").leaderboard.optimizers)
    assert preset("handson-ml3").network.hidden == (100, 100, 100)
    assert all(values["learning_rate"] == 1e-3 for values in board.hyperparameters.values())
    assert board.hyperparameters["momentum"]["momentum"] == 0.9 and board.hyperparameters["nesterov"]["nesterov"]
    assert board.hyperparameters["rmsprop"]["rho"] == 0.9
    for name in ("adam", "adamax", "nadam"):
        assert (board.hyperparameters[name]["beta_1"], board.hyperparameters[name]["beta_2"]) == (0.9, 0.999)
    assert board.hyperparameters["adamw"]["weight_decay"] == 1e-5


def test_a_leaderboard_on_all_ten_classes(small_dataset: Dataset, capsys: pytest.CaptureFixture) -> None:
    from engine.studies.leaderboard import run_leaderboard
    from tests.conftest import tiny_config

    config = apply_overrides(
        tiny_config(),
        ["run.seeds=[1, 2]", "leaderboard.task='full'", "leaderboard.epochs=2", "leaderboard.optimizers=['adam']"],
    )
    events = []
    with ConsoleReporter(Console(file=io.StringIO()), "all", config.leaderboard.task) as reporter:
        result = run_leaderboard(config, small_dataset, listener=lambda e: (events.append(e), reporter(e)))
    printed = capsys.readouterr().out
    assert "── All ten classes ──" in printed and " vs " not in printed, printed
    (planned,) = events[0].plan
    assert planned.steps_per_epoch == int(np.ceil((len(small_dataset.y_train) - 5_000) / 32))  # all ten classes
    (entry,) = result.entries
    assert entry.status == "finished" and all(h["val_accuracy"][-1] > 0.5 for h in entry.histories.values())
    assert result.export_heading().startswith("# Optimizer leaderboard: all ten classes")


def test_stored_runs_summarise_in_numbers(isolated_home: Path) -> None:
    from engine.results.experiment import ExperimentResult, SeedResult

    seeds = [
        SeedResult(s, (5, 6), 0.9, scratch, transfer, {}) for s, scratch, transfer in [(1, 0.98, 0.97), (2, 0.96, 0.99)]
    ]
    line = ExperimentResult({"run": {"seeds": [1, 2]}}, seeds, "finished", "CPU").summary_line()
    assert line == "Sandal vs Shirt: scratch 97.00%, B on A 98.00%, Δ +1.00 points, won 1/2"
    two_pairs = [*seeds, SeedResult(1, (0, 2), 0.9, 0.90, 0.80, {})]
    line = ExperimentResult({"run": {"seeds": [1, 2]}}, two_pairs, "finished", "CPU").summary_line()
    assert line == "2 pairs: Δ from -10.00 to +1.00 points; transfer ahead on average in 1 of 2"


def test_the_store_is_untouched_by_a_refused_command(isolated_home: Path) -> None:
    run_cli("run", "--seeds", "")
    assert not (isolated_home / "runs.sqlite").exists() or RunStore(isolated_home / "runs.sqlite").runs() == []
