"""What every kind of run produces: a result the store keeps, the CLI and the app show, and exports write."""

from __future__ import annotations

from typing import Any, Protocol


class RunResult(Protocol):
    """A run's outcome; `status` is finished or cancelled, `config` the plain config it ran with."""

    config: dict[str, Any]
    status: str
    device: str

    def to_dict(self) -> dict[str, Any]:
        """Everything, as JSON-ready values (read back by the result type's `from_dict`)."""
        ...

    def model_files(self) -> list[str]:
        """The trained models it saved, for the run store."""
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


def merged_status(parts: list[RunResult]) -> str:
    """The status of a run cut into units: finished only if every unit finished."""
    return next((part.status for part in parts if part.status != "finished"), "finished")


def merged_device(parts: list[RunResult]) -> str:
    """The devices the units ran on, each named once: 'CPU', or 'CPU, GPU: NVIDIA H200'."""
    return ", ".join(dict.fromkeys(part.device for part in parts)) or "none"
