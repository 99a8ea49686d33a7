"""The plan of a run: every phase that will train, in order, and what each runner needs to follow it.

Both training paths (one seed at a time, or all seeds as a population) and every study consume the same plan
through a PlanCursor, so a runner and the plan can never disagree silently.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.config import ExperimentConfig
from engine.data.fashion_mnist import Dataset
from engine.data.split import training_labels
from engine.networks.sizes import members_per_population
from engine.phases import B_FINETUNE, B_FROZEN, B_SCRATCH, MODEL_A
from engine.progress import PlannedPhase
from engine.results.history import PhaseHistory
from engine.runtime import keras
from engine.trains import Trains

Sizes = dict[tuple[int, int], tuple[int, int]]


@dataclass(frozen=True)
class ReadyA:
    """A model A that need not be trained: the user's file (no history of ours), or one from the cache."""

    model: keras.Model
    history: PhaseHistory | None
    users_file: bool


Member = tuple[tuple[int, int], int]  # a class pair and a seed
RememberA = Callable[[Member, keras.Model, PhaseHistory], None]  # keeps a newly trained model A (the cache)


def plan_phases(
    config: ExperimentConfig,
    sizes: Sizes,
    ready: dict[tuple[int, int], set[int]] | None = None,
    *,
    indexed: bool = False,
) -> list[PlannedPhase]:
    """Every phase that will run, in order. One pair: per seed (one seed) or for all seeds at once (several).
    Several pairs: the pairs in groups that train as one population each (as many as memory allows), every
    phase of a group for all its pairs at once, one entry per pair. `sizes` gives each pair's (A, B) training
    set sizes; `ready` the seeds whose model A need not be trained (a population trains A unless every member
    has one). `indexed`: plan one pair as a group, as several pairs are. Phases with zero epochs are left out."""
    seeds = config.run.seeds
    plan = []
    if len(sizes) > 1 or indexed:
        for number, group in enumerate(pair_groups(config, list(sizes))):
            a_ready = all(set(seeds) <= (ready or {}).get(pair, set()) for pair in group)
            by_pair = [_pair_phases(config, sizes[pair], a_ready) for pair in group]
            for phase_entries in zip(*by_pair, strict=True):
                plan += [
                    PlannedPhase(phase, tuple(seeds), epochs, steps, pair, group=number)
                    for pair, (phase, epochs, steps) in zip(group, phase_entries, strict=True)
                    if epochs > 0
                ]
        return plan
    groups = [(seed,) for seed in seeds] if len(seeds) == 1 else [tuple(seeds)]
    for pair, pair_sizes in sizes.items():
        for group in groups:
            a_ready = set(group) <= (ready or {}).get(pair, set())
            phases = _pair_phases(config, pair_sizes, a_ready)
            plan += [PlannedPhase(phase, group, epochs, steps, pair) for phase, epochs, steps in phases if epochs > 0]
    return plan


def _pair_phases(config: ExperimentConfig, pair_sizes: tuple[int, int], a_ready: bool) -> list[tuple[str, int, int]]:
    """(phase, epochs, steps per epoch) of one pair, in training order."""
    n_train_a, n_train_b = pair_sizes
    steps_a = math.ceil(n_train_a / config.run.batch_size)
    steps_b = math.ceil(n_train_b / config.run.batch_size)
    transfer = config.transfer
    scratch = [(B_SCRATCH, transfer.frozen_epochs + transfer.unfrozen_epochs, steps_b)]
    on_a = [(B_FROZEN, transfer.frozen_epochs, steps_b), (B_FINETUNE, transfer.unfrozen_epochs, steps_b)]
    # the selffer control (source "b") reuses the scratch model, so that trains first
    b_phases = scratch + on_a if transfer.source == "b" else on_a + scratch
    return [(MODEL_A, 0 if a_ready else config.train_a.epochs, steps_a), *b_phases]


def pair_groups(config: ExperimentConfig, pairs: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """The pairs cut into groups that each train as one population: all seeds of a pair stay together, and a
    group holds as many pairs as run.population_memory_gb allows."""
    run = config.run
    members = members_per_population(config.network, run.batch_size, run.population_memory_gb)
    per_group = max(1, members // len(run.seeds))
    return [pairs[start : start + per_group] for start in range(0, len(pairs), per_group)]


def training_sizes(dataset: Dataset, config: ExperimentConfig) -> Sizes:
    """Each pair's number of A and B training images, from the labels alone (no copy of the images)."""
    labels = training_labels(dataset, config.split)
    sizes = {}
    for pair in config.split.pairs:
        n_b = int(np.isin(labels, pair).sum())
        sizes[pair] = (len(labels) - n_b, min(config.split.n_train_b, n_b))
    return sizes


class PlanCursor:
    """Hands out plan entries in order, so runners and the plan can never disagree silently."""

    def __init__(self, plan: list[PlannedPhase]) -> None:
        self.plan = plan
        self.next_index = 0
        self.trains: Trains | None = None  # what the entries taken without naming it train (a map's network)

    def take(self, phase: str, seeds: tuple[int, ...], trains: Trains | None = None) -> tuple[int, PlannedPhase]:
        index = self.next_index
        planned = self.plan[index]
        trains = trains if trains is not None else self.trains
        if (planned.phase, planned.seeds, planned.trains) != (phase, seeds, trains):
            raise RuntimeError(f"plan entry {index} is {planned}, not {phase} {trains or ''} for {seeds}")
        self.next_index += 1
        return index, planned

    def take_group(self, phase: str) -> list[tuple[int, PlannedPhase]]:
        """The next entries that train together in `phase` (a group's, one per trial or pair, each for the seeds it
        names), as the plan has them: a runner that follows them cannot drift from the plan."""
        if self.next_index >= len(self.plan) or self.plan[self.next_index].phase != phase:
            found = self.plan[self.next_index] if self.next_index < len(self.plan) else "the end"
            raise RuntimeError(f"plan entry {self.next_index} is {found}, not a group in {phase}")
        first = self.plan[self.next_index]
        taken = []
        while self.next_index < len(self.plan) and (
            (planned := self.plan[self.next_index]).group == first.group and planned.phase == phase
        ):
            taken.append(self.take(phase, planned.seeds, planned.trains))
        return taken

    def take_all(self, seeds: tuple[int, ...], trains: Trains) -> list[tuple[int, PlannedPhase]]:
        """The next entries that train `trains` (a sweep cell's frozen and fine-tuned phases, those the plan has):
        a runner that trains what they say cannot drift from the plan."""
        taken = []
        while self.next_index < len(self.plan) and self.plan[self.next_index].trains == trains:
            planned = self.plan[self.next_index]
            taken.append(self.take(planned.phase, seeds, trains))
        return taken
