"""`transfer-tui run`: the experiment headless, with live progress, a comparison table and optional JSON."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from engine.config import ExperimentConfig
from engine.paths import new_run_id, runs_dir
from tui.cli.reporter import load_data_and_engine, tracked_in_terminal
from tui.render import report

EXIT_CANCELLED = 130


def run_headless(
    config: ExperimentConfig,
    *,
    model_a: Path | None,
    json_path: Path | None,
    save_models: bool,
    use_cache: bool,
    tensorboard: Path | None,
) -> int:
    """A new run, recorded in the run store."""
    options = {
        "model_a": str(model_a) if model_a else None,
        "save_models": save_models,
        "use_cache": use_cache,
        "tensorboard": str(tensorboard) if tensorboard else None,
    }
    return execute_experiment(config, runs_dir() / new_run_id(), options, json_path=json_path, resume=False)


def execute_experiment(
    config: ExperimentConfig, run_dir: Path, options: dict, *, json_path: Path | None, resume: bool
) -> int:
    """Run (or resume) in `run_dir`, report, save; Ctrl-C once stops after the current batch."""
    console = Console(highlight=False)
    dataset = load_data_and_engine(console, config)
    from engine.fileio import atomic_write_json
    from engine.storage.model_cache import ModelACache
    from engine.studies.experiment import run_experiment

    model_a = Path(options["model_a"]) if options.get("model_a") else None
    save_dir = run_dir if options.get("save_models", True) else None
    cache = ModelACache() if options.get("use_cache", True) else None
    result = tracked_in_terminal(
        console,
        "experiment",
        config,
        run_dir,
        lambda listener, checkpoints, stop: run_experiment(
            config,
            dataset,
            listener=listener,
            stop=stop,
            model_a_file=model_a,
            save_dir=save_dir,
            checkpoints=checkpoints,
            model_a_cache=cache,
        ),
        options=options,
        resume=resume,
    )
    console.print()
    for part in report(result):
        console.print(part)
    if json_path:
        atomic_write_json(json_path, result.to_dict())
        console.print(f"Results written to {json_path}")
    if save_dir is not None and result.seeds:
        console.print(f"Models saved under {save_dir}")
    console.print(f"Run {run_dir.name} is in the run store.", style="dim")
    return EXIT_CANCELLED if result.status == "cancelled" else 0
