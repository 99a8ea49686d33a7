"""Killing the process (SIGKILL) at any moment loses nothing: the store and files stay consistent, and the
run resumes to the numbers of a run never interrupted. Full disks and unwritable places give clear errors."""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from engine.errors import StorageError
from engine.fileio import atomic_write_text
from engine.store import RunStore

CLI = [sys.executable, "-m", "tui.cli"]
SMALL_RUN = [
    "--seeds",
    "1,2",
    "--set",
    "network.hidden=[32]",
    "--set",
    "train_a.epochs=3",
    "--set",
    "transfer.frozen_epochs=1",
    "--set",
    "transfer.unfrozen_epochs=2",
]


def start_run(home: Path, data: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "TRANSFER_TUI_HOME": str(home)}
    return subprocess.Popen(
        [*CLI, "run", "--data-dir", str(data), *SMALL_RUN, *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_when(process: subprocess.Popen, needle: str) -> list[str]:
    """Read lines until one contains `needle`, then SIGKILL the process."""
    seen = []
    for line in process.stdout:
        seen.append(line)
        if needle in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "".join(seen) + process.stderr.read()
    return seen


def numbers(result: dict) -> list:
    return [
        (
            s["b_classes"],
            s["seed"],
            s["test_acc_a"],
            s["test_acc_b_scratch"],
            s["test_acc_b_transfer"],
            {p: {k: v for k, v in h.items() if k != "seconds"} for p, h in s["history"].items()},
        )
        for s in result["seeds"]
    ]


def test_killed_mid_run_then_resumed_equals_never_interrupted(tmp_path: Path, real_data_dir: Path) -> None:
    home = tmp_path / "home"
    reference = tmp_path / "reference.json"
    completed = subprocess.run(
        [*CLI, "run", "--data-dir", str(real_data_dir), *SMALL_RUN, "--json", str(reference)],
        env={**os.environ, "TRANSFER_TUI_HOME": str(tmp_path / "other")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr

    process = start_run(home, real_data_dir)
    kill_when(process, "B on A, fine-tune")  # mid-run: model A and the frozen phase are done, the rest is not

    store = RunStore(home / "runs.sqlite")
    assert store.mark_interrupted() == 1
    (record,) = store.runs()
    assert record.status == "interrupted" and record.result is None
    assert sqlite3.connect(home / "runs.sqlite").execute("PRAGMA integrity_check").fetchone() == ("ok",)

    env = {**os.environ, "TRANSFER_TUI_HOME": str(home)}
    resumed = subprocess.run(
        [*CLI, "runs", "resume", record.id[:15]], env=env, capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr
    record = RunStore(home / "runs.sqlite").get(record.id)
    assert record.status == "finished"
    assert numbers(record.result) == numbers(json.loads(reference.read_text()))
    assert not (Path(record.folder) / "checkpoints").exists()  # a finished run keeps no checkpoints
    assert all(Path(p).is_file() for s in record.result["seeds"] for p in s["model_files"].values())


@pytest.mark.parametrize("moment", [1.0, 2.5, 4.0])
def test_sigkill_at_any_moment_leaves_everything_readable(tmp_path: Path, real_data_dir: Path, moment: float) -> None:
    home = tmp_path / "home"
    process = start_run(home, real_data_dir)
    time.sleep(moment)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    if not (home / "runs.sqlite").exists():
        return  # killed before the run was even recorded: nothing to be inconsistent
    assert sqlite3.connect(home / "runs.sqlite").execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = RunStore(home / "runs.sqlite")
    store.mark_interrupted()
    for record in store.runs():
        assert record.status in ("interrupted", "finished")
        for checkpoint in (Path(record.folder) / "checkpoints").glob("phase_*.npz"):
            with np.load(checkpoint) as archive:  # never half-written
                assert "meta" in archive.files
        for model in Path(record.folder).rglob("*.keras"):
            assert model.stat().st_size > 0 and not model.name.startswith(".")


def test_a_full_disk_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "results.json"
    target.write_text("the old, complete file")

    def disk_full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(StorageError, match=r"cannot write .*results\.json: the disk is full"):
        atomic_write_text(target, "new contents")
    assert target.read_text() == "the old, complete file"  # nothing lost
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temporary file left


def test_an_unwritable_home_is_a_clear_error(tmp_path: Path, real_data_dir: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    completed = subprocess.run(
        [*CLI, "run", "--home", str(blocker / "home"), "--data-dir", str(real_data_dir), *SMALL_RUN],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert completed.stderr.startswith("transfer-tui: error: cannot")
