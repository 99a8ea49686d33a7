"""Which tasks an optimizer race runs. One task says little about optimizers (Demšar 2006 compares methods over
many data sets), so a race over several pairs ([split] b_classes and extra_pairs, `--b-classes ... | all`) becomes a
race over tasks: task A, all ten classes, and B once per pair, each raced as a leaderboard of its own."""

from __future__ import annotations

import msgspec

from engine.config.schema import ExperimentConfig

B_TASKS = ("b_scratch", "b_on_a")  # raced once per pair
Task = tuple[str, tuple[int, int]]  # a leaderboard task and the pair whose split it uses


def race_tasks(config: ExperimentConfig) -> list[Task]:
    """The race's tasks in order: [leaderboard] tasks if given, else `task` alone for one pair and, for several
    pairs, task A, all ten classes and B (from scratch, or `task` if it is a B task) for each pair. Task A and
    all ten classes run once, on the first pair's split."""
    board, pairs = config.leaderboard, config.split.pairs
    names = board.tasks
    if not names:
        b_task = board.task if board.task in B_TASKS else "b_scratch"
        names = (board.task,) if len(pairs) == 1 else ("a", "full", b_task)
    tasks: list[Task] = []
    for name in names:
        tasks += [(name, pair) for pair in pairs] if name in B_TASKS else [(name, pairs[0])]
    return tasks


def is_race(config: ExperimentConfig) -> bool:
    """Whether the leaderboard races over several tasks (a race kind of run) rather than one."""
    return len(race_tasks(config)) > 1


def task_config(config: ExperimentConfig, task: Task) -> ExperimentConfig:
    """The config of one task's leaderboard inside a race: that task, that pair, nothing else."""
    name, pair = task
    board = msgspec.structs.replace(config.leaderboard, task=name, tasks=())
    return msgspec.structs.replace(config, leaderboard=board, split=config.split.for_pair(pair))
