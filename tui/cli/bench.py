"""`transfer-tui bench`: the population-training benchmark, printed as a table (and optionally JSON)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from engine.config import ExperimentConfig
from engine.data.split import make_tasks
from engine.errors import ConfigError
from engine.paths import log_dir
from tui.cli.reporter import load_data_and_engine
from tui.terminal import stderr_to_log

MAX_MEMBERS = 1024


def run_bench_command(config: ExperimentConfig, *, members: int, epochs: int, json_path: Path | None) -> int:
    if not 1 <= members <= MAX_MEMBERS:
        raise ConfigError(f"--members must be between 1 and {MAX_MEMBERS}, got {members}")
    if not 1 <= epochs <= 1000:
        raise ConfigError(f"--epochs must be between 1 and 1000, got {epochs}")
    with stderr_to_log(log_dir() / "tensorflow.log"):
        return _bench(config, members=members, epochs=epochs, json_path=json_path)


def _bench(config: ExperimentConfig, *, members: int, epochs: int, json_path: Path | None) -> int:
    console = Console(highlight=False)
    dataset = load_data_and_engine(console, config)
    from engine.fileio import atomic_write_json
    from engine.studies.bench import run_bench

    tasks = make_tasks(dataset, config.split, seed=0)
    console.print(
        f"Model A on task A ({len(tasks.a.y_train)} images), batch {config.run.batch_size}, "
        f"{members} members x {epochs} epochs, each way"
    )
    result = run_bench(config, tasks, members, epochs, say=lambda line: console.print(line))

    table = Table(title=f"{result.device}, {result.machine}, {result.cpu_count} cores", title_justify="left")
    table.add_column("")
    table.add_column("s / member-epoch", justify="right")
    table.add_column("steady", justify="right")
    table.add_column("images/s", justify="right")
    table.add_column("% of peak", justify="right")
    table.add_column("x FLOP time", justify="right")
    table.add_column("stop (s)", justify="right")
    for name, side in (("plain Keras fit", result.plain_keras), (f"population of {members}", result.population)):
        table.add_row(
            name,
            f"{side.seconds_per_member_epoch:.3f}",
            f"{side.seconds_per_member_epoch_steady:.3f}",
            f"{side.images_per_second:,.0f}",
            f"{100 * side.fraction_of_peak:.1f}%",
            f"{side.times_flop_time:.2f}",
            f"{side.stop_seconds:.2f}",
        )
    console.print(table)
    console.print(
        f"Population is {result.speedup:.2f}x faster per member-epoch ({result.speedup_steady:.2f}x without the "
        f"first epoch's tracing and compiling). FLOP time: {result.gflop_per_member_epoch:.1f} GFLOP at "
        f"{result.matmul_peak_gflops:.0f} GFLOP/s = {result.flop_time_per_member_epoch:.3f} s per member-epoch. "
        f"Stop: seconds from a stop request (c, Ctrl-C) to training having stopped. "
        f"Peak memory of this process: {result.peak_rss_gb:.2f} GB."
    )
    if json_path:
        atomic_write_json(json_path, result.to_dict())
        console.print(f"Figures written to {json_path}")
    return 0
