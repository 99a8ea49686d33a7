"""The run store: one SQLite database (WAL mode) holding every run and leaderboard, with per-epoch metrics.

Runs are written as they happen: a row when they start, a row per finished epoch, the results when
they end. A run whose process died without ending it is marked 'interrupted' the next time a store
is opened. Each thread gets its own connection (SQLite connections are not shared across threads).
"""

from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import StorageError
from engine.fileio import finite
from engine.progress import EpochDone, Listener, ProgressEvent, RunPlanned

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('experiment', 'leaderboard')),
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    started_at REAL NOT NULL,
    ended_at REAL,
    versions TEXT NOT NULL,
    device TEXT,
    folder TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    result TEXT
);
CREATE TABLE IF NOT EXISTS epochs (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    plan_index INTEGER NOT NULL,
    phase TEXT NOT NULL,
    optimizer TEXT,
    pair TEXT NOT NULL,
    seed INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    loss REAL,
    accuracy REAL,
    val_loss REAL,
    val_accuracy REAL,
    seconds REAL,
    PRIMARY KEY (run_id, plan_index, seed, epoch)
);
"""
ACTIVE = "running"
ENDED = ("finished", "cancelled", "failed", "interrupted")


@dataclass(frozen=True)
class RunRecord:
    id: str
    kind: str
    status: str
    config: dict[str, Any]
    started_at: float
    ended_at: float | None
    versions: dict[str, str]
    device: str | None
    folder: str
    result: dict[str, Any] | None


class RunStore:
    """Access to the database file at `path`; created on first use."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        try:
            self._connection().executescript(SCHEMA)  # its own transaction: executescript commits first
        except sqlite3.Error as exc:
            raise StorageError(f"cannot use the run database {self.path}: {exc}") from None
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA foreign_keys=ON")
            except (sqlite3.Error, OSError) as exc:
                raise StorageError(f"cannot open the run database {self.path}: {exc}") from None
            self._local.connection = connection
        return connection

    def _write(self) -> _Transaction:
        return _Transaction(self._connection(), self.path)

    def start(self, run_id: str, kind: str, config: dict, folder: Path, versions: dict, device: str | None) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO runs (id, kind, status, config, started_at, versions, device, folder, host, pid)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    kind,
                    ACTIVE,
                    json.dumps(config),
                    time.time(),
                    json.dumps(versions),
                    device,
                    str(folder),
                    socket.gethostname(),
                    os.getpid(),
                ),
            )

    def record_epoch(self, run_id: str, plan: tuple, event: EpochDone) -> None:
        planned = plan[event.index]
        m = event.metrics
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO epochs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    event.index,
                    event.phase,
                    planned.optimizer,
                    json.dumps(list(planned.pair)),
                    event.seed,
                    event.epoch,
                    *(_finite(v) for v in (m.loss, m.accuracy, m.val_loss, m.val_accuracy, m.seconds)),
                ),
            )

    def finish(self, run_id: str, status: str, result: dict | None, device: str | None = None) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE runs SET status = ?, ended_at = ?, result = ?, device = COALESCE(?, device) WHERE id = ?",
                (status, time.time(), None if result is None else json.dumps(finite(result)), device, run_id),
            )

    def mark_interrupted(self) -> int:
        """Runs left 'running' by a process of this host that no longer exists become 'interrupted'."""
        rows = (
            self._connection()
            .execute("SELECT id, pid FROM runs WHERE status = ? AND host = ?", (ACTIVE, socket.gethostname()))
            .fetchall()
        )
        dead = [run_id for run_id, pid in rows if not _alive(pid)]
        with self._write() as db:
            db.executemany("UPDATE runs SET status = 'interrupted' WHERE id = ?", [(run_id,) for run_id in dead])
        return len(dead)

    def runs(self, kind: str | None = None) -> list[RunRecord]:
        """Newest first."""
        query = "SELECT * FROM runs" + (" WHERE kind = ?" if kind else "") + " ORDER BY started_at DESC"
        return [_record(row) for row in self._connection().execute(query, (kind,) if kind else ())]

    def get(self, run_id: str) -> RunRecord | None:
        row = self._connection().execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else _record(row)

    def epochs(self, run_id: str) -> list[dict[str, Any]]:
        cursor = self._connection().execute(
            "SELECT * FROM epochs WHERE run_id = ? ORDER BY plan_index, epoch, seed", (run_id,)
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def delete(self, run_id: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))


class _Transaction:
    """One write transaction; a locked, read-only or full database becomes a StorageError."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection, self.path = connection, path

    def __enter__(self) -> sqlite3.Connection:
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.connection.execute("COMMIT")
            return
        self.connection.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise StorageError(f"cannot write the run database {self.path}: {exc}") from None


def _record(row: tuple) -> RunRecord:
    run_id, kind, status, config, started, ended, versions, device, folder, _host, _pid, result = row
    return RunRecord(
        run_id,
        kind,
        status,
        json.loads(config),
        started,
        ended,
        json.loads(versions),
        device,
        folder,
        None if result is None else json.loads(result),
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RecordingListener:
    """Writes every finished epoch to the store, then passes each event on."""

    def __init__(self, store: RunStore, run_id: str, inner: Listener) -> None:
        self.store, self.run_id, self.inner = store, run_id, inner
        self.plan: tuple = ()

    def __call__(self, event: ProgressEvent) -> None:
        if isinstance(event, RunPlanned):
            self.plan = event.plan
        elif isinstance(event, EpochDone):
            self.store.record_epoch(self.run_id, self.plan, event)
        self.inner(event)
