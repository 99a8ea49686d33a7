"""The transfer experiment: model A, B on A (frozen, then fine-tuned) and B from scratch, for every seed and
every class pair of the config.

`run_experiment` is the engine's one entry point for "train these models for these seeds"; callers
get per-seed results and progress messages and never see how the training is done: one seed trains
as plain Keras models, several seeds train together as populations.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import msgspec

from engine.config import ExperimentConfig, config_to_dict
from engine.data.fashion_mnist import Dataset
from engine.data.pair_index import SharedImages
from engine.data.split import tasks_for_seeds
from engine.errors import ConfigError
from engine.execution.plan import Member, PlanCursor, ReadyA, pair_groups, plan_phases, training_sizes
from engine.execution.population_runner import PopulationRunner, indexed_member_tasks, shared_tasks
from engine.execution.sequential import SequentialRunner
from engine.kinds import RunContext, RunOptions
from engine.networks.model_files import check_reusable, load_model_a
from engine.progress import Cancelled, Listener, PlannedPhase, RunPlanned, StopToken, ignore
from engine.results.experiment import ExperimentResult, SeedResult
from engine.results.history import PhaseHistory
from engine.runtime import device_name, keras
from engine.storage.checkpoints import Checkpoints
from engine.storage.model_cache import ModelACache, cache_key
from engine.trains import Network


def _ready_models_a(
    config: ExperimentConfig,
    model_a_file: Path | None,
    cache: ModelACache | None,
    every: list[Member],
    keys: dict[Member, str],
) -> dict[Member, ReadyA]:
    """Per member (pair and seed), the models A that are there already: the user's file, or cached ones."""
    ready: dict[Member, ReadyA] = {}
    if model_a_file is not None:
        loaded = load_model_a(model_a_file)
        check_reusable(loaded, model_a_file, config.network, config.transfer.reuse_layers, len(config.run.seeds))
        ready = {member: ReadyA(loaded, None, users_file=True) for member in every}
    elif cache is not None:
        for member, key in keys.items():
            cached = cache.load(key)
            if cached is not None:
                ready[member] = ReadyA(cached.model, cached.history, users_file=False)
    return ready


@dataclass(frozen=True)
class Prepared:
    """An experiment ready to train: the models A already there, the cache keys and the plan (its entries named
    by what they train when several experiments share one plan, as the networks of a map do)."""

    config: ExperimentConfig
    ready: dict[Member, ReadyA]
    keys: dict[Member, str]
    plan: list[PlannedPhase]
    trains: Network | None = None
    indexed: bool = False  # train the pairs as indexed populations, also a lone pair (a unit of a larger run)


def prepare_experiment(
    config: ExperimentConfig,
    dataset: Dataset,
    *,
    model_a_file: Path | None = None,
    model_a_cache: ModelACache | None = None,
    trains: Network | None = None,
    indexed: bool = False,
) -> Prepared:
    """Find the models A that need no training and plan the rest."""
    pairs = config.split.pairs
    if model_a_file and len(pairs) > 1:
        raise ConfigError.about("split.extra_pairs", "cannot be combined with --model-a: a model A fits one pair")
    every = [(pair, seed) for pair in pairs for seed in config.run.seeds]
    keys = {run: cache_key(config, *run, dataset) for run in every} if model_a_cache else {}
    ready = _ready_models_a(config, model_a_file, model_a_cache, every, keys)
    ready_seeds: dict[tuple[int, int], set[int]] = {}
    for pair, seed in ready:
        ready_seeds.setdefault(pair, set()).add(seed)
    plan = plan_phases(config, training_sizes(dataset, config), ready_seeds, indexed=indexed)
    if trains is not None:
        plan = [dataclasses.replace(planned, trains=trains) for planned in plan]
    return Prepared(config, ready, keys, plan, trains, indexed)


def run_experiment(
    config: ExperimentConfig,
    dataset: Dataset,
    *,
    listener: Listener = ignore,
    stop: StopToken | None = None,
    model_a_file: Path | None = None,
    save_dir: Path | None = None,
    checkpoints: Checkpoints | None = None,
    model_a_cache: ModelACache | None = None,
    indexed: bool = False,
) -> ExperimentResult:
    """Run every pair and seed of `config`; a stop request ends the run with status 'cancelled' and what finished.
    With `checkpoints`, every phase continues from its last saved epoch and saves after each one. With
    `model_a_cache`, a model A trained before with the same settings, seed and data is reused, not retrained."""
    prepared = prepare_experiment(
        config, dataset, model_a_file=model_a_file, model_a_cache=model_a_cache, indexed=indexed
    )
    cursor = PlanCursor(prepared.plan)
    listener(RunPlanned(tuple(cursor.plan)))
    return run_prepared(prepared, dataset, cursor, listener, stop or StopToken(), save_dir, checkpoints, model_a_cache)


def run_prepared(
    prepared: Prepared,
    dataset: Dataset,
    cursor: PlanCursor,
    listener: Listener,
    stop: StopToken,
    save_dir: Path | None,
    checkpoints: Checkpoints | None,
    model_a_cache: ModelACache | None,
) -> ExperimentResult:
    """Train a prepared experiment, taking its entries from `cursor` (which may hold other experiments' too)."""
    config, ready, keys = prepared.config, prepared.ready, prepared.keys
    pairs = config.split.pairs
    cursor.trains = prepared.trains
    results: list[SeedResult] = []
    status = "finished"

    def remember(member: Member, model: keras.Model, history: PhaseHistory) -> None:
        if model_a_cache is not None and not history.diverged:
            model_a_cache.store(keys[member], model, history)

    seeds = config.run.seeds
    try:
        if len(pairs) > 1 or prepared.indexed:
            runner = PopulationRunner(config, cursor, listener, stop, save_dir, checkpoints)
            images = SharedImages.of(dataset)
            for group in pair_groups(config, pairs):
                members = [(pair, seed) for pair in group for seed in seeds]
                tasks = indexed_member_tasks(dataset, images, config, members)
                results += runner.run(members, tasks, ready, remember)
        elif len(seeds) > 1:
            runner = PopulationRunner(config, cursor, listener, stop, save_dir, checkpoints)
            for pair in pairs:
                by_seed = tasks_for_seeds(dataset, config.split.for_pair(pair), seeds)
                members = [(pair, seed) for seed in seeds]
                results += runner.run(members, shared_tasks([by_seed[seed] for seed in seeds]), ready, remember)
        else:
            sequential = SequentialRunner(config, cursor, listener, stop, save_dir, checkpoints)
            for pair in pairs:
                tasks = tasks_for_seeds(dataset, config.split.for_pair(pair), seeds)
                results += sequential.run(pair, tasks, ready, remember)
    except Cancelled:
        status = "cancelled"
    return ExperimentResult(config_to_dict(config), results, status, device_name(config.run.precision))


def run_kind(config: ExperimentConfig, dataset: Dataset, context: RunContext) -> ExperimentResult:
    """The experiment as a kind of run: its options say whether to start from the user's model A, use the
    model A cache, and keep the trained models in the run folder."""
    options = context.options
    return run_experiment(
        config,
        dataset,
        listener=context.listener,
        stop=context.stop,
        model_a_file=Path(options.model_a) if options.model_a else None,
        save_dir=context.run_dir if options.save_models else None,
        checkpoints=context.checkpoints,
        model_a_cache=ModelACache() if options.use_cache else None,
        indexed=context.indexed,
    )


def plan_kind(config: ExperimentConfig, dataset: Dataset, options: RunOptions, indexed: bool) -> list[PlannedPhase]:
    """The plan of a unit on a cluster, where no model A comes from the cache (a worker's disk is not ours); the
    user's model A file, read (and checked) here, stands for every seed's model A."""
    model_a_file = Path(options.model_a) if options.model_a else None
    return prepare_experiment(config, dataset, indexed=indexed, model_a_file=model_a_file).plan


def unit_words(_config: ExperimentConfig) -> str:
    """A unit of an experiment is told apart by its pairs and seeds alone."""
    return ""


def cut_kind(config: ExperimentConfig, workers: int) -> list[tuple[ExperimentConfig, bool]]:
    """Units: one pair's seeds train as one population, so they are one unit; several pairs are cut into the
    groups they train in here (`run.population_memory_gb` sets their size), each pair trained as indexed."""
    pairs = config.split.pairs
    if len(pairs) == 1:
        return [(config, False)]
    return [
        (msgspec.structs.replace(config, split=config.split.for_pairs(group)), True)
        for group in pair_groups(config, pairs)
    ]
