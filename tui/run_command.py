"""`transfer-tui run`: the experiment headless, with live progress, a comparison table and optional JSON."""

from __future__ import annotations

import signal
from contextlib import nullcontext
from pathlib import Path

from rich.console import Console

from engine.config import ExperimentConfig
from engine.data import load_dataset, resolve_data_dir
from engine.paths import new_run_id, runs_dir
from engine.progress import StopToken
from tui.headless import ConsoleReporter
from tui.render import report

EXIT_CANCELLED = 130


def run_headless(config: ExperimentConfig, *, model_a: Path | None, json_path: Path | None, save_models: bool) -> int:
    """Run, report, save; Ctrl-C once stops after the current batch and keeps finished seeds, twice aborts."""
    console = Console(highlight=False)
    dataset = load_dataset(resolve_data_dir(config.data.dir or None))
    with console.status("Loading TensorFlow…", spinner="dots") if console.is_terminal else nullcontext():
        from engine.experiment import run_experiment
        from engine.fileio import atomic_write_json

    save_dir = runs_dir() / new_run_id() if save_models else None
    stop = StopToken()
    previous = signal.signal(signal.SIGINT, _stop_then_abort(stop))
    try:
        with ConsoleReporter(console) as reporter:
            result = run_experiment(
                config, dataset, listener=reporter, stop=stop, model_a_file=model_a, save_dir=save_dir
            )
    finally:
        signal.signal(signal.SIGINT, previous)

    console.print()
    for part in report(result):
        console.print(part)
    if json_path:
        atomic_write_json(json_path, result.to_dict())
        console.print(f"Results written to {json_path}")
    if save_dir is not None and result.seeds:
        console.print(f"Models saved under {save_dir}")
    return EXIT_CANCELLED if result.status == "cancelled" else 0


def _stop_then_abort(stop: StopToken):
    def handle(_signum: int, _frame: object) -> None:
        if stop.requested:
            raise KeyboardInterrupt
        stop.request()

    return handle
