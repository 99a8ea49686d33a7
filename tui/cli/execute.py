"""Any kind of run from the terminal: live progress, the report its kind prints, exports, the run store line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rich.console import Console

from engine.config import ExperimentConfig
from engine.data.fashion_mnist import Dataset
from engine.data.split import check_pairs_fit
from engine.execution.cost import about
from engine.kinds import RunKind, RunOptions
from engine.paths import log_dir
from engine.results.leaderboard import LeaderboardResult
from tui.cli.console import command_console
from tui.cli.exit_codes import EXIT_BROKEN_PIPE, EXIT_CANCELLED
from tui.cli.reporter import READER_GONE, load_data_and_engine, tracked_in_terminal
from tui.cli.terminal import stderr_to_log
from tui.kinds import result_report, views_of
from tui.state.stored import estimate, stored_records


def _say_device(console: Console, config: ExperimentConfig) -> None:
    """The device in full and the precision (what "auto" chose, and why); one line where an NVIDIA GPU is here but
    TensorFlow trains on the CPU, and one where a lower precision is asked for on hardware without instructions
    for it."""
    from engine.hardware import auto_reason, precision_note
    from engine.runtime import cluster_address, full_device_line, gpu_facts, gpu_fallback, has_gpu, resolved_precision

    gpus = gpu_facts()
    precision = resolved_precision(config.run.precision, gpus)
    chosen = f" (auto: {auto_reason(precision, gpus)})" if config.run.precision == "auto" else ""
    console.print(f"Device: {full_device_line(gpus, precision)}{chosen}", style="dim", markup=False, highlight=False)
    fallback = gpu_fallback()
    if fallback:
        console.print(fallback, style="bold yellow", markup=False, highlight=False)
    for note in (precision_note(precision, has_gpu()), cluster_address(config.cluster.address, gpus)[1]):
        if note:
            console.print(note, markup=False, highlight=False)


def _say_how_long(
    console: Console, kind: RunKind, config: ExperimentConfig, resume: bool, dataset: Dataset | None = None
) -> None:
    """Before TensorFlow loads: about how long the run takes on this machine, and a warning when that is long; a
    split the data cannot hold is refused first (as the run would refuse it), so no estimate precedes the error."""
    if dataset is not None and kind.trains_b(config):
        check_pairs_fit(config.split, dataset)
    if resume:  # part of it is done: the estimate of the whole would mislead
        return
    estimate_now = estimate(config, kind.name, stored_records())
    console.print(f"Estimated time: {estimate_now.words}.", markup=False, highlight=False)
    if estimate_now.long:
        console.print(
            f"That is long: {about(estimate_now.seconds)}. Ctrl-C stops it after the current batch and keeps what "
            "finished; `transfer-tui runs resume` continues it.",
            style="bold yellow",
            markup=False,
        )


def execute(
    kind: RunKind,
    config: ExperimentConfig,
    run_dir: Path,
    options: RunOptions,
    *,
    exports: dict[str, Path | None] | None = None,
    resume: bool = False,
    sort: str = "best",
    reverse: bool = False,
    rows: str = "auto",
    plot: Path | None = None,
    map_path: Path | None = None,
) -> int:
    """Run (or resume) `kind` in `run_dir`, print its report, write the exports (format -> file); Ctrl-C once
    stops after the current batch and what finished is reported."""
    console = command_console()
    with stderr_to_log(log_dir() / "tensorflow.log"):  # TensorFlow's C++ chatter goes to the log
        dataset = load_data_and_engine(console, config, lambda data: _say_how_long(console, kind, config, resume, data))
        _say_device(console, config)
        result, stopped = tracked_in_terminal(
            console, kind, config, dataset, run_dir, options, resume=resume, rows=rows
        )
    from engine.fileio import atomic_write_text
    from engine.results.exports import export_text, nothing_to_export

    if isinstance(result, LeaderboardResult):  # the exports list the rows as the table does
        result = dataclasses.replace(result, ranking=(sort, reverse))
    console.print()
    for part in result_report(result, sort=sort, reverse=reverse):
        console.print(part)
    nothing = nothing_to_export(result)
    for fmt, path in (exports or {}).items():
        if path is not None and nothing is not None:  # a stopped run: say so, and end as it ended
            console.print(f"{fmt.upper()} not written to {path}: {nothing}")
        elif path is not None:
            atomic_write_text(path, export_text(result, fmt))
            console.print(f"{fmt.upper()} written to {path}")
    if plot is not None:
        views_of(kind).plot(result, plot)
        console.print(f"Chart written to {plot}")
    if map_path is not None:
        from tui.cli.map_file import write_map_file

        write_map_file(result, map_path)
        console.print(f"Map written to {map_path}")
    if result.model_files():
        console.print(f"Models saved under {run_dir}")
    console.print(f"Run {run_dir.name} is in the run store.", style="dim")
    if stopped == READER_GONE:
        return EXIT_BROKEN_PIPE
    return EXIT_CANCELLED if result.status == "cancelled" else 0
