"""Tuning at an equal budget: B from scratch and B on A each get the same number of trials from a declared search
space, every trial keeps the weights of its best validation epoch, and each arm's pick is made on validation.

Per pair, model A is trained once per seed (all seeds as one population, or from the model A cache) and shared
by every transfer trial. Each arm then trains all its trials x seeds as one population with per-member settings
(learning rates, epochs, frozen layers): B from scratch in one phase; B on A in its frozen phase (a trial with
no frozen epochs waits there unmoved) and then its fine-tuning phase, the best epoch looked for over both. The
notebook's own configuration of each arm trains beside the trials, once, as the one-shot point outside the
budget. Trials are plan entries of their own (TuneTrial), so a stopped tuning resumes.
"""

from __future__ import annotations

import math

import msgspec

from engine.config import ExperimentConfig, config_to_dict
from engine.config.arms import REUSED_LAYERS, SCRATCH, Arm, parse_arm
from engine.config.search import ONE_SHOT, Values, arm_trials, edges
from engine.data.fashion_mnist import Dataset
from engine.data.packing import member_data
from engine.data.split import Tasks, tasks_for_seeds
from engine.execution.plan import PlanCursor, training_sizes
from engine.kinds import RunContext, RunOptions
from engine.networks.population import Population, member_accuracies
from engine.phases import B_FINETUNE, B_FROZEN, B_SCRATCH, MODEL_A, frozen_layers
from engine.progress import Cancelled, Listener, PartDone, PlannedPhase, RunPlanned, StopToken, ignore
from engine.results.history import PhaseHistory
from engine.results.tune import Trial, TuneResult
from engine.runtime import device_name
from engine.storage.checkpoints import Checkpoints
from engine.storage.model_cache import ModelACache
from engine.studies.models_a import cached_models_a, trained_models_a
from engine.training.phase_loop import Session
from engine.training.population_trainer import BestEpochs, MemberSettings, PopulationTrainer, train_planned_group
from engine.training.starts import initial_scratch, initial_transfer
from engine.trains import TuneTrial

# a tuning's epochs take a fraction of a second and each state holds every trial's weights and best weights (about
# 110 MB for 51 members of the seed network): saved after every epoch, one tuning of one pair wrote 19 GB
TUNE_CHECKPOINT_SECONDS = 30.0


def _schedule(config: ExperimentConfig, arm: str, number: int, values: Values) -> dict[str, int]:
    """A trial's epochs in each of its arm's phases."""
    tune, transfer = config.tune, config.transfer
    if arm == SCRATCH:
        return {B_SCRATCH: tune.epochs if number != ONE_SHOT else transfer.frozen_epochs + transfer.unfrozen_epochs}
    if number == ONE_SHOT:
        return {B_FROZEN: transfer.frozen_epochs, B_FINETUNE: transfer.unfrozen_epochs}
    frozen = int(values["frozen_epochs"])
    return {B_FROZEN: frozen, B_FINETUNE: tune.epochs - frozen}


def tuning_arm(config: ExperimentConfig, name: str) -> Arm:
    """An arm of this tuning: the transfer arm reuses the layers [transfer] says, as they say."""
    return parse_arm(name, config.transfer.source, config.transfer.fine_tune)


def plan_tune(config: ExperimentConfig, dataset: Dataset, a_ready: set[tuple[int, int]]) -> list[PlannedPhase]:
    """Per pair: model A (unless every seed's is cached), then each arm's phases, one entry per trial (per trial
    and seed where each seed draws its own trials); an arm's entries are one group (they train as one population)."""
    seeds, batch = tuple(config.run.seeds), config.run.batch_size
    sizes = training_sizes(dataset, config)
    # the seeds that tune the same trials: all of them, or each alone
    seed_groups = [seeds] if config.tune.draws == "shared" else [(seed,) for seed in seeds]
    plan = []
    group = 0
    for pair in config.split.pairs:
        n_a, n_b = sizes[pair]
        if pair not in a_ready:
            plan.append(PlannedPhase(MODEL_A, seeds, config.train_a.epochs, math.ceil(n_a / batch), pair))
        for arm in config.tune.ordered_arms:
            trials = [arm_trials(config, arm, together[0]) for together in seed_groups]
            phases = [B_SCRATCH] if arm == SCRATCH else [B_FROZEN, B_FINETUNE]
            for phase in phases:
                for by_seeds in zip(*trials, strict=True):  # trial by trial, then seed by seed: as members train
                    for together, (number, values) in zip(seed_groups, by_seeds, strict=True):
                        epochs = _schedule(config, arm, number, values)[phase]
                        trial = TuneTrial(tuning_arm(config, arm), number, tuple(values.items()))
                        steps = math.ceil(n_b / batch)
                        plan.append(PlannedPhase(phase, together, epochs, steps, pair, trains=trial, group=group))
            group += 1
    return plan


def run_tune(
    config: ExperimentConfig,
    dataset: Dataset,
    *,
    listener: Listener = ignore,
    stop: StopToken | None = None,
    checkpoints: Checkpoints | None = None,
    model_a_cache: ModelACache | None = None,
) -> TuneResult:
    """Tune both arms of every pair of `config` at [tune]'s budget; a stop keeps the arms that finished."""
    stop = stop or StopToken()
    # the pairs whose every seed's model A is in the cache, with those models
    found = {pair: cached_models_a(config, dataset, pair, model_a_cache) for pair in config.split.pairs}
    cached = {pair: models for pair, models in found.items() if models is not None}
    cursor = PlanCursor(plan_tune(config, dataset, set(cached)))
    listener(RunPlanned(tuple(cursor.plan)))
    session = Session(listener, stop, checkpoints, config.run.batch_size, TUNE_CHECKPOINT_SECONDS)
    # grows as each arm finishes; "running" in the copies announced meanwhile, so none reads as stopped
    so_far = TuneResult(config_to_dict(config), [], "running", device_name(config.run.precision))
    try:
        for pair in config.split.pairs:
            tasks = tasks_for_seeds(dataset, config.split.for_pair(pair), config.run.seeds)
            _tune_pair(config, dataset, pair, tasks, cached.get(pair), cursor, session, model_a_cache, so_far)
    except Cancelled:
        so_far.status = "cancelled"
    else:
        so_far.status = "finished"
    return so_far


def _tune_pair(config, dataset, pair, tasks: dict[int, Tasks], cached, cursor, session, cache, so_far) -> None:
    """Model A of every seed, then each arm, B from scratch first; each finished arm's trials join `so_far` and are
    announced. An arm that reuses B's layers (the selffer control) starts from each seed's one-shot scratch B."""
    seeds, net = tuple(config.run.seeds), config.network
    first = tasks[seeds[0]]
    n_classes = len(first.a_classes)
    if cached is None:
        cached = trained_models_a(config, dataset, pair, tasks, cursor, session, cache)
    sources = {"a": dict(zip(seeds, cached, strict=True))}
    population_a = Population(net, n_classes, "softmax", cached, precision=config.run.precision)
    accuracy_a = member_accuracies(population_a, first.a.x_test, first.a.y_test)
    so_far.accuracy_a.update({f"{pair[0]}-{pair[1]}:{s}": a for s, a in zip(seeds, accuracy_a, strict=True)})
    for name in config.tune.ordered_arms:
        arm = tuning_arm(config, name)
        trials, population = _tune_arm(config, arm, pair, tasks, sources, cursor, session)
        if arm.source is None:
            one_shot = [m for m, trial in enumerate(trials) if trial.number == ONE_SHOT]
            sources["b"] = {trials[m].seed: population.member_model(m, "b_scratch") for m in one_shot}
        so_far.trials.extend(trials)
        so_far.n_validation = len(first.b.y_valid)
        session.listener(PartDone(so_far.copy()))


def _tune_arm(
    config, arm: Arm, pair, tasks: dict[int, Tasks], sources, cursor, session
) -> tuple[list[Trial], Population]:
    """Every trial of `arm` for every seed, as one population, trained as the plan's entries say (each phase's
    entries, a trial each, with its values and epochs); the trials it gave, and the population."""
    seeds, net, transfer = tuple(config.run.seeds), config.network, config.transfer
    phases = [B_SCRATCH] if arm.source is None else [B_FROZEN, B_FINETUNE]
    planned = {phase: cursor.take_group(phase) for phase in phases}
    if any(entry.trains.arm != arm for _, entry in planned[phases[0]]):
        raise RuntimeError(f"the plan trains {planned[phases[0]][0][1].trains.arm.name} here, not {arm.name}")
    # a member per trial and seed, in the plan's order: an entry's trial for each of the seeds it trains
    members = [
        (entry.trains.number, entry.trains.drawn, seed) for _, entry in planned[phases[0]] for seed in entry.seeds
    ]
    depths = [_depth(config, arm, values) for _, values, _ in members]
    if arm.source is None:
        starts = [initial_scratch(net, seed) for _, _, seed in members]
    else:
        models = sources[arm.source]
        starts = [
            initial_transfer(models[seed], seed, net, depth)
            for (_, _, seed), depth in zip(members, depths, strict=True)
        ]
    population = Population(net, 1, "sigmoid", starts, precision=config.run.precision)
    data = member_data([tasks[seed].b for _, _, seed in members])
    keep = [number != ONE_SHOT for number, _, _ in members]
    best = BestEpochs(population, keep)
    histories: dict[str, list[PhaseHistory]] = {}
    for phase in phases:
        entries = planned[phase]
        epochs_of = [entry.epochs for _, entry in entries for _ in entry.seeds]  # member by member, as `members`
        settings = []
        for (number, values, _), depth, epochs in zip(members, depths, epochs_of, strict=True):
            rate = values["learning_rate"]
            if phase == B_FINETUNE:
                rate = rate * values["fine_tune_ratio"] if number != ONE_SHOT else transfer.unfrozen_learning_rate
            frozen = frozen_layers(phase, depth, arm.fine_tune)
            settings.append(MemberSettings(rate, epochs=epochs, frozen=frozen, keep_best=number != ONE_SHOT))
        trainer = PopulationTrainer(
            population,
            binary=True,
            optimizer=transfer.optimizer,
            learning_rate=settings[0].learning_rate,
            members=settings,
        )
        best.restore = phase == phases[-1]
        histories[phase] = train_planned_group(trainer, data, entries, session, best)
        best.offsets = best.offsets + [s.epochs for s in settings]
    accuracies = member_accuracies(population, tasks[seeds[0]].b.x_test, tasks[seeds[0]].b.y_test)
    space = config.tune.space_of(arm.name)
    out = []
    for member, (number, values, seed) in enumerate(members):
        phase_histories = {phase: histories[phase][member] for phase in phases}
        validation = [v for phase in phases for v in phase_histories[phase].val_accuracy]
        best_epoch = int(best.epoch[member]) if number != ONE_SHOT and best.epoch[member] > 0 else None
        val_accuracy = validation[best_epoch - 1] if best_epoch else (validation[-1] if validation else 0.0)
        out.append(
            Trial(
                arm.name,
                number,
                pair,
                seed,
                values,
                float(val_accuracy),
                accuracies[member],
                best_epoch,
                any(h.diverged for h in phase_histories.values()),
                edges(space, values) if number != ONE_SHOT else (),
                {phase: h.as_dict() for phase, h in phase_histories.items()},
            )
        )
    return out, population


def _depth(config: ExperimentConfig, arm: Arm, values: Values) -> int:
    """The hidden layers a trial reuses: its arm's depth, the trial's searched depth, or [transfer]'s."""
    if arm.depth is not None:
        return arm.depth
    return int(values.get(REUSED_LAYERS, config.reused_layers))


def run_kind(config: ExperimentConfig, dataset: Dataset, context: RunContext) -> TuneResult:
    """The tuning as a kind of run: model A comes from, and goes to, the model A cache."""
    return run_tune(
        config,
        dataset,
        listener=context.listener,
        stop=context.stop,
        checkpoints=context.checkpoints,
        model_a_cache=ModelACache() if context.options.use_cache else None,
    )


def plan_kind(config: ExperimentConfig, dataset: Dataset, _options: RunOptions, _indexed: bool) -> list[PlannedPhase]:
    """A unit's plan on a cluster, where no model A comes from the cache."""
    return plan_tune(config, dataset, set())


def cut_kind(config: ExperimentConfig, workers: int) -> list[tuple[ExperimentConfig, bool]]:
    """One unit per pair: a pair's arms share its models A."""
    return [
        (msgspec.structs.replace(config, split=config.split.for_pairs([pair])), False) for pair in config.split.pairs
    ]


def unit_words(_config: ExperimentConfig) -> str:
    """A unit of a tuning is one pair: its pairs and seeds say it all."""
    return ""
