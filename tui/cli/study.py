"""`transfer-tui study`: the layer sweep (one pair) or the transfer map (several pairs or networks) headless,
then the tables, their reading, and the chart or map as a file."""

from __future__ import annotations

from pathlib import Path

from engine.config import ExperimentConfig
from engine.kinds import RunOptions, kind_for
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
    map_path: Path | None = None,
) -> int:
    """A new study, recorded in the run store: the transfer map when the config has several pairs or networks,
    else the layer sweep. `exports` maps a format (json, csv, md) to a file to write, `plot` is an .svg or .png
    file for the sweep's chart, `map_path` an .svg, .csv or .json file for the map."""
    options = RunOptions(use_cache=use_cache, tensorboard=str(tensorboard) if tensorboard else None)
    kind = kind_for(config, "study")
    run_dir = runs_dir() / new_run_id()
    return execute(kind, config, run_dir, options, exports=exports, plot=plot, rows=rows, map_path=map_path)
