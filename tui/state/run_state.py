"""What the Run screen shows, built from the engine's progress events (no widgets, so it can be tested alone)."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.progress import (
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
    """The plan, where training is in it, and the metrics so far."""

    plan: tuple[PlannedPhase, ...] = ()
    current: int | None = None
    finished: set[int] = field(default_factory=set)
    completed_steps: int = 0
    epochs: list[EpochDone] = field(default_factory=list)
    curves: dict[tuple[int, int], Curves] = field(default_factory=dict)

    @property
    def total_steps(self) -> int:
        return sum(p.steps for p in self.plan)

    def apply(self, event: ProgressEvent) -> None:
        """Fold one engine event into the state."""
        if isinstance(event, RunPlanned):
            self.plan = event.plan
        elif isinstance(event, PhaseStarted):
            self.current = event.index
            self.completed_steps = self._steps_before(event.index)
        elif isinstance(event, StepsDone):
            planned = self.plan[event.index]
            self.completed_steps = self._steps_before(event.index) + event.epoch * planned.steps_per_epoch + event.step
        elif isinstance(event, EpochDone):
            planned = self.plan[event.index]
            self.completed_steps = self._steps_before(event.index) + event.epoch * planned.steps_per_epoch
            self.epochs.append(event)
            curves = self.curves.setdefault((event.index, event.seed), Curves())
            for name in ("loss", "val_loss", "accuracy", "val_accuracy"):
                getattr(curves, name).append(getattr(event.metrics, name))
        elif isinstance(event, PhaseDone):
            self.finished.add(event.index)
            self.completed_steps = self._steps_before(event.index + 1)

    def _steps_before(self, index: int) -> int:
        return sum(p.steps for p in self.plan[:index])

    def current_curves(self) -> dict[int, Curves]:
        """Curves of every seed in the phase now training (or the last one), by seed."""
        if self.current is None:
            return {}
        return {seed: curves for (index, seed), curves in self.curves.items() if index == self.current}
