"""`transfer-tui bench`: the population-training benchmark, printed as a table (and optionally JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from engine.classes import ALL_PAIRS
from engine.config import ExperimentConfig
from engine.data.fashion_mnist import Dataset
from engine.data.split import make_tasks
from engine.errors import ConfigError
from engine.paths import log_dir
from engine.results.words import plural
from tui.cli.console import command_console
from tui.cli.reporter import load_data_and_engine
from tui.cli.terminal import stderr_to_log

if TYPE_CHECKING:  # the engine's bench module imports TensorFlow: only its type here
    from engine.studies.benches.population import BenchResult

MAX_MEMBERS = 1024


def check_count(option: str, value: int, most: int, most_said: str | None = None) -> None:
    """One line, before anything loads, for a count outside 1..`most`."""
    if not 1 <= value <= most:
        raise ConfigError(f"{option} must be between 1 and {most_said or most}, got {value}")


def run_bench_command(config: ExperimentConfig, *, members: int, epochs: int, json_path: Path | None) -> int:
    check_count("--members", members, MAX_MEMBERS)
    check_count("--epochs", epochs, 1000)
    with stderr_to_log(log_dir() / "tensorflow.log"):
        return _bench(config, members=members, epochs=epochs, json_path=json_path)


def _loaded(console: Console, config: ExperimentConfig) -> tuple[Dataset, ExperimentConfig]:
    """The data and TensorFlow, then `config` as this device runs it (an "auto" precision resolved, as a run's)."""
    dataset = load_data_and_engine(console, config)
    from engine.execution.tracking import for_this_device
    from engine.runtime import gpu_facts

    return dataset, for_this_device(config, gpu_facts())


def _bench(config: ExperimentConfig, *, members: int, epochs: int, json_path: Path | None) -> int:
    console = command_console()
    dataset, config = _loaded(console, config)
    from engine.fileio import atomic_write_json
    from engine.studies.benches.population import run_bench

    tasks = make_tasks(dataset, config.split, seed=0)
    console.print(
        f"Model A on task A ({len(tasks.a.y_train)} images), batch {config.run.batch_size}, "
        f"{plural(members, 'member')} x {plural(epochs, 'epoch')}, each way"
    )
    result = run_bench(config, tasks, members, epochs, say=lambda line: console.print(line))

    table = Table(title=f"{result.device}, {result.machine}, {result.cpu_count} cores", title_justify="left")
    # two-line headers and short names: the table fits 80 columns whole
    for header in ("", "s per\nmember-ep", "steady", "images\nper s", "% of\npeak", "x FLOP\ntime", "stop\n(s)"):
        table.add_column(header, justify="right" if header else "left", no_wrap=True)
    steady = epochs > 1  # with one epoch there is no epoch after the first to time without tracing
    for name, side in (("Keras fit", result.plain_keras), (f"population ({members})", result.population)):
        table.add_row(
            name,
            f"{side.seconds_per_member_epoch:.3f}",
            f"{side.seconds_per_member_epoch_steady:.3f}" if steady else "—",
            f"{side.images_per_second:,.0f}",
            f"{100 * side.fraction_of_peak:.1f}%",
            f"{side.times_flop_time:.3g}",
            f"{side.stop_seconds:.2f}",
        )
    console.print(table)
    after_first = (
        f" ({result.speedup_steady:.2f}x without the first epoch's tracing and compiling)"
        if steady
        else " (one epoch only: both sides include tracing and compiling; --epochs 2 or more times the steady speed)"
    )
    console.print(
        f"Population is {result.speedup:.2f}x faster per member-epoch{after_first}. FLOP time: "
        f"{result.gflop_per_member_epoch:.1f} GFLOP at {result.matmul_peak_gflops:.0f} GFLOP/s = "
        f"{result.flop_time_per_member_epoch:.3f} s per member-epoch (float32). "
        f"{layer_ceiling(result)} "
        f"Stop: seconds from a stop request (c, Ctrl-C) to training having stopped. "
        f"Peak memory of this process: {result.peak_rss_gb:.2f} GB"
        + (f"; of the GPU: {result.device_peak_gb:.2f} GB." if result.device_peak_gb is not None else ".")
    )
    if json_path:
        atomic_write_json(json_path, result.to_dict())
        console.print(f"Figures written to {json_path}")
    return 0


def layer_ceiling(result: BenchResult) -> str:
    """What the population's steps can reach at its own shapes: a batch of 32 keeps the matmuls far from the
    square peak, and the steps are mostly matmuls."""
    other = result.precision != "float32"
    peak = f"; {result.precision} peak {result.precision_peak_gflops:.0f} GFLOP/s" if other else ""
    keras = f" Keras fit trains in float32 (the reference), the population in {result.precision}." if other else ""
    return (
        f"The first Dense layer's matmul at the population's shape runs at {result.layer_matmul_gflops:.0f} GFLOP/s "
        f"in {result.precision} ({100 * result.layer_matmul_gflops / result.matmul_peak_gflops:.0f}% of the "
        f"float32 peak{peak}).{keras}"
    )


def run_study_bench_command(
    config: ExperimentConfig, *, pairs: int, seeds_per_pair: int, sample: int, json_path: Path | None
) -> int:
    """`bench --study`: checks its numbers first, then times the map and the plain Keras sample."""
    check_count("--pairs", pairs, len(ALL_PAIRS))
    check_count("--members", seeds_per_pair, MAX_MEMBERS)
    check_count("--sample", sample, pairs * seeds_per_pair, f"the {pairs * seeds_per_pair} runs")
    with stderr_to_log(log_dir() / "tensorflow.log"):
        console = command_console()
        dataset, config = _loaded(console, config)
        from engine.fileio import atomic_write_json
        from engine.studies.benches.study import run_study_bench

        result = run_study_bench(
            config, dataset, pairs=pairs, seeds_per_pair=seeds_per_pair, sample=sample, say=console.print
        )
    runs = pairs * seeds_per_pair
    console.print(
        f"{runs} runs ({pairs} pairs x {seeds_per_pair} seeds), {result.device}, matmul peak "
        f"{result.matmul_peak_gflops:.0f} GFLOP/s:\n"
        f"  as the map trains them ({plural(result.populations, 'population')}): "
        f"{result.population_seconds / 60:.1f} min, "
        f"peak memory {result.population_peak_rss_gb:.2f} GB\n"
        f"  plain Keras, one run at a time: {result.keras_seconds_per_run:.0f} s per run on a sample of "
        f"{result.keras_sample_runs}, so about {result.keras_seconds_estimated / 60:.0f} min for all {runs}\n"
        f"  ratio: {result.speedup:.2f}x"
    )
    if json_path:
        atomic_write_json(json_path, result.to_dict())
        console.print(f"Figures written to {json_path}")
    return 0


def run_settings_bench_command(
    config: ExperimentConfig, *, members: int, epochs: int, sample: int, json_path: Path | None
) -> int:
    """`bench --settings`: populations whose members differ in learning rate or epochs, against one whose members
    share them and against plain Keras."""
    check_count("--members", members, MAX_MEMBERS)
    check_count("--epochs", epochs, 1000)
    check_count("--sample", sample, members, f"the {members} members")
    with stderr_to_log(log_dir() / "tensorflow.log"):
        console = command_console()
        dataset, config = _loaded(console, config)
        from engine.fileio import atomic_write_json
        from engine.studies.benches.settings import run_settings_bench

        tasks = make_tasks(dataset, config.split, seed=0)
        result = run_settings_bench(config, tasks, members, epochs, sample, say=console.print)
    table = Table(title=f"{result.device}, {result.machine}", title_justify="left")
    headers = (
        "population",
        "member-\nepochs",
        "s per\nmember-ep",
        "x shared",
        "x faster\nthan Keras",
        "trained",
        "s per\ntrained",
    )
    for header in headers:
        table.add_column(header, justify="left" if header == "population" else "right", no_wrap=True)
    for case in result.cases:
        table.add_row(
            case.name,
            str(case.member_epochs),
            f"{case.seconds_per_member_epoch:.3f}",
            f"{case.against_shared:.2f}",
            f"{case.against_keras:.2f}",
            str(case.member_epochs_trained),
            f"{case.seconds_per_trained_member_epoch:.3f}",
        )
    console.print(table)
    console.print(
        f"Plain Keras: {result.keras_seconds_per_member_epoch:.3f} s per member-epoch on a sample of "
        f"{plural(result.keras_sample_members, 'member')}. Member-epochs: what the population computes, P members "
        "x its epochs; trained: those of members still training (a member whose epochs are done, or that "
        "diverged, is computed until the longest member ends)."
    )
    if json_path:
        atomic_write_json(json_path, result.to_dict())
        console.print(f"Figures written to {json_path}")
    return 0


def run_tune_bench_command(config: ExperimentConfig, *, sample: int, json_path: Path | None) -> int:
    """`bench --tune`: one arm's trials x seeds as one population against plain Keras one trial at a time."""
    check_count("--sample", sample, config.tune.budget, f"the {config.tune.budget} trials")
    with stderr_to_log(log_dir() / "tensorflow.log"):
        console = command_console()
        dataset, config = _loaded(console, config)
        from engine.fileio import atomic_write_json
        from engine.studies.benches.tune import run_tune_bench

        tasks = make_tasks(dataset, config.split, seed=0)
        seeds = len(config.run.seeds)
        console.print(
            f"B from scratch on {len(tasks.b.y_train)} images, validated on {len(tasks.b.y_valid)} after every "
            f"epoch: {config.tune.budget} trials x {plural(seeds, 'seed')}, {config.tune.epochs} epochs each"
        )
        result = run_tune_bench(config, tasks, sample, say=console.print)
    keras_side = f"plain Keras in {result.keras_seconds_per_trial_epoch:.3f} s"
    sample_said = plural(result.keras_sample_trials, "trial")
    console.print(
        f"{result.device}, {result.machine}: the population trains a trial-epoch in "
        f"{result.population_seconds_per_trial_epoch:.4f} s, {keras_side} (on {sample_said}): "
        f"{result.speedup:.1f}x faster; the whole arm took {result.population_seconds:.1f} s."
    )
    if json_path:
        atomic_write_json(json_path, result.to_dict())
        console.print(f"Figures written to {json_path}")
    return 0


def run_precision_bench_command(config: ExperimentConfig, *, json_path: Path | None) -> int:
    with stderr_to_log(log_dir() / "tensorflow.log"):
        return _precision_bench(config, json_path=json_path)


def _precision_bench(config: ExperimentConfig, *, json_path: Path | None) -> int:
    console = command_console()
    dataset, config = _loaded(console, config)
    from engine.fileio import atomic_write_json
    from engine.studies.benches.precision import LOWER, PRECISIONS_TIMED, run_precision_bench

    seeds = config.run.seeds
    console.print(
        f"The experiment for {plural(len(seeds), 'seed')} in {', then '.join(PRECISIONS_TIMED)}, models A included"
    )
    result = run_precision_bench(config, dataset, say=lambda line: console.print(line))
    flags = ", ".join(result.bfloat16_flags) or "no bfloat16 instructions"
    table = Table(title=f"{result.device}, {result.machine} ({flags}): test accuracy %", title_justify="left")
    for column in ("seed", "precision", "A", "scratch", "B on A", "Δ"):
        table.add_column(column, justify="left" if column == "precision" else "right", no_wrap=True)
    by_seed = {p: {s.seed: s for s in result.runs[p].seeds} for p in PRECISIONS_TIMED}
    for seed in seeds:
        for precision in PRECISIONS_TIMED:
            row = by_seed[precision].get(seed)
            cells = [str(seed) if precision == PRECISIONS_TIMED[0] else "", precision]
            if row is None:
                table.add_row(*cells, *["—"] * 4)
                continue
            difference = "—" if row.difference is None else f"{100 * row.difference:+.2f}"
            cells += [
                f"{100 * row.test_acc_a:.2f}",
                f"{100 * row.test_acc_b_scratch:.2f}",
                f"{100 * row.test_acc_b_transfer:.2f}",
                difference,
            ]
            table.add_row(*cells, end_section=precision == PRECISIONS_TIMED[-1])
    console.print(table)
    for precision in PRECISIONS_TIMED:
        run = result.runs[precision]
        console.print(
            f"{precision}: {run.seconds:.1f} s, {run.seconds_per_member_epoch:.3f} s per member-epoch; "
            f"{run.summary.verdict}"
        )
    for precision in LOWER:
        console.print(f"{precision} ran {result.speedup(precision):.2f}x as fast as float32 per member-epoch.")
        shift = result.shift(precision)
        if shift is None or result.seed_spread is None:
            continue
        side, base = result.runs[precision].side, result.runs["float32"].side
        console.print(
            f"Mean Δ moved by {100 * shift:+.2f} points in {precision}, against a spread of Δ over seeds of "
            f"{100 * result.seed_spread:.2f} points in float32: "
            + ("within one seed's spread" if result.within_spread(precision) else "more than one seed's spread")
            + "; the verdict "
            + (
                f"changed ({base} in float32, {side} in {precision})."
                if result.verdict_changed(precision)
                else f"is the same ({base})."
            )
        )
    if json_path:
        atomic_write_json(json_path, result.to_dict())
        console.print(f"Figures written to {json_path}")
    return 0
