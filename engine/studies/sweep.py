"""The layer sweep: which layers transfer, frozen or fine-tuned, against the selffer control (Yosinski et al. 2014).

Model A and B from scratch are trained once per seed (all seeds as one population) and reused by every cell.
Each (treatment, depth) cell then trains as one population over the seeds: the first n hidden layers come from
A (AnB) or from the seed's own trained scratch B (BnB), the layers above start as the scratch B started, and
the reused layers stay frozen (AnB, BnB) or are fine-tuned after the frozen epochs (AnB+, BnB+).
"""

from __future__ import annotations

import math

from engine.config import ExperimentConfig, config_to_dict
from engine.config.arms import parse_arm
from engine.data.fashion_mnist import Dataset
from engine.data.packing import member_data
from engine.data.split import tasks_for_seeds
from engine.errors import ConfigError
from engine.execution.plan import PlanCursor, training_sizes
from engine.execution.runner import phase_optimizer
from engine.kinds import RunContext, RunOptions
from engine.networks.population import Population, member_accuracies
from engine.phases import B_FINETUNE, B_FROZEN, B_SCRATCH, MODEL_A, frozen_layers
from engine.progress import Cancelled, Listener, PartDone, PlannedPhase, RunPlanned, StopToken, ignore
from engine.results.study import StudyCell, StudyResult
from engine.runtime import device_name
from engine.storage.checkpoints import Checkpoints
from engine.storage.model_cache import ModelACache
from engine.studies.models_a import cached_models_a, trained_models_a
from engine.training.phase_loop import Session
from engine.training.population_trainer import PopulationTrainer, train_planned_phase
from engine.training.starts import initial_scratch, initial_transfer
from engine.trains import SweepCell


def sweep_cells(config: ExperimentConfig) -> list[StudyCell]:
    """Every (treatment, depth) the config asks for, depth by depth; n = 0 is baseB, trained once."""
    return [StudyCell(t, n) for n in config.study_layers if n > 0 for t in config.study.treatments]


def sweep_cell(cell: StudyCell) -> SweepCell:
    """A cell of the sweep as its plan entries name it: the arm its treatment is at its depth (AnB+:2)."""
    return SweepCell(parse_arm(f"{cell.treatment}:{cell.layers}"))


def plan_sweep(config: ExperimentConfig, steps: tuple[int, int], a_ready: bool) -> list[PlannedPhase]:
    """Model A (unless every seed has one, or no treatment reuses A), B from scratch, then each cell's frozen
    and unfrozen phases. `steps` are the steps per epoch on task A and on task B."""
    seeds, pair, transfer = tuple(config.run.seeds), config.split.pairs[0], config.transfer
    cells = sweep_cells(config)
    plan = []
    if not a_ready and any(cell.treatment.startswith("A") for cell in cells):
        plan.append(PlannedPhase(MODEL_A, seeds, config.train_a.epochs, steps[0], pair))
    epochs_b = transfer.frozen_epochs + transfer.unfrozen_epochs
    plan.append(PlannedPhase(B_SCRATCH, seeds, epochs_b, steps[1], pair))
    for cell in cells:
        for phase, epochs in ((B_FROZEN, transfer.frozen_epochs), (B_FINETUNE, transfer.unfrozen_epochs)):
            if epochs:
                plan.append(PlannedPhase(phase, seeds, epochs, steps[1], pair, trains=sweep_cell(cell)))
    return plan


def _sweep_plan(config: ExperimentConfig, dataset: Dataset, a_ready: bool) -> list[PlannedPhase]:
    n_a, n_b = training_sizes(dataset, config)[config.split.pairs[0]]
    batch = config.run.batch_size
    return plan_sweep(config, (math.ceil(n_a / batch), math.ceil(n_b / batch)), a_ready)


def run_sweep(
    config: ExperimentConfig,
    dataset: Dataset,
    *,
    listener: Listener = ignore,
    stop: StopToken | None = None,
    checkpoints: Checkpoints | None = None,
    model_a_cache: ModelACache | None = None,
) -> StudyResult:
    """Run the layer sweep of `config` ([study] layers and treatments, over [run] seeds); a stop request ends it
    with status 'cancelled' and the cells that finished."""
    if config.split.extra_pairs:
        raise ConfigError.about("split.extra_pairs", "must be empty for a layer sweep: it studies one pair")
    stop = stop or StopToken()
    seeds, net, pair = tuple(config.run.seeds), config.network, config.split.pairs[0]
    cached = cached_models_a(config, dataset, pair, model_a_cache)
    a_ready = cached is not None
    session = Session(listener, stop, checkpoints, config.run.batch_size)
    cursor = PlanCursor(_sweep_plan(config, dataset, a_ready))
    listener(RunPlanned(tuple(cursor.plan)))
    tasks = tasks_for_seeds(dataset, config.split, seeds)
    first = tasks[seeds[0]]
    n_classes = len(first.a_classes)
    task_b = member_data([tasks[s].b for s in seeds])
    result = StudyResult(
        config_to_dict(config), sweep_cells(config), {}, {}, "finished", device_name(config.run.precision)
    )

    def train(population: Population, data, index: int, planned: PlannedPhase) -> list:
        """Train the plan's entry `index`; a sweep cell's reused layers stay frozen as its phase and arm say."""
        phase, cell = planned.phase, planned.trains
        frozen = 0 if cell is None else frozen_layers(phase, cell.arm.depth, cell.arm.fine_tune)
        optimizer, learning_rate = phase_optimizer(config, phase)
        trainer = PopulationTrainer(
            population, binary=phase != MODEL_A, optimizer=optimizer, learning_rate=learning_rate, frozen=frozen
        )
        return train_planned_phase(trainer, data, index=index, planned=planned, session=session)

    try:
        models_a = []
        if cursor.plan[0].phase == MODEL_A:
            models_a = trained_models_a(config, dataset, pair, tasks, cursor, session, model_a_cache)
        elif a_ready:
            models_a = cached
        if models_a:
            population_a = Population(net, n_classes, "softmax", models_a, precision=config.run.precision)
            accuracy_a = member_accuracies(population_a, first.a.x_test, first.a.y_test)
            result.accuracy_a = dict(zip(seeds, accuracy_a, strict=True))

        scratch = Population(
            net, 1, "sigmoid", [initial_scratch(net, s) for s in seeds], precision=config.run.precision
        )
        train(scratch, task_b, *cursor.take(B_SCRATCH, seeds))
        result.baseline = dict(zip(seeds, member_accuracies(scratch, first.b.x_test, first.b.y_test), strict=True))
        listener(PartDone(result.copy()))
        models_b = [scratch.member_model(m, "b_scratch") for m in range(len(seeds))]

        for cell in result.cells:
            sources = models_a if cell.treatment.startswith("A") else models_b
            starts = [initial_transfer(src, seed, net, cell.layers) for src, seed in zip(sources, seeds, strict=True)]
            population = Population(net, 1, "sigmoid", starts, precision=config.run.precision)
            diverged: set[int] = set()
            for index, planned in cursor.take_all(seeds, sweep_cell(cell)):  # its phases, as the plan has them
                histories = train(population, task_b, index, planned)
                diverged |= {seed for seed, h in zip(seeds, histories, strict=True) if h.diverged}
            accuracies = member_accuracies(population, first.b.x_test, first.b.y_test)
            cell.accuracies = dict(zip(seeds, accuracies, strict=True))
            cell.diverged_seeds = sorted(diverged)
            listener(PartDone(result.copy()))
    except Cancelled:
        result.status = "cancelled"
    return result


def run_kind(config: ExperimentConfig, dataset: Dataset, context: RunContext) -> StudyResult:
    """The layer sweep as a kind of run: model A comes from, and goes to, the model A cache."""
    return run_sweep(
        config,
        dataset,
        listener=context.listener,
        stop=context.stop,
        checkpoints=context.checkpoints,
        model_a_cache=ModelACache() if context.options.use_cache else None,
    )


def plan_kind(config: ExperimentConfig, dataset: Dataset, _options: RunOptions, _indexed: bool) -> list[PlannedPhase]:
    """The sweep's plan on a cluster, where no model A comes from the cache."""
    return _sweep_plan(config, dataset, a_ready=False)


def cut_kind(config: ExperimentConfig, workers: int) -> list[tuple[ExperimentConfig, bool]]:
    """One unit: every cell starts from the models A and B from scratch that the sweep trains first, all seeds
    as one population (cutting it would change the numbers)."""
    return [(config, False)]


def unit_words(_config: ExperimentConfig) -> str:
    """A sweep is one unit: its pairs and seeds say it all."""
    return ""
