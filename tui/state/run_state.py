"""What the Run screen shows, built from the engine's progress events (no widgets, so it can be tested alone)."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.progress import (
    ClusterStatus,
    EpochDone,
    PhaseDone,
    PhaseStarted,
    PlannedPhase,
    ProgressEvent,
    RunPlanned,
    StepsDone,
)


@dataclass
class Curves:
    """Per-epoch metrics of one seed in one phase, for the learning-curve plots."""

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)


@dataclass
class RunState:
    """The plan, where training is in it, and the metrics so far. Entries of a group of pairs train at the same
    time, so the steps done are counted per entry."""

    plan: tuple[PlannedPhase, ...] = ()
    current: int | None = None
    finished: set[int] = field(default_factory=set)
    epochs: list[EpochDone] = field(default_factory=list)
    curves: dict[tuple[int, int], Curves] = field(default_factory=dict)
    steps_done: dict[int, int] = field(default_factory=dict)
    concurrent: bool = False  # on a cluster, units train side by side: an entry starting says nothing of others

    @property
    def total_steps(self) -> int:
        return sum(p.steps for p in self.plan)

    @property
    def completed_steps(self) -> int:
        return sum(self.steps_done.values())

    def apply(self, event: ProgressEvent) -> None:
        """Fold one engine event into the state."""
        if isinstance(event, RunPlanned):
            self.plan = event.plan
        elif isinstance(event, ClusterStatus):
            self.concurrent = True
        elif isinstance(event, PhaseStarted):
            first = self._first_of_group(event.index)
            if first == event.index:
                self.current = event.index
            for earlier in range(0 if self.concurrent else first):  # entries before a phase that starts are behind us
                self.steps_done[earlier] = self.plan[earlier].steps
            self.steps_done[event.index] = 0
        elif isinstance(event, StepsDone):
            self.steps_done[event.index] = event.epoch * self.plan[event.index].steps_per_epoch + event.step
        elif isinstance(event, EpochDone):
            self.steps_done[event.index] = event.epoch * self.plan[event.index].steps_per_epoch
            self.epochs.append(event)
            curves = self.curves.setdefault((event.index, event.seed), Curves())
            for name in ("loss", "val_loss", "accuracy", "val_accuracy"):
                getattr(curves, name).append(getattr(event.metrics, name))
        elif isinstance(event, PhaseDone):
            self.finished.add(event.index)
            self.steps_done[event.index] = self.plan[event.index].steps

    def _first_of_group(self, index: int) -> int:
        """The first entry of the group of pairs `index` trains with (itself when it trains alone)."""
        planned = self.plan[index]
        if planned.group is None:
            return index
        while index > 0 and (self.plan[index - 1].group, self.plan[index - 1].phase) == (planned.group, planned.phase):
            index -= 1
        return index

    def current_entries(self) -> list[int]:
        """The plan entries training now: the current one, or every pair of its group in that phase."""
        if self.current is None:
            return []
        planned = self.plan[self.current]
        if planned.group is None:
            return [self.current]
        return [i for i, p in enumerate(self.plan) if (p.group, p.phase) == (planned.group, planned.phase)]

    def current_curves(self) -> dict[tuple[int, int], Curves]:
        """Curves of every member in the phase now training (or the last one), by (plan entry, seed)."""
        entries = set(self.current_entries())
        return {key: curves for key, curves in self.curves.items() if key[0] in entries}
