"""`transfer-tui leaderboard`: race the optimizers headless, then print the table (and export it)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from engine.config import ExperimentConfig
from engine.paths import new_run_id, runs_dir
from tui.cli.reporter import load_data_and_engine, tracked_in_terminal
from tui.render import leaderboard_table

EXIT_CANCELLED = 130


def run_leaderboard_command(
    config: ExperimentConfig,
    *,
    sort: str,
    reverse: bool,
    exports: dict[str, Path | None],
    tensorboard: Path | None = None,
) -> int:
    """A new race, recorded in the run store; `exports` maps a format (json, csv, md) to a file to write."""
    options = {"tensorboard": str(tensorboard) if tensorboard else None}
    return execute_leaderboard(
        config, runs_dir() / new_run_id(), sort=sort, reverse=reverse, exports=exports, options=options
    )


def execute_leaderboard(
    config: ExperimentConfig,
    run_dir: Path,
    *,
    sort: str = "best",
    reverse: bool = False,
    exports: dict[str, Path | None] | None = None,
    resume: bool = False,
    options: dict | None = None,
) -> int:
    """Race (or resume a race) in `run_dir`, print the table, write the exports."""
    console = Console(highlight=False)
    dataset = load_data_and_engine(console, config)
    from engine.fileio import atomic_write_text
    from engine.results.exports import export_text
    from engine.studies.leaderboard import run_leaderboard

    result = tracked_in_terminal(
        console,
        "leaderboard",
        config,
        run_dir,
        lambda listener, checkpoints, stop: run_leaderboard(
            config, dataset, listener=listener, stop=stop, checkpoints=checkpoints
        ),
        options=options or {},
        resume=resume,
    )
    console.print()
    if result.status == "cancelled":
        console.print("Cancelled: optimizers that had not finished are marked so.", style="bold yellow")
    console.print(leaderboard_table(result.rows(), result.target, sort, reverse))
    for fmt, path in (exports or {}).items():
        if path is not None:
            atomic_write_text(path, export_text(result, fmt))
            console.print(f"{fmt.upper()} written to {path}")
    console.print(f"Leaderboard {run_dir.name} is in the run store.", style="dim")
    return EXIT_CANCELLED if result.status == "cancelled" else 0
