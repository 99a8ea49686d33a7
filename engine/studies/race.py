"""The optimizer race over several tasks: each task (engine.config.race) raced as its own leaderboard, one after
another, from one plan, so that the run resumes, reports progress and is recorded as one run."""

from __future__ import annotations

import dataclasses

from engine.config import ExperimentConfig, config_to_dict
from engine.config.race import race_tasks, task_config
from engine.data.fashion_mnist import Dataset
from engine.execution.plan import PlanCursor
from engine.kinds import RunContext, RunOptions
from engine.progress import Listener, PartDone, PlannedPhase, RunPlanned, StopToken, ignore
from engine.results.race import RaceResult
from engine.runtime import device_name
from engine.storage.checkpoints import Checkpoints
from engine.studies.leaderboard import race_plan, run_leaderboard


def plan_race(config: ExperimentConfig, dataset: Dataset) -> list[PlannedPhase]:
    """Every task's race plan in turn, each entry naming its task (task A and all ten classes share a pair and a
    phase: the task keeps their checkpoints apart)."""
    plan = []
    for task in race_tasks(config):
        plan += [dataclasses.replace(entry, task=task[0]) for entry in race_plan(task_config(config, task), dataset)]
    return plan


def run_race(
    config: ExperimentConfig,
    dataset: Dataset,
    *,
    listener: Listener = ignore,
    stop: StopToken | None = None,
    checkpoints: Checkpoints | None = None,
) -> RaceResult:
    """Race the optimizers on every task; each finished task is announced (PartDone); a stop keeps the tasks that
    finished and the optimizers of the task it stopped in that did."""
    stop = stop or StopToken()
    cursor = PlanCursor(plan_race(config, dataset))
    listener(RunPlanned(tuple(cursor.plan)))
    so_far = RaceResult(config_to_dict(config), [], "running", device_name(config.run.precision))
    for task in race_tasks(config):
        race = run_leaderboard(
            task_config(config, task), dataset, listener=listener, stop=stop, checkpoints=checkpoints, cursor=cursor
        )
        so_far.races.append(race)
        if race.status == "cancelled":
            so_far.status = "cancelled"
            return so_far
        listener(PartDone(dataclasses.replace(so_far, races=list(so_far.races))))
    so_far.status = "finished"
    return so_far


def run_kind(config: ExperimentConfig, dataset: Dataset, context: RunContext) -> RaceResult:
    """The race as a kind of run (it keeps its numbers, not its models)."""
    return run_race(config, dataset, listener=context.listener, stop=context.stop, checkpoints=context.checkpoints)


def plan_kind(config: ExperimentConfig, dataset: Dataset, _options: RunOptions, _indexed: bool) -> list[PlannedPhase]:
    return plan_race(config, dataset)


def cut_kind(config: ExperimentConfig, workers: int) -> list[tuple[ExperimentConfig, bool]]:
    """One unit per task: a task's optimizers race from the same starts wherever it runs."""
    return [(task_config(config, task), False) for task in race_tasks(config)]


def unit_words(config: ExperimentConfig) -> str:
    """A unit of a race is one task."""
    return config.leaderboard.task
