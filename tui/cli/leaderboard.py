"""`transfer-tui leaderboard`: race the optimizers headless, then print the table (and export it)."""

from __future__ import annotations

from pathlib import Path

from engine.config import ExperimentConfig
from engine.kinds import LEADERBOARD, RunOptions
from engine.paths import new_run_id, runs_dir
from tui.cli.execute import execute


def run_leaderboard_command(
    config: ExperimentConfig,
    *,
    sort: str,
    reverse: bool,
    exports: dict[str, Path | None],
    tensorboard: Path | None = None,
    rows: str = "auto",
) -> int:
    """A new race, recorded in the run store; `exports` maps a format (json, csv, md) to a file to write."""
    options = RunOptions(tensorboard=str(tensorboard) if tensorboard else None)
    return execute(
        LEADERBOARD, config, runs_dir() / new_run_id(), options, exports=exports, sort=sort, reverse=reverse, rows=rows
    )
