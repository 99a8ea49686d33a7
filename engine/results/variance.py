"""Which sources of variance a run's intervals cover, and which it held fixed (Bouthillier et al. 2021: the data
sample and the hyperparameter search are among the largest). An interval over seeds says nothing about a source
that every seed shared, so every report names them."""

from __future__ import annotations

from engine.config import ExperimentConfig
from engine.config.race import B_TASKS, race_tasks


def variance_sources(settings: ExperimentConfig, kind: str) -> tuple[list[str], list[str]]:
    """(varied, fixed): what changed from seed to seed (or pair to pair), and what every seed shared. `kind` is the
    kind of run ('experiment', 'map', 'study', 'tune', 'leaderboard', 'race')."""
    varied = ["initial weights (per seed)", "data order (per seed)"]
    fixed = []
    split = settings.split
    races = kind in ("leaderboard", "race")
    tasks = race_tasks(settings) if races else []
    b_task = not races or any(name in B_TASKS for name, _ in tasks)
    if b_task:
        if split.b_per_seed:
            varied.append(f"B's {split.n_train_b} training images (drawn per seed)")
        else:
            fixed.append(f"B's training images (the first {split.n_train_b})")
    if len(tasks) > 1:
        varied.append(f"the task (over {len(tasks)} tasks)")
    elif len(split.pairs) > 1:
        varied.append("the class pair (over pairs)")
    shared = settings.tune.draws == "shared"
    if kind == "tune":
        budget = settings.tune.budget
        if shared:
            fixed.append(f"the tuning's {budget} draws (the same trials for every seed)")
        else:
            varied.append(f"the tuning's {budget} draws (drawn per seed)")
    if races and settings.leaderboard.budget:
        budget = settings.leaderboard.budget
        if shared:
            fixed.append(f"the {budget} draws (the same trials for every seed and optimizer)")
        else:
            varied.append(f"the {budget} draws (drawn per seed, the same for every optimizer)")
    fixed += ["the validation images", "the test set"]
    return varied, fixed


def sources_line(settings: ExperimentConfig, kind: str) -> str:
    """'Varied: initial weights (per seed), data order (per seed); held fixed: B's training images (the first 200),
    the validation images, the test set. The intervals cover what varied, not what was held fixed.'"""
    varied, fixed = variance_sources(settings, kind)
    return (
        f"Varied: {', '.join(varied)}; held fixed: {', '.join(fixed)}. The intervals cover what varied, not what "
        "was held fixed."
    )
