"""Killing the process (SIGKILL) at any moment loses nothing: the store and files stay consistent, and the
run resumes to the numbers of a run never interrupted. Full disks and unwritable places give clear errors."""

from __future__ import annotations

import errno
import json
import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from engine.errors import StorageError
from engine.fileio import atomic_write_text
from engine.storage.store import RunStore

CLI = [sys.executable, "-m", "tui"]
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


@pytest.fixture(scope="module")
def never_interrupted(tmp_path_factory: pytest.TempPathFactory, real_data_dir: Path) -> dict:
    folder = tmp_path_factory.mktemp("reference")
    completed = subprocess.run(
        [*CLI, "run", "--data-dir", str(real_data_dir), *SMALL_RUN, "--json", str(folder / "reference.json")],
        env={**os.environ, "TRANSFER_TUI_HOME": str(folder / "home")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads((folder / "reference.json").read_text())


def after_the_first_epoch_row(line: str, _home: Path) -> bool:
    return re.match(r" +1  Model A +1/3 ", line) is not None


def in_the_middle_of_a_phase(line: str, _home: Path) -> bool:
    return re.match(r" +2  B on A, fine-tune +1/2 ", line) is not None  # one of the phase's two epochs is done


def while_saving_models(_line: str, home: Path) -> bool:
    return any((home / "runs").rglob("*.keras"))  # the first model file is there, the others are being written


def kill_when(process: subprocess.Popen, home: Path, moment) -> list[str]:
    """SIGKILL the process at the first printed line (or, between lines, the first look at `home`) at which
    `moment(line, home)` holds. Lines are read on a thread so that the folder is watched meanwhile."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    seen = []
    while True:
        try:
            line = lines.get(timeout=0.002)
        except queue.Empty:
            line = ""
        if line is None:
            pytest.fail("the run ended before the moment to kill it:\n" + "".join(seen) + process.stderr.read())
        seen.append(line)
        if moment(line, home):
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    return seen


@pytest.mark.parametrize("moment", [after_the_first_epoch_row, in_the_middle_of_a_phase, while_saving_models])
def test_sigkill_at_any_moment_then_resume_equals_never_interrupted(
    tmp_path: Path, real_data_dir: Path, never_interrupted: dict, moment
) -> None:
    home = tmp_path / "home"
    kill_when(start_run(home, real_data_dir), home, moment)

    # what was written is whole: the database, every checkpoint, every model file
    assert sqlite3.connect(home / "runs.sqlite").execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = RunStore(home / "runs.sqlite")
    assert store.mark_interrupted() == 1
    (record,) = store.runs()
    assert record.status == "interrupted" and record.result is None
    checkpoints = list((Path(record.folder) / "checkpoints").glob("phase_*.npz"))
    assert checkpoints
    for checkpoint in checkpoints:
        with np.load(checkpoint) as archive:
            assert "meta" in archive.files
    for model in Path(record.folder).rglob("[!.]*.keras"):  # a temporary .name.keras may be left half-written
        assert zipfile.is_zipfile(model)
    seconds_before = {(row["phase_key"], row["seed"], row["epoch"]): row["seconds"] for row in store.epochs(record.id)}
    assert seconds_before

    env = {**os.environ, "TRANSFER_TUI_HOME": str(home)}
    resumed = subprocess.run(
        [*CLI, "runs", "resume", record.id[:15]], env=env, capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr
    store = RunStore(home / "runs.sqlite")
    record = store.get(record.id)
    assert record.status == "finished"
    assert numbers(record.result) == numbers(never_interrupted)
    assert not (Path(record.folder) / "checkpoints").exists()  # a finished run keeps no checkpoints
    assert all(Path(p).is_file() for s in record.result["seeds"] for p in s["model_files"].values())
    assert not list(Path(record.folder).rglob(".*"))  # what the kill left half-written is gone
    # epochs finished before the kill were not trained again: they keep the seconds they took then
    seconds_after = {(row["phase_key"], row["seed"], row["epoch"]): row["seconds"] for row in store.epochs(record.id)}
    assert {key: seconds_after[key] for key in seconds_before} == seconds_before


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
