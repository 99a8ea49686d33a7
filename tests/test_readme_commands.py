"""Every command the README quotes runs to the end on the real data: shrunk (a few small layers, an epoch or two,
fewer trials), otherwise as quoted. A command the README starts quoting needs an entry here, or this fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO
from tui.main import main

SUBCOMMANDS = ("run", "study", "tune", "leaderboard", "bench", "config", "runs")
# smaller, not different: five small hidden layers (the sweep's depths 0-5), one epoch per phase, fewer seeds,
# depths and trials
SMALL = ["--set", "network.hidden=[16,8,8,8,8]", "--set", "train_a.epochs=1"]
SMALL += ["--set", "transfer.frozen_epochs=1", "--set", "transfer.unfrozen_epochs=1"]
# what each quoted command gets after its own options (a later option wins), and what its output must say
SHRUNK = {
    "run --seeds 1-5": ([*SMALL, "--no-save"], "of 5 seeds"),
    "study --layers 0-5 --seeds 1-3": ([*SMALL, "--layers", "0,5", "--treatments", "AnB+", "--seeds", "1"], "baseB"),
    "tune": ([*SMALL, "--budget", "2", "--epochs", "2", "--seeds", "1"], "Cherry-pick meter"),
    "leaderboard --budget 16": (
        [*SMALL, "--budget", "2", "--optimizers", "sgd,adam", "--epochs", "1", "--task", "b_scratch", "--seeds", "1"],
        "At an equal budget (2 trials per optimizer",
    ),
    "runs list": ([], "No runs yet: there is no run store at"),
}
# benches take minutes at their own sizes: each is run, shrunk, by its own test in tests/test_bench.py
TESTED_ELSEWHERE = {
    "bench --settings": "test_bench_settings_times_members_of_different_settings",
    "bench --tune": "test_bench_tune_times_one_arm_as_a_population_against_keras_one_trial_at_a_time",
    "bench --precision": "test_bench_precision_runs_the_experiment_in_each_precision_and_compares_the_numbers",
}


def quoted_commands(readme: str) -> set[str]:
    """The subcommands the README quotes, in its shell blocks and in its `code` spans, without 'transfer-tui'."""
    spans = re.findall(r"`([^`\n]+)`", readme)
    lines = [line for block in re.findall(r"```sh\n(.*?)```", readme, re.S) for line in block.split("\n")]
    blocks = [line.split("#")[0] for line in lines]
    commands = set()
    for text in [*spans, *blocks]:
        words = text.strip().removeprefix("transfer-tui").strip()
        if words.split(" ")[0] in SUBCOMMANDS:
            commands.add(words)
    return commands


def test_every_quoted_command_is_checked_here() -> None:
    quoted = quoted_commands((REPO / "README.md").read_text())
    assert quoted == set(SHRUNK) | set(TESTED_ELSEWHERE), quoted
    benches = (REPO / "tests" / "test_bench.py").read_text()
    for name in TESTED_ELSEWHERE.values():
        assert f"def {name}(" in benches, name


@pytest.mark.parametrize("command", list(SHRUNK))
def test_a_quoted_command_runs_on_the_real_data(
    command: str, real_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    extra, said = SHRUNK[command]
    trains = command.split()[0] != "runs"
    data = ["--data-dir", str(real_data_dir)] if trains else []
    code = main([*command.split(), *extra, *data, "--home", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert said in out, out
    if trains:  # what trains says first about how long it takes, before TensorFlow loads
        assert 0 <= ("\n" + out).find("\nEstimated time: about ") < out.index(" phase "), out
    assert "Traceback" not in err and "error" not in err, err
