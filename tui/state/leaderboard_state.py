"""A leaderboard as it grows, from the engine's progress events (no widgets, so it can be tested alone)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from engine.config import ExperimentConfig
from engine.progress import EpochDone, PhaseDone, PhaseStarted, ProgressEvent, RunPlanned
from engine.results.leaderboard import LeaderboardResult, OptimizerEntry, Row, chance_of, row_of

METRICS = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")


@dataclass
class LeaderboardState:
    """Entries by optimizer, updated epoch by epoch; replaced by the final result when the race ends."""

    target: float = 0.85
    entries: dict[str, OptimizerEntry] = field(default_factory=dict)
    plan: tuple = ()
    chance: tuple[float, float] = chance_of("a")  # what a diverged seed counts as on the task raced
    hyperparameters: dict[str, dict] = field(default_factory=dict)  # each optimizer's, for a fresh task's entries
    task: tuple[str, tuple[int, int]] | None = None  # in a race over tasks: the task racing now, with its pair

    @classmethod
    def starting(cls, config: ExperimentConfig) -> LeaderboardState:
        board = config.leaderboard
        hyperparameters = {name: dict(board.hyperparameters[name]) for name in board.optimizers}
        entries = {name: OptimizerEntry(name, dict(values)) for name, values in hyperparameters.items()}
        return cls(board.target_accuracy, entries, chance=chance_of(board.task), hyperparameters=hyperparameters)

    @classmethod
    def of(cls, result: LeaderboardResult) -> LeaderboardState:
        entries = {entry.name: entry for entry in result.entries}
        return cls(target=result.target, entries=entries, chance=chance_of(result.settings.leaderboard.task))

    def apply(self, event: ProgressEvent) -> None:
        if isinstance(event, RunPlanned):
            self.plan = event.plan
            return
        if not isinstance(event, (PhaseStarted, EpochDone, PhaseDone)):
            return
        planned = self.plan[event.index]
        if planned.task is not None and (planned.task, planned.pair) != self.task:  # a race's next task: afresh
            self.task = (planned.task, planned.pair)
            self.entries = {name: OptimizerEntry(name, dict(v)) for name, v in self.hyperparameters.items()}
            self.chance = chance_of(planned.task)
        entry = self.entries.get(planned.optimizer)
        if entry is None:  # model A, trained before a B-on-A race
            return
        if isinstance(event, PhaseStarted):
            entry.status = "running"
        elif isinstance(event, PhaseDone):
            everyone = len(self.plan[event.index].seeds)
            entry.status = "diverged" if len(entry.diverged_seeds) == everyone else "finished"
        else:
            history = entry.histories.setdefault(event.seed, {name: [] for name in METRICS[:-1]})
            for name in METRICS[:-1]:
                history[name].append(getattr(event.metrics, name))
            if event.epoch == len(entry.epoch_seconds) + 1:
                entry.epoch_seconds.append(event.metrics.seconds)
            if not math.isfinite(event.metrics.loss) and event.seed not in entry.diverged_seeds:
                entry.diverged_seeds.append(event.seed)

    def rows(self) -> list[Row]:
        return [row_of(entry, self.target, self.chance) for entry in self.entries.values()]

    def mean_val_loss(self) -> dict[str, list[float]]:
        """Per optimizer, the validation loss per epoch averaged over seeds that did not diverge."""
        curves = {}
        for name, entry in self.entries.items():
            kept = [h["val_loss"] for seed, h in entry.histories.items() if seed not in entry.diverged_seeds]
            longest = max((len(curve) for curve in kept), default=0)
            curves[name] = [
                sum(curve[epoch] for curve in kept if epoch < len(curve))
                / sum(1 for curve in kept if epoch < len(curve))
                for epoch in range(longest)
            ]
        return curves
