"""The run store: one SQLite database (WAL mode) holding every run and leaderboard, with per-epoch metrics.

Runs are written as they happen: a row when they start, a row per finished epoch, the results when
they end. A run whose process died without ending it is marked 'interrupted' the next time a store
is opened. Each thread gets its own connection (SQLite connections are not shared across threads).
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ConfigError, StorageError
from engine.fileio import finite
from engine.paths import home_dir
from engine.progress import EpochDone, Listener, PartDone, ProgressEvent, RunPlanned

log = logging.getLogger(__name__)
SCHEMA_VERSION = 2
LOCK_WAIT_SECONDS = 30
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    started_at REAL NOT NULL,
    ended_at REAL,
    versions TEXT NOT NULL,
    device TEXT,
    folder TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    result TEXT,
    options TEXT NOT NULL DEFAULT '{}',
    reason TEXT,
    hardware TEXT
);
CREATE TABLE IF NOT EXISTS files (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (run_id, path)
);
CREATE TABLE IF NOT EXISTS epochs (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    phase_key TEXT NOT NULL,
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
    PRIMARY KEY (run_id, phase_key, seed, epoch)
);
"""
EPOCH_COLUMNS = (
    "run_id, phase_key, plan_index, phase, optimizer, pair, seed, epoch, "
    "loss, accuracy, val_loss, val_accuracy, seconds"
)
# Schema 1 let only two kinds of run in and keyed epochs by plan position, which shifts when a resumed run finds
# model A in the cache; its tables are rebuilt as schema 2, old epochs keyed by the columns they have.
SCHEMA_1_TO_2 = f"""
ALTER TABLE runs RENAME TO runs_schema1;
ALTER TABLE files RENAME TO files_schema1;
ALTER TABLE epochs RENAME TO epochs_schema1;
{SCHEMA}
INSERT INTO runs (id, kind, status, config, started_at, ended_at, versions, device, folder, host, pid, result,
    options) SELECT id, kind, status, config, started_at, ended_at, versions, device, folder, host, pid, result,
    options FROM runs_schema1;
INSERT INTO files SELECT run_id, role, path FROM files_schema1;
INSERT OR REPLACE INTO epochs ({EPOCH_COLUMNS}) SELECT run_id,
    pair || '_' || phase || '_' || COALESCE(optimizer, 'own') || '_' || plan_index,
    plan_index, phase, optimizer, pair, seed, epoch, loss, accuracy, val_loss, val_accuracy, seconds
    FROM epochs_schema1;
DROP TABLE epochs_schema1;
DROP TABLE files_schema1;
DROP TABLE runs_schema1;
"""
ACTIVE = "running"


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
    options: dict[str, Any]  # how it was started beyond its config (--model-a, --no-save), for resuming
    reason: str | None = None  # why it failed or stopped early, in one line
    hardware: str | None = None  # the device in full (engine.hardware.device_line); None for runs stored before


class RunStore:
    """Access to the database file at `path`; created on first use."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self.set_aside: Path | None = None  # where a corrupt database was moved, if it was
        try:
            self._create()
        except sqlite3.DatabaseError:
            self._set_aside_corrupt()
            self._create()

    def _create(self) -> None:
        connection = self._connection()
        try:
            if connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            connection.executescript(SCHEMA)  # its own transaction: executescript commits first
            columns = {row[1] for row in connection.execute("PRAGMA table_info(runs)")}
            if "options" not in columns:  # databases written before runs kept their options
                connection.execute("ALTER TABLE runs ADD COLUMN options TEXT NOT NULL DEFAULT '{}'")
            if "reason" not in columns:  # nor why a run failed or stopped
                connection.execute("ALTER TABLE runs ADD COLUMN reason TEXT")
            if "hardware" not in columns:  # nor the device in full
                connection.execute("ALTER TABLE runs ADD COLUMN hardware TEXT")
            if not _has_column(connection, "epochs", "phase_key"):
                _migrate_to_schema_2(connection)
        except sqlite3.OperationalError as exc:
            raise StorageError(f"cannot use the run database {self.path}: {exc}") from None
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def _set_aside_corrupt(self) -> None:
        """Move an unreadable database (and its WAL files) aside, never deleting it, and start a new one."""
        if getattr(self._local, "connection", None) is not None:
            self._local.connection.close()
            self._local.connection = None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.set_aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                source.rename(Path(f"{self.set_aside}{suffix}"))

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path, timeout=LOCK_WAIT_SECONDS, isolation_level=None)
                self._local.connection = connection
                _use_wal(connection)
                connection.execute("PRAGMA foreign_keys=ON")
            except (sqlite3.OperationalError, OSError) as exc:
                raise StorageError(f"cannot open the run database {self.path}: {exc}") from None
        return connection

    def _write(self) -> _Transaction:
        return _Transaction(self._connection(), self.path)

    def start(
        self,
        run_id: str,
        kind: str,
        config: dict,
        folder: Path,
        versions: dict,
        device: str | None,
        options: dict | None = None,
        hardware: str | None = None,
    ) -> None:
        """A new run, 'running' from now; `options` records how it was started beyond its config, `hardware` the
        device in full."""
        row = {
            "id": run_id,
            "kind": kind,
            "status": ACTIVE,
            "config": json.dumps(config),
            "started_at": time.time(),
            "versions": json.dumps(versions),
            "device": device,
            "folder": str(folder),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "options": json.dumps(options or {}),
            "hardware": hardware,
        }
        with self._write() as db:
            names = ", ".join(row)
            db.execute(f"INSERT INTO runs ({names}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))

    def record_epoch(self, run_id: str, plan: tuple, event: EpochDone) -> None:
        planned = plan[event.index]
        m = event.metrics
        with self._write() as db:
            db.execute(
                f"INSERT OR REPLACE INTO epochs ({EPOCH_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    planned.key,
                    event.index,
                    event.phase,
                    planned.optimizer,
                    json.dumps(list(planned.pair)),
                    event.seed,
                    event.epoch,
                    *(_finite(v) for v in (m.loss, m.accuracy, m.val_loss, m.val_accuracy, m.seconds)),
                ),
            )

    def reopen(self, run_id: str) -> None:
        """A resumed run is running again, in this process."""
        with self._write() as db:
            db.execute(
                "UPDATE runs SET status = ?, ended_at = NULL, reason = NULL, host = ?, pid = ? WHERE id = ?",
                (ACTIVE, socket.gethostname(), os.getpid(), run_id),
            )

    def add_files(self, run_id: str, role: str, paths: list[str]) -> None:
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?)", [(run_id, role, p) for p in paths])

    def files(self, run_id: str) -> list[tuple[str, str]]:
        """(role, path) of every model and export a run wrote."""
        query = "SELECT role, path FROM files WHERE run_id = ? ORDER BY role, path"
        return list(self._connection().execute(query, (run_id,)))

    def finish(
        self, run_id: str, status: str, result: dict | None, device: str | None = None, reason: str | None = None
    ) -> None:
        """The run ended with `status`; `reason` says why it failed or stopped early (None for a finished run)."""
        with self._write() as db:
            db.execute(
                "UPDATE runs SET status = ?, ended_at = ?, result = ?, device = COALESCE(?, device), reason = ? "
                "WHERE id = ?",
                (status, time.time(), None if result is None else json.dumps(finite(result)), device, reason, run_id),
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
            db.executemany(
                "UPDATE runs SET status = 'interrupted', reason = 'its process ended without ending the run' "
                "WHERE id = ?",
                [(run_id,) for run_id in dead],
            )
        return len(dead)

    def runs(self, kind: str | None = None) -> list[RunRecord]:
        """Newest first."""
        query = "SELECT * FROM runs" + (" WHERE kind = ?" if kind else "") + " ORDER BY started_at DESC"
        return [_record(row) for row in self._rows(query, (kind,) if kind else ())]

    def get(self, run_id: str) -> RunRecord | None:
        rows = self._rows("SELECT * FROM runs WHERE id = ?", (run_id,))
        return _record(rows[0]) if rows else None

    def find(self, prefix: str) -> RunRecord:
        """The run whose id starts with `prefix`; a clear error if none or several do."""
        rows = self._rows("SELECT * FROM runs WHERE id LIKE ? ORDER BY started_at DESC", (prefix + "%",))
        if not rows:
            raise ConfigError(f"no run {prefix!r} in {self.path}; 'transfer-tui runs list' shows them")
        if len(rows) > 1 and rows[0]["id"] != prefix:
            raise ConfigError(f"{prefix!r} matches {len(rows)} runs; give more of the id")
        return _record(rows[0])

    def _rows(self, query: str, parameters: tuple) -> list[sqlite3.Row]:
        cursor = self._connection().execute(query, parameters)
        cursor.row_factory = sqlite3.Row
        return cursor.fetchall()

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


def _has_column(connection: sqlite3.Connection, table: str, column: str) -> bool:
    return column in {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


def _migrate_to_schema_2(connection: sqlite3.Connection) -> None:
    """Rebuild schema 1's tables, once: foreign keys off (dropping the old runs table must not cascade), and the
    check repeated under the write lock, in case another process migrated meanwhile."""
    connection.execute("PRAGMA foreign_keys=OFF")
    try:
        connection.execute("BEGIN IMMEDIATE")
        if _has_column(connection, "epochs", "phase_key"):
            connection.execute("COMMIT")
            return
        for statement in SCHEMA_1_TO_2.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    finally:
        connection.execute("PRAGMA foreign_keys=ON")


def _record(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        id=row["id"],
        kind=row["kind"],
        status=row["status"],
        config=json.loads(row["config"]),
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        versions=json.loads(row["versions"]),
        device=row["device"],
        folder=row["folder"],
        result=None if row["result"] is None else json.loads(row["result"]),
        options=json.loads(row["options"]),
        reason=row["reason"],
        hardware=row["hardware"],
    )


def _use_wal(connection: sqlite3.Connection) -> None:
    """Switch to WAL. The switch needs the database to itself and, unlike reads and writes, does not wait for
    it, so when another thread or process is opening the same new database at that moment, try again."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


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
        self.partial: Any = None  # the study's result so far (PartDone), kept if the run dies before it ends

    def __call__(self, event: ProgressEvent) -> None:
        if isinstance(event, RunPlanned):
            self.plan = event.plan
        elif isinstance(event, PartDone):
            self.partial = event.result
        elif isinstance(event, EpochDone):
            self.store.record_epoch(self.run_id, self.plan, event)
        self.inner(event)


def database_path() -> Path:
    return home_dir() / "runs.sqlite"


_OPENING = threading.Lock()


def open_store() -> RunStore:
    """The store under the app's home, with runs orphaned by a dead process marked 'interrupted'.
    A corrupt database is moved aside (see `store.set_aside`) and a fresh one started. Threads of one process
    open it one at a time, so two of them never both set aside the same corrupt file."""
    with _OPENING:
        store = RunStore(database_path())
        if store.set_aside is not None:
            log.warning("the run database was unreadable; it was moved to %s and a new one started", store.set_aside)
        store.mark_interrupted()
    return store
