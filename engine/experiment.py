"""The transfer experiment: model A, B on A (frozen, then fine-tuned) and B from scratch, for every seed and
every class pair of the config.

`run_experiment` is the engine's one entry point for "train these models for these seeds"; callers
get per-seed results and progress messages and never see how the training is done: one seed trains
as plain Keras models, several seeds train together as populations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from engine.checkpoints import Checkpoints
from engine.config import ExperimentConfig, config_to_dict
from engine.data import Dataset
from engine.errors import ConfigError
from engine.model_cache import ModelACache, cache_key
from engine.models import load_model_a, save_model
from engine.paths import model_file
from engine.phases import B_FINETUNE, B_FROZEN, B_SCRATCH, MODEL_A
from engine.progress import Cancelled, Listener, PlannedPhase, RunPlanned, StopToken, ignore
from engine.results import ExperimentResult, SeedResult
from engine.runtime import device_name, keras
from engine.split import N_VALID, tasks_for_seeds
from engine.training import PhaseHistory

Sizes = dict[tuple[int, int], tuple[int, int]]


@dataclass(frozen=True)
class ReadyA:
    """A model A that need not be trained: the user's file (no history of ours), or one from the cache."""

    model: keras.Model
    history: PhaseHistory | None
    users_file: bool


RememberA = Callable[[int, keras.Model, PhaseHistory], None]


def plan_phases(
    config: ExperimentConfig, sizes: Sizes, ready: dict[tuple[int, int], set[int]] | None = None
) -> list[PlannedPhase]:
    """Every phase that will run, in order: per pair, then per seed (one seed) or for all seeds at once (several).
    `sizes` gives each pair's (A, B) training set sizes; `ready` the seeds whose model A need not be trained
    (a population trains A unless every seed has one). Phases with zero epochs are left out."""
    seeds = config.run.seeds
    groups = [(seed,) for seed in seeds] if len(seeds) == 1 else [tuple(seeds)]
    transfer = config.transfer
    plan = []
    for pair, (n_train_a, n_train_b) in sizes.items():
        steps_a = math.ceil(n_train_a / config.run.batch_size)
        steps_b = math.ceil(n_train_b / config.run.batch_size)
        for group in groups:
            a_ready = set(group) <= (ready or {}).get(pair, set())
            phases = [
                (MODEL_A, 0 if a_ready else config.train_a.epochs, steps_a),
                (B_FROZEN, transfer.frozen_epochs, steps_b),
                (B_FINETUNE, transfer.unfrozen_epochs, steps_b),
                (B_SCRATCH, transfer.frozen_epochs + transfer.unfrozen_epochs, steps_b),
            ]
            plan += [PlannedPhase(phase, group, epochs, steps, pair) for phase, epochs, steps in phases if epochs > 0]
    return plan


def training_sizes(dataset: Dataset, config: ExperimentConfig) -> Sizes:
    """Each pair's number of A and B training images, from the labels alone (no copy of the images)."""
    labels = dataset.y_train[N_VALID:]
    sizes = {}
    for pair in config.split.pairs:
        n_b = int(np.isin(labels, pair).sum())
        sizes[pair] = (len(labels) - n_b, min(config.split.n_train_b, n_b))
    return sizes


@dataclass
class Runner:
    """What both ways of training share: the config, the plan, where progress goes, and what to keep."""

    config: ExperimentConfig
    cursor: PlanCursor
    listener: Listener
    stop: StopToken
    save_dir: Path | None
    checkpoints: Checkpoints | None = None

    def phase_optimizer(self, phase: str) -> tuple[str, float]:
        """The optimizer and learning rate a phase trains with."""
        transfer = self.config.transfer
        return {
            MODEL_A: (self.config.train_a.optimizer, self.config.train_a.learning_rate),
            B_FROZEN: (transfer.optimizer, transfer.frozen_learning_rate),
            B_FINETUNE: (transfer.optimizer, transfer.unfrozen_learning_rate),
            B_SCRATCH: (transfer.optimizer, transfer.scratch_learning_rate),
        }[phase]

    def seed_result(
        self,
        pair: tuple[int, int],
        seed: int,
        accuracies: tuple[float, float, float],
        histories: dict[str, PhaseHistory],
        models: dict[str, keras.Model],
    ) -> SeedResult:
        """Save a seed's trained models in the run folder (if it keeps them) and say what the seed gave.
        `accuracies` are the test accuracies of A, B from scratch and B on A; `models` is keyed by role."""
        model_files = {}
        if self.save_dir is not None:
            for role, model in models.items():
                model_files[role] = str(save_model(model, model_file(self.save_dir, pair, seed, role)))
        acc_a, acc_scratch, acc_transfer = accuracies
        return SeedResult(
            seed=seed,
            b_classes=pair,
            test_acc_a=acc_a,
            test_acc_b_scratch=acc_scratch,
            test_acc_b_transfer=acc_transfer,
            history={phase: history.as_dict() for phase, history in histories.items()},
            diverged=next((phase for phase, history in histories.items() if history.diverged), None),
            model_files=model_files,
        )


def _ready_models_a(
    model_a_file: Path | None, cache: ModelACache | None, every: list[tuple], keys: dict[tuple, str]
) -> dict[tuple[int, int], dict[int, ReadyA]]:
    """Per pair and seed, the models A that are there already: the user's file, or cached ones."""
    ready: dict[tuple[int, int], dict[int, ReadyA]] = {}
    if model_a_file is not None:
        loaded = load_model_a(model_a_file)
        for pair, seed in every:
            ready.setdefault(pair, {})[seed] = ReadyA(loaded, None, users_file=True)
    elif cache is not None:
        for (pair, seed), key in keys.items():
            cached = cache.load(key)
            if cached is not None:
                ready.setdefault(pair, {})[seed] = ReadyA(cached.model, cached.history, users_file=False)
    return ready


class PlanCursor:
    """Hands out plan entries in order, so runners and the plan can never disagree silently."""

    def __init__(self, plan: list[PlannedPhase]) -> None:
        self.plan = plan
        self.next_index = 0

    def take(self, phase: str, seeds: tuple[int, ...]) -> tuple[int, PlannedPhase]:
        index = self.next_index
        planned = self.plan[index]
        if (planned.phase, planned.seeds) != (phase, seeds):
            raise RuntimeError(f"plan entry {index} is {planned}, not {phase} for {seeds}")
        self.next_index += 1
        return index, planned


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
) -> ExperimentResult:
    """Run every pair and seed of `config`; a stop request ends the run with status 'cancelled' and what finished.
    With `checkpoints`, every phase continues from its last saved epoch and saves after each one. With
    `model_a_cache`, a model A trained before with the same settings, seed and data is reused, not retrained."""
    from engine.population_run import PopulationRunner
    from engine.sequential import SequentialRunner

    stop = stop or StopToken()
    pairs = config.split.pairs
    if model_a_file and len(pairs) > 1:
        raise ConfigError.about("split.extra_pairs", "cannot be combined with --model-a: a model A fits one pair")
    every = [(pair, seed) for pair in pairs for seed in config.run.seeds]
    keys = {run: cache_key(config, *run, dataset) for run in every} if model_a_cache else {}
    ready = _ready_models_a(model_a_file, model_a_cache, every, keys)
    cursor = PlanCursor(
        plan_phases(config, training_sizes(dataset, config), {p: set(by_seed) for p, by_seed in ready.items()})
    )
    listener(RunPlanned(tuple(cursor.plan)))
    runner_type = SequentialRunner if len(config.run.seeds) == 1 else PopulationRunner
    runner = runner_type(config, cursor, listener, stop, save_dir, checkpoints)
    results: list[SeedResult] = []
    status = "finished"
    try:
        for pair in pairs:
            tasks = tasks_for_seeds(dataset, replace(config.split, b_classes=pair), config.run.seeds)

            def remember(seed: int, model: keras.Model, history: PhaseHistory, pair: tuple = pair) -> None:
                if model_a_cache is not None and not history.diverged:
                    model_a_cache.store(keys[(pair, seed)], model, history)

            results += runner.run(pair, tasks, ready.get(pair, {}), remember)
    except Cancelled:
        status = "cancelled"
    return ExperimentResult(config_to_dict(config), results, status, device_name())
