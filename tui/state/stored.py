"""Stored runs as the CLI and the app show them (no TensorFlow needed to read one back)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from engine.config import ExperimentConfig
from engine.errors import UserError
from engine.execution.cost import LONG_RUN_SECONDS, about, estimate_seconds, measured_rate
from engine.kinds import KINDS, MAP, kind_named
from engine.results.experiment import pairs_of
from engine.results.protocol import RunResult
from engine.storage.store import RunRecord, database_path, open_store
from tui.kinds import views_of

RESUMABLE = ("interrupted", "cancelled", "failed")


def listed_kind(record: RunRecord) -> str:
    """The kind a run is listed as: an experiment over several pairs is a transfer map, as its report shows."""
    if record.kind == "experiment" and len(pairs_of(record.config)) > 1:
        return MAP.name
    return record.kind


def store_place() -> str:
    """Where the run store is, for every message that says where runs were looked for: './resources/runs.sqlite'
    under the working folder (the default), else the whole path."""
    path = database_path().absolute()
    try:
        return f"./{path.relative_to(Path.cwd())}"
    except ValueError:
        return str(path)


def when(seconds: float | None) -> str:
    return "—" if seconds is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def result_of(record: RunRecord) -> RunResult | None:
    """The run's results, read back by its kind; None while it has none (running, interrupted, failed)."""
    if record.result is None:
        return None
    return kind_named(record.kind).result_from(record.result)


def summary_of(record: RunRecord) -> str:
    """The run's summary line, with why it stopped early if it did; without results, that reason or a dash."""
    result = result_of(record)
    if result is None:
        return record.reason or "—"
    line = result.summary_line()
    precision = record.config.get("run", {}).get("precision", "float32")
    if precision != "float32":  # numbers that are not float32's say so wherever runs are listed
        line = f"{precision}: {line}"
    return f"{line}; {record.status}: {record.reason}" if record.reason else line


def store_problem() -> tuple[str, str] | None:
    """Open the run store (marking runs of dead processes interrupted); what went wrong and how bad, if anything
    did: (message, notification severity)."""
    try:
        store = open_store()
    except UserError as exc:
        return str(exc), "error"
    if store.set_aside is not None:
        return f"The run database was unreadable: moved to {store.set_aside}; a new one was started.", "warning"
    return None


def last_results(records: list[RunRecord]) -> dict[str, RunRecord]:
    """For each view that shows results (Results, Optimizers, Study, Tune), the run it reopens after a restart:
    the newest finished one, else the newest stopped one with results (`records`: newest first)."""
    last: dict[str, RunRecord] = {}
    for finished_only in (True, False):
        for record in records:  # newest first
            if (
                record.result is not None
                and record.kind in KINDS
                and (record.status == "finished" or not finished_only)
            ):
                last.setdefault(views_of(KINDS[record.kind]).results, record)
    return last


@dataclass(frozen=True)
class Estimate:
    """How long a run will take on this machine: `seconds`, and whether a rate this machine measured says so."""

    seconds: float
    measured: bool

    @property
    def long(self) -> bool:
        return self.seconds >= LONG_RUN_SECONDS

    @property
    def words(self) -> str:
        """'about 3 min on this machine', or the same said to be a guess where no run here measured the rate."""
        if self.measured:
            return f"{about(self.seconds)} on this machine"
        return f"{about(self.seconds)} (a guess: no run like it has timed this machine yet)"


def stored_records() -> list[RunRecord]:
    """Every stored run, newest first; none where the store cannot be read (or does not exist yet)."""
    if not database_path().is_file():
        return []
    try:
        return open_store().runs()
    except UserError:
        return []


def estimate(config: ExperimentConfig, kind: str, records: list[RunRecord]) -> Estimate:
    """How long a run of `kind` with `config` will take here, at the rate `records` (this machine's runs) show."""
    rate = measured_rate(records, config)
    return Estimate(estimate_seconds(config, kind, rate), rate is not None)
