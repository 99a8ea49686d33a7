"""`transfer-tui bench --study`: a whole transfer map trained the way the app trains it (every pair and seed of a
group in one population) against plain Keras one (pair, seed) at a time, measured on a sample of those runs
in the same process. Each plain Keras run is the whole seed schedule (model A, B on A, B from scratch)."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import msgspec

from engine.classes import ALL_PAIRS
from engine.config import ExperimentConfig
from engine.data.fashion_mnist import Dataset
from engine.execution.plan import pair_groups
from engine.progress import EpochDone, RunPlanned
from engine.results.words import plural
from engine.runtime import device_name
from engine.studies.benches.population import matmul_peak_gflops
from engine.studies.experiment import run_experiment

Say = Callable[[str], None]


@dataclass(frozen=True)
class StudyBenchResult:
    pairs: int
    seeds_per_pair: int
    populations: int
    members_per_population: int
    device: str
    matmul_peak_gflops: float
    population_seconds: float
    population_peak_rss_gb: float
    keras_sample_runs: int
    keras_seconds_per_run: float
    keras_seconds_estimated: float
    speedup: float

    def to_dict(self) -> dict:
        return asdict(self)


def with_pairs(config: ExperimentConfig, pairs: list[tuple[int, int]], seeds: tuple[int, ...]) -> ExperimentConfig:
    run = msgspec.structs.replace(config.run, seeds=seeds)
    return msgspec.structs.replace(config, split=config.split.for_pairs(pairs), run=run)


def run_study_bench(
    config: ExperimentConfig, dataset: Dataset, *, pairs: int, seeds_per_pair: int, sample: int, say: Say
) -> StudyBenchResult:
    """The first `pairs` of the 45 pairs with seeds 1..`seeds_per_pair`: once as the map trains them, then
    `sample` of those (pair, seed) runs with plain Keras, one after another; the Keras time of all of them is
    the sample's mean times their number."""
    chosen = list(ALL_PAIRS[:pairs])
    seeds = tuple(range(1, seeds_per_pair + 1))
    peak = matmul_peak_gflops()
    study = with_pairs(config, chosen, seeds)
    groups = pair_groups(study, chosen) if len(chosen) > 1 else [chosen]
    say(
        f"{plural(pairs, 'pair')} x {plural(seeds_per_pair, 'seed')} = {plural(pairs * seeds_per_pair, 'run')} in "
        f"{plural(len(groups), 'population')}; "
        f"matmul peak {peak:.0f} GFLOP/s"
    )

    plan: list = []

    def progress(event: object) -> None:
        if isinstance(event, RunPlanned):
            plan[:] = event.plan
        elif isinstance(event, EpochDone) and event.seed == seeds[0] and plan[event.index].pair == chosen[0]:
            say(f"population  {event.phase} epoch {event.epoch}/{event.epochs}  {event.metrics.seconds:.1f} s")

    started = time.perf_counter()
    run_experiment(study, dataset, listener=progress)
    population_seconds = time.perf_counter() - started
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    say(f"population: {population_seconds:.0f} s, peak memory {peak_rss:.2f} GB")

    sample_runs = [(pair, seed) for seed in seeds for pair in chosen][:sample]
    keras_seconds = []
    for pair, seed in sample_runs:
        started = time.perf_counter()
        run_experiment(with_pairs(config, [pair], (seed,)), dataset)
        keras_seconds.append(time.perf_counter() - started)
        say(f"plain Keras  pair {pair} seed {seed}: {keras_seconds[-1]:.0f} s")
    per_run = sum(keras_seconds) / len(keras_seconds)
    estimated = per_run * pairs * seeds_per_pair
    return StudyBenchResult(
        pairs=pairs,
        seeds_per_pair=seeds_per_pair,
        populations=len(groups),
        members_per_population=max(len(group) for group in groups) * seeds_per_pair,
        device=device_name(config.run.precision),
        matmul_peak_gflops=peak,
        population_seconds=population_seconds,
        population_peak_rss_gb=peak_rss,
        keras_sample_runs=len(sample_runs),
        keras_seconds_per_run=per_run,
        keras_seconds_estimated=estimated,
        speedup=estimated / population_seconds,
    )
