"""The optimizer leaderboard: a fair race, then an honest table.

Every optimizer trains the same network on the same task, from the same initial weights and with
the same data order per seed, for the same number of epochs. The seeds of one optimizer train
together as a population; optimizers run one after another.
"""

from __future__ import annotations

import math

import msgspec

from engine.classes import N_CLASSES
from engine.config import ExperimentConfig, config_to_dict
from engine.config.optimizers import split_learning_rate
from engine.config.search import draws_seed, optimizer_hyperparameters, optimizer_trials
from engine.data.fashion_mnist import Dataset
from engine.data.packing import member_data
from engine.data.split import full_task, tasks_for_seeds, training_labels
from engine.execution.plan import PlanCursor, training_sizes
from engine.kinds import RunContext, RunOptions
from engine.networks.population import Population, member_accuracies
from engine.phases import B_FINETUNE, B_SCRATCH, MODEL_A
from engine.progress import (
    Cancelled,
    EpochDone,
    Listener,
    PlannedPhase,
    ProgressEvent,
    RunPlanned,
    StopToken,
    ignore,
)
from engine.results.leaderboard import LeaderboardResult, OptimizerEntry
from engine.runtime import device_name
from engine.storage.checkpoints import Checkpoints
from engine.studies.models_a import trained_models_a
from engine.studies.tune import TUNE_CHECKPOINT_SECONDS
from engine.training.phase_loop import Session
from engine.training.population_trainer import (
    MemberSettings,
    PopulationTrainer,
    train_planned_group,
    train_planned_phase,
)
from engine.training.starts import initial_model_a, initial_scratch, initial_transfer
from engine.trains import BudgetTrial

# the phase (and so the data order) each task trains under
TASK_PHASES = {"a": MODEL_A, "b_scratch": B_SCRATCH, "b_on_a": B_FINETUNE, "full": MODEL_A}
MULTICLASS_TASKS = ("a", "full")


def plan_leaderboard(config: ExperimentConfig, sizes: dict, n_full: int) -> list[PlannedPhase]:
    """Model A first when the task is B on A, then one entry per optimizer, all seeds together. `sizes` gives
    the pair's (A, B) training set sizes, `n_full` the number of training images of all ten classes."""
    board, seeds = config.leaderboard, tuple(config.run.seeds)
    pair = config.split.pairs[0]
    n_a, n_b = sizes[pair]
    batch = config.run.batch_size
    steps = math.ceil({"a": n_a, "full": n_full}.get(board.task, n_b) / batch)
    plan = []
    if board.task == "b_on_a":
        plan.append(PlannedPhase(MODEL_A, seeds, config.train_a.epochs, math.ceil(n_a / batch), pair))
    plan += [PlannedPhase(TASK_PHASES[board.task], seeds, board.epochs, steps, pair, name) for name in board.optimizers]
    for group, name in enumerate(board.optimizers if board.budget else ()):  # each optimizer's trials train together
        for number in range(board.budget):
            trial = BudgetTrial(name, number)
            plan.append(PlannedPhase(TASK_PHASES[board.task], seeds, board.epochs, steps, pair, None, trial, group))
    return plan


def run_leaderboard(
    config: ExperimentConfig,
    dataset: Dataset,
    *,
    listener: Listener = ignore,
    stop: StopToken | None = None,
    checkpoints: Checkpoints | None = None,
    cursor: PlanCursor | None = None,
) -> LeaderboardResult:
    """Race every optimizer of the config; a stop request keeps the optimizers that finished.
    With `checkpoints`, each optimizer continues from its last saved epoch. `cursor`: a race over several tasks'
    plan, announced already, where this task's entries come next."""
    stop = stop or StopToken()
    board, net, seeds = config.leaderboard, config.network, tuple(config.run.seeds)
    pair = config.split.pairs[0]
    if cursor is None:
        cursor = PlanCursor(race_plan(config, dataset))
        listener(RunPlanned(tuple(cursor.plan)))
    tasks = tasks_for_seeds(dataset, config.split.for_pair(pair), seeds)
    first = tasks[seeds[0]]
    n_classes = len(first.a_classes)
    entries = [OptimizerEntry(name, dict(board.hyperparameters[name])) for name in board.optimizers]
    status = "finished"
    try:
        if board.task == "full":
            seed_tasks, outputs = [full_task(dataset, config.split)] * len(seeds), (N_CLASSES, "softmax")
            starts = [initial_model_a(net, seed, N_CLASSES) for seed in seeds]
        elif board.task == "a":
            starts = [initial_model_a(net, seed, n_classes) for seed in seeds]
            seed_tasks, outputs = [tasks[s].a for s in seeds], (n_classes, "softmax")
        else:
            seed_tasks, outputs = [tasks[s].b for s in seeds], (1, "sigmoid")
            if board.task == "b_scratch":
                starts = [initial_scratch(net, seed) for seed in seeds]
            else:
                starts = _transfer_starts(config, dataset, tasks, cursor, listener, stop, checkpoints)
        data = member_data(seed_tasks)
        phase = TASK_PHASES[board.task]
        for entry in entries:
            index, planned = cursor.take(phase, seeds)
            entry.status = "running"
            timing = _EpochSeconds(entry, listener)
            learning_rate, others = split_learning_rate(entry.hyperparameters)
            trainer = PopulationTrainer(
                Population(
                    net, *outputs, starts, precision=config.run.precision
                ),  # the same starting weights for every optimizer
                binary=board.task not in MULTICLASS_TASKS,
                optimizer=entry.name,
                learning_rate=learning_rate,
                hyperparameters=others,
            )
            session = Session(timing, stop, checkpoints, config.run.batch_size)
            histories = train_planned_phase(trainer, data, index=index, planned=planned, session=session)
            entry.histories = {seed: history.as_dict() for seed, history in zip(seeds, histories, strict=True)}
            entry.diverged_seeds = [seed for seed, history in zip(seeds, histories, strict=True) if history.diverged]
            entry.status = "diverged" if len(entry.diverged_seeds) == len(seeds) else "finished"
        for entry in entries if board.budget else ():
            entry.trials = _tuned(config, entry, seed_tasks, outputs, starts, cursor, listener, stop, checkpoints)
    except Cancelled:
        status = "cancelled"
        for entry in entries:
            if entry.status in ("pending", "running"):
                entry.status = "cancelled"
    return LeaderboardResult(config_to_dict(config), entries, status, device_name(config.run.precision))


def _tuned(config, entry: OptimizerEntry, seed_tasks, outputs, starts, cursor, listener, stop, checkpoints) -> list:
    """One optimizer's trials at an equal budget, all trials x seeds as one population from the race's starts,
    each with its own hyperparameters and keeping its best validation epoch; what each gave."""
    board, net, seeds = config.leaderboard, config.network, tuple(config.run.seeds)
    tune = config.tune
    drawn = [  # each seed's trials (the same for every optimizer, so that they pair up within a seed)
        optimizer_trials(entry.name, board.space == "extended", board.budget, draws_seed(tune.draw_seed, tune.draws, s))
        for s in seeds
    ]
    members = [(number, drawn[index][number], index) for number in range(board.budget) for index in range(len(seeds))]
    population = Population(net, *outputs, [starts[index] for _, _, index in members], precision=config.run.precision)
    settings = [
        MemberSettings.of(optimizer_hyperparameters(entry.hyperparameters, values), epochs=board.epochs, keep_best=True)
        for _, values, _ in members
    ]
    trainer = PopulationTrainer(
        population,
        binary=board.task not in MULTICLASS_TASKS,
        optimizer=entry.name,
        learning_rate=settings[0].learning_rate,
        members=settings,
    )
    phase = TASK_PHASES[board.task]
    planned = [cursor.take(phase, seeds, BudgetTrial(entry.name, number)) for number in range(board.budget)]
    session = Session(listener, stop, checkpoints, config.run.batch_size, TUNE_CHECKPOINT_SECONDS)
    histories = train_planned_group(trainer, member_data(seed_tasks * board.budget), planned, session)
    test = seed_tasks[0]
    accuracies = member_accuracies(population, test.x_test, test.y_test)
    return [
        {
            "number": number,
            "seed": seeds[index],
            "values": values,
            "val_accuracy": max(history.val_accuracy, default=0.0),
            "test_accuracy": accuracy,
            "best_epoch": history.best_epoch,
            "diverged": history.diverged,
        }
        for (number, values, index), history, accuracy in zip(members, histories, accuracies, strict=True)
    ]


class _EpochSeconds:
    """Passes events on, noting each population epoch's wall time once (it is the same for every member)."""

    def __init__(self, entry: OptimizerEntry, listener: Listener) -> None:
        self.entry, self.listener = entry, listener

    def __call__(self, event: ProgressEvent) -> None:
        if isinstance(event, EpochDone) and event.epoch == len(self.entry.epoch_seconds) + 1:
            self.entry.epoch_seconds.append(event.metrics.seconds)
        self.listener(event)


def _transfer_starts(config, dataset, tasks, cursor, listener, stop, checkpoints) -> list:
    """Train model A once (with [train_a]'s optimizer) for all seeds, then build each seed's B on A."""
    session = Session(listener, stop, checkpoints, config.run.batch_size)
    models_a = trained_models_a(config, dataset, config.split.pairs[0], tasks, cursor, session)
    return [initial_transfer(model, seed) for model, seed in zip(models_a, config.run.seeds, strict=True)]


def race_plan(config: ExperimentConfig, dataset: Dataset) -> list[PlannedPhase]:
    """The race's plan, from the data's sizes alone."""
    n_full = len(training_labels(dataset, config.split))
    return plan_leaderboard(config, training_sizes(dataset, config), n_full)


def plan_kind(config: ExperimentConfig, dataset: Dataset, _options: RunOptions, _indexed: bool) -> list[PlannedPhase]:
    """A unit's race plan: as in-process, whatever the options."""
    return race_plan(config, dataset)


def unit_words(config: ExperimentConfig) -> str:
    """A unit of a leaderboard races some of the optimizers."""
    return ",".join(config.leaderboard.optimizers)


def cut_kind(config: ExperimentConfig, workers: int) -> list[tuple[ExperimentConfig, bool]]:
    """Units: the optimizers in shares, each racing all seeds from the same starts as here; when every optimizer
    starts from a model A trained first, one unit, so that A is trained once."""
    board = config.leaderboard
    if board.task == "b_on_a":
        return [(config, False)]
    count = min(workers, len(board.optimizers))
    shares = [board.optimizers[number::count] for number in range(count)]
    return [
        (msgspec.structs.replace(config, leaderboard=msgspec.structs.replace(board, optimizers=share)), False)
        for share in shares
    ]


def run_kind(config: ExperimentConfig, dataset: Dataset, context: RunContext) -> LeaderboardResult:
    """The leaderboard as a kind of run (a race keeps its numbers, not its models)."""
    return run_leaderboard(
        config, dataset, listener=context.listener, stop=context.stop, checkpoints=context.checkpoints
    )
