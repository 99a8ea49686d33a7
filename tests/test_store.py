"""The run store: runs recorded live, interrupted runs noticed, a corrupt database set aside, not lost."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import StorageError
from engine.progress import EpochDone, EpochMetrics, PlannedPhase, RunPlanned
from engine.storage.store import RecordingListener, RunStore

PLAN = (PlannedPhase("model_a", (1, 2), 3, 10, (5, 6)),)


def test_a_run_is_recorded_as_it_happens(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite")
    store.start("r1", "experiment", {"run": {"seeds": [1, 2]}}, tmp_path / "r1", {"python": "3.11"}, "CPU")
    seen = []
    recorder = RecordingListener(store, "r1", seen.append)
    recorder(RunPlanned(PLAN))
    recorder(EpochDone(0, "model_a", 1, 1, 3, EpochMetrics(0.5, 0.8, 0.4, 0.85, 2.0)))
    recorder(EpochDone(0, "model_a", 2, 1, 3, EpochMetrics(float("nan"), 0.1, float("inf"), 0.1, 2.0)))
    assert len(seen) == 3
    (record,) = store.runs()
    assert (record.id, record.kind, record.status, record.device) == ("r1", "experiment", "running", "CPU")
    epochs = store.epochs("r1")
    assert [(e["seed"], e["epoch"], e["val_accuracy"]) for e in epochs] == [(1, 1, 0.85), (2, 1, 0.1)]
    assert epochs[1]["loss"] is None and epochs[1]["val_loss"] is None  # NaN and inf are stored as NULL
    store.finish("r1", "finished", {"seeds": [], "x": float("nan")})
    record = store.get("r1")
    assert record.status == "finished" and record.ended_at >= record.started_at and record.result["x"] is None
    store.add_files("r1", "model", ["/a.keras", "/b.keras"])
    assert store.files("r1") == [("model", "/a.keras"), ("model", "/b.keras")]
    store.delete("r1")
    assert store.runs() == [] and store.epochs("r1") == [] and store.files("r1") == []


def test_a_run_whose_process_died_becomes_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    script = (
        "import sys\nfrom pathlib import Path\nfrom engine.storage.store import RunStore\n"
        f"RunStore(Path({str(path)!r})).start('gone', 'leaderboard', {{}}, Path('/x'), {{}}, None)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    store = RunStore(path)
    store.start("mine", "experiment", {}, tmp_path, {}, None)
    assert store.mark_interrupted() == 1
    assert {r.id: r.status for r in store.runs()} == {"gone": "interrupted", "mine": "running"}
    store.reopen("gone")
    assert store.get("gone").status == "running"


def test_a_corrupt_database_is_set_aside_and_a_new_one_started(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    path.write_bytes(b"this is not a database, " * 100)
    store = RunStore(path)
    assert store.set_aside is not None and store.set_aside.read_bytes().startswith(b"this is not a database")
    assert store.runs() == []
    store.start("fresh", "experiment", {}, tmp_path, {}, None)
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_an_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="cannot open the run database"):
        RunStore(blocker / "runs.sqlite")


def test_the_store_is_shared_between_threads(tmp_path: Path) -> None:
    import threading

    store = RunStore(tmp_path / "runs.sqlite")

    def write(name: str) -> None:
        store.start(name, "experiment", {}, tmp_path, {}, None)

    threads = [threading.Thread(target=write, args=(f"t{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.id for r in store.runs()) == ["t0", "t1", "t2", "t3"]
    assert os.path.exists(tmp_path / "runs.sqlite-wal")  # WAL mode


def test_threads_opening_a_new_database_at_once(tmp_path: Path) -> None:
    """Creating the database and switching it to WAL must not fail because another opener got there first
    (the app's start-up check and the engine thread do exactly this on a first run)."""
    import threading

    for attempt in range(20):
        path = tmp_path / f"runs{attempt}.sqlite"
        barrier = threading.Barrier(4)
        errors: list[Exception] = []

        def open_it(path: Path = path, barrier: threading.Barrier = barrier, errors: list = errors) -> None:
            barrier.wait()
            try:
                RunStore(path).runs()
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []


SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('experiment', 'leaderboard')),
    status TEXT NOT NULL, config TEXT NOT NULL, started_at REAL NOT NULL, ended_at REAL, versions TEXT NOT NULL,
    device TEXT, folder TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, result TEXT,
    options TEXT NOT NULL DEFAULT '{}');
CREATE TABLE files (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, role TEXT NOT NULL,
    path TEXT NOT NULL, PRIMARY KEY (run_id, path));
CREATE TABLE epochs (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, plan_index INTEGER NOT NULL,
    phase TEXT NOT NULL, optimizer TEXT, pair TEXT NOT NULL, seed INTEGER NOT NULL, epoch INTEGER NOT NULL,
    loss REAL, accuracy REAL, val_loss REAL, val_accuracy REAL, seconds REAL,
    PRIMARY KEY (run_id, plan_index, seed, epoch));
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO runs VALUES ('old', 'experiment', 'finished', '{}', 1.0, 2.0, '{}', 'CPU', '/x', 'h', 1, NULL, '{}');
INSERT INTO files VALUES ('old', 'model', '/x/model_a.keras');
INSERT INTO epochs VALUES ('old', 0, 'model_a', NULL, '[5, 6]', 42, 1, 0.5, 0.8, 0.4, 0.85, 2.5);
INSERT INTO epochs VALUES ('old', 1, 'b_frozen', NULL, '[5, 6]', 42, 1, 0.3, 0.9, 0.3, 0.9, 0.5);
"""


def test_a_schema_1_database_is_rebuilt_without_losing_a_row(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA_1)
    connection.close()

    store = RunStore(path)
    (record,) = store.runs()
    assert (record.id, record.status, record.device) == ("old", "finished", "CPU")
    assert store.files("old") == [("model", "/x/model_a.keras")]
    assert [(e["phase"], e["seed"], e["epoch"], e["seconds"]) for e in store.epochs("old")] == [
        ("model_a", 42, 1, 2.5),
        ("b_frozen", 42, 1, 0.5),
    ]
    assert sqlite3.connect(path).execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("2",)
    store.start("new", "layer_study", {}, tmp_path, {}, None)  # schema 1 knew only two kinds of run
    store.delete("old")
    assert store.epochs("old") == [] and store.files("old") == []  # the foreign keys still cascade
    assert [r.id for r in RunStore(path).runs()] == ["new"]


def test_epochs_are_keyed_by_what_the_phase_is_not_where_it_stands_in_the_plan(tmp_path: Path) -> None:
    """A resumed run whose model A came from the cache has a shorter plan: its B phases move up one place,
    and must not overwrite model A's epochs recorded before the interruption."""
    store = RunStore(tmp_path / "runs.sqlite")
    store.start("r", "experiment", {}, tmp_path, {}, None)
    full = (PlannedPhase("model_a", (1,), 1, 10, (5, 6)), PlannedPhase("b_frozen", (1,), 1, 2, (5, 6)))
    store.record_epoch("r", full, EpochDone(0, "model_a", 1, 1, 1, EpochMetrics(0.5, 0.8, 0.4, 0.85, 2.0)))
    resumed = full[1:]
    store.record_epoch("r", resumed, EpochDone(0, "b_frozen", 1, 1, 1, EpochMetrics(0.3, 0.9, 0.3, 0.9, 0.5)))
    assert sorted((e["phase"], e["seconds"]) for e in store.epochs("r")) == [("b_frozen", 0.5), ("model_a", 2.0)]
