"""`transfer-tui study`: the layer sweep headless, then the table, its reading, and the chart as a file."""

from __future__ import annotations

from pathlib import Path

from engine.config import ExperimentConfig
from engine.kinds import STUDY, RunOptions
from engine.paths import new_run_id, runs_dir
from tui.cli.execute import execute


def run_study_command(
    config: ExperimentConfig,
    *,
    exports: dict[str, Path | None],
    plot: Path | None = None,
    use_cache: bool = True,
    tensorboard: Path | None = None,
    rows: str = "auto",
) -> int:
    """A new sweep, recorded in the run store; `exports` maps a format (json, csv, md) to a file to write,
    `plot` is an .svg or .png file for the chart."""
    options = RunOptions(use_cache=use_cache, tensorboard=str(tensorboard) if tensorboard else None)
    return execute(STUDY, config, runs_dir() / new_run_id(), options, exports=exports, plot=plot, rows=rows)
