"""`transfer-tui tune`: both arms at an equal tuning budget, headless, then the report and its reading."""

from __future__ import annotations

from pathlib import Path

from engine.config import ExperimentConfig
from engine.kinds import RunOptions, kind_for
from engine.paths import new_run_id, runs_dir
from tui.cli.execute import execute


def run_tune_command(
    config: ExperimentConfig,
    *,
    exports: dict[str, Path],
    plot: Path | None = None,
    use_cache: bool = True,
    tensorboard: Path | None = None,
    rows: str = "auto",
) -> int:
    """A new tuning, recorded in the run store; `exports` maps a format (json, csv, md) to a file to write, `plot`
    an .svg or .png file for the budget curves."""
    for note in config.tune.clipped_defaults():
        print(note)
    options = RunOptions(save_models=False, use_cache=use_cache, tensorboard=str(tensorboard) if tensorboard else None)
    run_dir = runs_dir() / new_run_id()
    return execute(kind_for(config, "tune"), config, run_dir, options, exports=exports, plot=plot, rows=rows)
