"""Failed and stopped runs say why, keep what finished, and export nothing that would pass for a result.

This module is also the study module of a test kind, FLAKY: it flips a coin per seed, reports the first seed as
a part done, then fails the way `run.batch_size` says (1: an error, 2: Ctrl-C twice)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from engine.config import ExperimentConfig, apply_overrides
from engine.errors import ConfigError
from engine.execution.tracking import run_tracked
from engine.kinds import KINDS, RunContext, RunKind, RunOptions
from engine.progress import PartDone, StopToken
from engine.results.experiment import ExperimentResult
from engine.results.exports import export_text
from engine.results.study import StudyCell, StudyResult
from engine.storage.store import RunStore
from tests.coin_kind import CoinResult
from tests.conftest import synthetic_dataset
from tui.main import main
from tui.state.stored import summary_of

FLAKY = RunKind("flaky", "flaky coins", CoinResult, __name__, trains_b=lambda _config: False)
CLI = [sys.executable, "-m", "tui"]
TINY = ["--set", "network.hidden=[16]", "--set", "train_a.epochs=3"]
TINY += ["--set", "transfer.frozen_epochs=1", "--set", "transfer.unfrozen_epochs=1"]


def run_kind(config: ExperimentConfig, _dataset, context: RunContext) -> CoinResult:
    first = config.run.seeds[0]
    context.listener(PartDone(CoinResult({"run": {"seeds": list(config.run.seeds)}}, {first: True}, "running")))
    if config.run.batch_size == 2:
        raise KeyboardInterrupt
    raise RuntimeError("the GPU fell\noff the bus")


@pytest.mark.parametrize(
    ("batch_size", "status", "reason"),
    [(1, "failed", "RuntimeError: the GPU fell off the bus"), (2, "cancelled", "aborted by Ctrl-C twice")],
)
def test_a_run_that_dies_keeps_its_reason_and_what_finished(
    monkeypatch: pytest.MonkeyPatch, isolated_home: Path, batch_size: int, status: str, reason: str
) -> None:
    monkeypatch.setitem(KINDS, FLAKY.name, FLAKY)
    config = apply_overrides(ExperimentConfig(), ["run.seeds=[3, 4]", f"run.batch_size={batch_size}"])
    with pytest.raises((RuntimeError, KeyboardInterrupt)):
        run_tracked(FLAKY, config, synthetic_dataset(), isolated_home / "runs" / "r", print, StopToken(), RunOptions())
    (record,) = RunStore(isolated_home / "runs.sqlite").runs()
    assert (record.status, record.reason) == (status, reason)
    assert CoinResult.from_dict(record.result) == CoinResult({"run": {"seeds": [3, 4]}}, {3: True}, status)
    assert summary_of(record) == f"1 heads of 1; {status}: {reason}"


def test_runs_show_says_why_a_run_failed(isolated_home: Path, capsys) -> None:
    store = RunStore(isolated_home / "runs.sqlite")
    store.start("r1", "experiment", {"run": {"seeds": [1]}}, isolated_home / "runs" / "r1", {}, "CPU")
    store.finish("r1", "failed", None, reason="StorageError: cannot write x: the disk is full")
    assert main(["runs", "show", "r1"]) == 0
    out = capsys.readouterr().out
    assert "Why: StorageError: cannot write x: the disk is full" in out
    assert "'transfer-tui runs resume' continues it" in out


def test_a_cancel_records_who_asked(monkeypatch: pytest.MonkeyPatch, isolated_home: Path) -> None:
    from tests.coin_kind import COINS

    monkeypatch.setitem(KINDS, COINS.name, COINS)
    stop = StopToken()
    stop.request("c in the app")
    stop.request("the app quit")  # the first reason stands
    config = apply_overrides(ExperimentConfig(), ["run.seeds=[1]"])
    result = run_tracked(COINS, config, synthetic_dataset(), isolated_home / "runs" / "r", print, stop, RunOptions())
    assert result.status == "finished"  # the coin kind ignores stops: a finished run has no reason
    (record,) = RunStore(isolated_home / "runs.sqlite").runs()
    assert record.reason is None and stop.reason == "c in the app"


def test_exports_refuse_results_with_nothing_finished() -> None:
    empty = ExperimentResult(
        {"run": {"seeds": [1]}, "split": {"b_classes": [5, 6], "extra_pairs": []}}, [], "cancelled", "CPU"
    )
    for fmt in ("csv", "json", "md"):
        with pytest.raises(ConfigError, match="nothing to export: the run ended cancelled before any part"):
            export_text(empty, fmt)
    config = {"run": {"seeds": [1, 2]}, "network": {"kind": "dense"}, "split": {"b_classes": [5, 6]}}
    cells = [StudyCell("AnB", 1, {1: 0.9, 2: 0.8}), StudyCell("BnB+", 3)]
    sweep = StudyResult(config, cells, {1: 0.95, 2: 0.96}, {1: 0.8, 2: 0.8}, "cancelled", "CPU")
    lines = export_text(sweep, "csv").splitlines()
    assert [line.split(",")[:2] for line in lines[1:]] == [["baseB", "0"], ["AnB", "1"]]  # no row of zeros
    nothing = StudyResult(config, cells[1:], {}, {}, "cancelled", "CPU")
    with pytest.raises(ConfigError, match="nothing to export"):
        export_text(nothing, "csv")


def test_runs_export_refuses_a_missing_folder_and_writes_with_the_umask(isolated_home: Path, tmp_path: Path) -> None:
    from tests.test_app_history import store_two_runs

    store_two_runs(isolated_home)
    completed = subprocess.run(
        [*CLI, "runs", "export", "20260102", "--format", "json", "--output", str(tmp_path / "no" / "x.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    assert completed.stderr == (
        f"transfer-tui: error: --output {tmp_path / 'no' / 'x.json'}: the folder {tmp_path / 'no'} does not exist\n"
    )
    assert not (tmp_path / "no").exists()
    previous = os.umask(0o022)
    try:
        assert main(["runs", "export", "20260102", "--format", "json", "--output", str(tmp_path / "x.json")]) == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "x.json").stat().st_mode) == 0o644


def test_a_split_the_data_cannot_hold_is_refused_before_the_run_is_recorded(
    real_data_dir: Path, isolated_home: Path
) -> None:
    completed = subprocess.run(
        [*CLI, "run", "--data-dir", str(real_data_dir), *TINY, "--set", "split.n_train_b=100000"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr == (
        "transfer-tui: error: split.n_train_b is 100000 but only 11014 training images of Sandal (5) and "
        "Shirt (6) exist\n"
    )
    assert not (isolated_home / "runs.sqlite").exists()


def test_a_closed_pipe_stops_the_run_as_a_cancel_does_and_says_why(real_data_dir: Path, isolated_home: Path) -> None:
    command = " ".join([*CLI, "run", "--data-dir", str(real_data_dir), *TINY]) + " | head -2"
    completed = subprocess.run(
        ["bash", "-c", command + "; echo rc=${PIPESTATUS[0]}"], capture_output=True, text=True, timeout=300
    )
    assert completed.stdout.splitlines()[-1] == "rc=141"
    assert "Traceback" not in completed.stderr and "BrokenPipe" not in completed.stderr
    (record,) = RunStore(isolated_home / "runs.sqlite").runs()
    assert record.status == "cancelled"
    assert record.reason == "the output pipe closed (its reader, e.g. head, exited)"


@pytest.mark.parametrize("command", [["runs", "show", "2026"], ["runs", "list"], ["config"]])
def test_every_command_ends_a_closed_pipe_with_the_same_code(command: list[str], isolated_home: Path) -> None:
    from tests.test_app_history import store_two_runs

    store = store_two_runs(isolated_home)
    store.finish("20260101-000000-aaaa", "finished", None)  # one run left: `runs show 2026` finds it
    store.delete("20260102-000000-bbbb")
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before the first line is written, whatever the machine's load
    try:
        completed = subprocess.run([*CLI, *command], stdout=writer, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(writer)
    assert completed.returncode == 141, completed.stderr
    assert completed.stderr == ""


def test_a_wrong_choice_is_one_line_as_every_error_is() -> None:
    completed = subprocess.run([*CLI, "leaderboard", "--task", "c"], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr == (
        "transfer-tui leaderboard: error: argument --task: invalid choice: 'c' (choose from 'a', 'b_scratch', "
        "'b_on_a', 'full') (see transfer-tui leaderboard --help)\n"
    )
