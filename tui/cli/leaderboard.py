"""`transfer-tui leaderboard`: race the optimizers headless (on one task, or over several: a race kind of run), then
print the table (and export it)."""

from __future__ import annotations

from pathlib import Path

from engine.config import ExperimentConfig
from engine.errors import ConfigError
from engine.kinds import RunOptions, kind_for
from engine.paths import new_run_id, runs_dir
from tui.cli.execute import execute
from tui.kinds import views_of


def run_leaderboard_command(
    config: ExperimentConfig,
    *,
    sort: str,
    reverse: bool,
    exports: dict[str, Path | None],
    tensorboard: Path | None = None,
    rows: str = "auto",
    plot: Path | None = None,
) -> int:
    """A new race, recorded in the run store; `exports` maps a format (json, csv, md) to a file to write, `plot`
    names the file for a race's critical-difference diagram."""
    options = RunOptions(tensorboard=str(tensorboard) if tensorboard else None)
    kind = kind_for(config, "leaderboard")
    if plot is not None and views_of(kind).plot is None:
        raise ConfigError(
            f"--plot {plot}: a race on one task has no chart; race over tasks with several --b-classes or --tasks"
        )
    return execute(
        kind,
        config,
        runs_dir() / new_run_id(),
        options,
        exports=exports,
        sort=sort,
        reverse=reverse,
        rows=rows,
        plot=plot,
    )
