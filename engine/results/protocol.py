"""What every kind of run produces: a result the store keeps, the CLI and the app show, and exports write."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from engine.config import ExperimentConfig, stored_config


def settings_of(config: dict[str, Any]) -> ExperimentConfig:
    """A stored config read through the typed schema, as it was checked when the run started (what a run stored
    by an earlier version left out reads as that version ran it): results read their settings here, never by key."""
    return stored_config(config)


class RunResult(Protocol):
    """A run's outcome; `status` is finished or cancelled, `config` the plain config it ran with."""

    config: dict[str, Any]
    status: str
    device: str

    @property
    def settings(self) -> ExperimentConfig:
        """`config` read through the typed schema (settings_of)."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """Everything, as JSON-ready values (read back by the result type's `from_dict`)."""
        ...

    def model_files(self) -> list[str]:
        """The trained models it saved, for the run store."""
        ...

    def relocated(self, folder: Path, to: Path) -> RunResult:
        """The result with its model files under `to` instead of `folder` (a unit's files, once the driver has
        written them into the run folder)."""
        ...

    def summary_line(self) -> str:
        """One line for a list of runs: the numbers that matter, no verdict words cut in half."""
        ...

    def export_rows(self) -> list[dict[str, Any]]:
        """Flat rows for CSV and Markdown."""
        ...

    def export_heading(self) -> str:
        """The Markdown export's title and what the rows are about."""
        ...


class ResultType(Protocol):
    """A kind's result class: it reads a stored result back, and puts the results of a run's units together."""

    def from_dict(self, data: dict[str, Any]) -> RunResult:
        """What to_dict wrote, read back (a classmethod)."""
        ...

    def merged(self, config: dict[str, Any], parts: list[Any]) -> RunResult:
        """The units' results of one run put together, as the run in one process would report them (a
        classmethod)."""
        ...


def merged_status(parts: list[RunResult]) -> str:
    """The status of a run cut into units: finished only if every unit finished."""
    return next((part.status for part in parts if part.status != "finished"), "finished")


def merged_device(parts: list[RunResult]) -> str:
    """The devices the units ran on, each named once: 'CPU', or 'CPU, GPU: NVIDIA H200'."""
    return ", ".join(dict.fromkeys(part.device for part in parts)) or "none"
