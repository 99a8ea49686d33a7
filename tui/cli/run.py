"""`transfer-tui run`: the experiment headless, with live progress, a comparison table and optional exports."""

from __future__ import annotations

from pathlib import Path

from engine.config import ExperimentConfig
from engine.kinds import RunOptions, kind_for
from engine.paths import new_run_id, runs_dir
from tui.cli.execute import execute


def run_headless(
    config: ExperimentConfig,
    *,
    model_a: Path | None,
    json_path: Path | None,
    save_models: bool,
    use_cache: bool,
    tensorboard: Path | None,
    rows: str = "auto",
    map_path: Path | None = None,
) -> int:
    """A new run, recorded in the run store: the experiment, or the transfer map when [study] networks names
    several networks (as ctrl+r in the app runs it)."""
    options = RunOptions(
        model_a=str(model_a) if model_a else None,
        save_models=save_models,
        use_cache=use_cache,
        tensorboard=str(tensorboard) if tensorboard else None,
    )
    run_dir = runs_dir() / new_run_id()
    kind = kind_for(config, "run")
    return execute(kind, config, run_dir, options, exports={"json": json_path}, rows=rows, map_path=map_path)
