"""One phase's epochs, for a plain Keras model and a population alike: one loop, its concerns as hooks.

As in Keras' own trainer, the loop only trains epochs and records what they gave (a member whose loss is no
longer finite is marked diverged and trains no further); the rest hangs on hooks called as the phase begins,
as steps are done, as each epoch ends and as the phase ends: progress for the listener (with the replay of
epochs a resumed phase had already finished), checkpoints, a member's best epoch. A trainer (EpochTrainer)
trains one epoch of its model or population and hands its state to the checkpoints; it also honours the stop
request, which it sees between batches.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from engine.progress import (
    EpochDone,
    EpochMetrics,
    Listener,
    PhaseDone,
    PhaseStarted,
    PlannedPhase,
    StepsDone,
    StopToken,
    ignore,
)
from engine.results.history import PhaseHistory
from engine.storage.checkpoints import Checkpoints, PhaseState

State = tuple[list[np.ndarray], list[np.ndarray]]  # weights and optimizer variables, as a checkpoint keeps them


@dataclass(frozen=True)
class Session:
    """What every phase of a run shares: where its progress goes, what stops it, where it keeps checkpoints
    (None: nowhere), its batch size, and how often a phase saves its checkpoint (0: after every epoch)."""

    listener: Listener = ignore
    stop: StopToken = field(default_factory=StopToken)
    checkpoints: Checkpoints | None = None
    batch_size: int = 32
    checkpoint_seconds: float = 0.0

    def hooks(self) -> list[PhaseHook]:
        """A planned phase's hooks: its checkpoints (saved before the epoch is announced, so an epoch shown as
        saved is kept), then its progress."""
        resume: list[PhaseHook] = []
        if self.checkpoints is not None:
            resume.append(Resume(self.checkpoints, self.checkpoint_seconds))
        return [*resume, Progress(self.listener)]


@dataclass(frozen=True)
class EpochOutcome:
    """What one member's epoch gave; `diverged` where the trainer saw a non-finite loss within it."""

    metrics: EpochMetrics
    diverged: bool = False


class EpochTrainer(Protocol):
    """A model or a population, trained one epoch at a time."""

    member_steps: list[int]  # each member's steps in an epoch

    def train_epoch(self, epoch: int, on_steps: Callable[[int], None]) -> list[EpochOutcome | None]:
        """Train epoch `epoch` (0-based) and say what each member's gave (None: the member did not train in
        it); `on_steps(steps done)` a few times a second. Raises Cancelled when the stop was requested."""
        ...

    def states(self, parts: Sequence[slice]) -> list[State]:
        """The state of each part's members, to checkpoint."""
        ...

    def restore(self, states: Sequence[State]) -> None:
        """Put back the states `states` gave, one per part, in order."""
        ...


@dataclass(frozen=True)
class Entry:
    """A plan entry the phase trains: its members are `members` of the trainer's (None `planned`: a phase
    trained outside any plan, as the benchmarks and tests train one)."""

    index: int
    planned: PlannedPhase | None
    members: slice


@dataclass
class PhaseRun:
    """One phase as its hooks see it: what trains, for which seeds, how many epochs, its plan entries, each
    member's history, and the epoch it starts from (after a resume)."""

    trainer: EpochTrainer
    phase: str
    seeds: tuple[int, ...]
    epochs: int
    entries: tuple[Entry, ...]
    histories: list[PhaseHistory]
    start_epoch: int = 0
    # what hooks keep in each entry's checkpoint besides the weights (arrays with the member axis first), set
    # as each epoch ends; and, after a resume, what the checkpoints held
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    restored_extras: dict[str, np.ndarray] | None = None

    def index_of(self, member: int) -> int:
        return next(entry.index for entry in self.entries if entry.members.start <= member < entry.members.stop)


class PhaseHook:
    """A concern of the phase loop, called as the phase begins, after steps, as each epoch ends and as the
    phase ends (Keras' callbacks, for phases). Each does nothing unless a hook says otherwise."""

    def on_phase_begin(self, run: PhaseRun) -> None:
        pass

    def on_steps(self, run: PhaseRun, epoch: int, steps: int) -> None:
        pass

    def on_epoch_end(self, run: PhaseRun, epoch: int) -> None:
        pass

    def on_phase_end(self, run: PhaseRun) -> None:
        pass


def run_phase(run: PhaseRun, hooks: Sequence[PhaseHook]) -> list[PhaseHistory]:
    """Train `run`'s epochs from its start epoch, the hooks called in their order; returns each member's history.
    Stops early once every member has diverged."""
    for hook in hooks:
        hook.on_phase_begin(run)
    for epoch in range(run.start_epoch, run.epochs):
        if all(history.diverged for history in run.histories):
            break

        def steps_done(steps: int, epoch: int = epoch) -> None:
            for hook in hooks:
                hook.on_steps(run, epoch, steps)

        outcomes = run.trainer.train_epoch(epoch, steps_done)
        for history, outcome in zip(run.histories, outcomes, strict=True):
            if outcome is None or history.diverged:
                continue
            history.append(outcome.metrics)
            history.diverged = outcome.diverged or not math.isfinite(outcome.metrics.loss)
        for hook in hooks:
            hook.on_epoch_end(run, epoch)
    for hook in hooks:
        hook.on_phase_end(run)
    return run.histories


class Progress(PhaseHook):
    """What the listener hears: each planned entry's start (then the epochs a resumed phase already had, marked
    restored), steps, every member's finished epoch, each entry's end."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener

    def on_phase_begin(self, run: PhaseRun) -> None:
        for entry in run.entries:
            if entry.planned is not None:
                self.listener(PhaseStarted(entry.index, entry.planned))
        for member, (seed, history) in enumerate(zip(run.seeds, run.histories, strict=True)):
            for epoch in range(len(history.loss)):
                metrics = EpochMetrics(*(getattr(history, name)[epoch] for name in PhaseHistory.METRICS))
                index = run.index_of(member)
                self.listener(EpochDone(index, run.phase, seed, epoch + 1, run.epochs, metrics, restored=True))

    def on_steps(self, run: PhaseRun, epoch: int, steps: int) -> None:
        for entry in run.entries:
            self.listener(StepsDone(entry.index, epoch, min(steps, max(run.trainer.member_steps[entry.members]))))

    def on_epoch_end(self, run: PhaseRun, epoch: int) -> None:
        for member, (seed, history) in enumerate(zip(run.seeds, run.histories, strict=True)):
            if len(history.loss) == epoch + 1:
                metrics = EpochMetrics(*(getattr(history, name)[-1] for name in PhaseHistory.METRICS))
                self.listener(EpochDone(run.index_of(member), run.phase, seed, epoch + 1, run.epochs, metrics))

    def on_phase_end(self, run: PhaseRun) -> None:
        for entry in run.entries:
            if entry.planned is not None:
                self.listener(PhaseDone(entry.index))


class Resume(PhaseHook):
    """Each entry saves its members' state (with the extras the hooks before it set) after every epoch, or, with
    `every_seconds`, after the first epoch that ends that long after the last save and after the phase's last
    epoch; a phase continues from it only when every entry has a state with the same finished epochs (else it
    starts over, which gives the same numbers, only later). A stopped phase loses at most what it trained since
    its last save: its epochs' data order depends only on (seed, phase, epoch)."""

    def __init__(self, checkpoints: Checkpoints, every_seconds: float = 0.0) -> None:
        self.checkpoints = checkpoints
        self.every_seconds = every_seconds
        self.saved_at = -math.inf

    def on_phase_begin(self, run: PhaseRun) -> None:
        self.saved_at = time.monotonic()
        states = [self.checkpoints.load(entry.planned) for entry in run.entries if entry.planned is not None]
        if not states or not all(states) or len(states) < len(run.entries):
            return
        if len({state.epochs_done for state in states}) > 1:
            return
        run.trainer.restore([(state.weights, state.optimizer) for state in states])
        run.histories = [history for state in states for history in state.histories]
        run.start_epoch = states[0].epochs_done
        names = set.intersection(*(set(state.extras) for state in states))
        run.restored_extras = {name: np.concatenate([state.extras[name] for state in states]) for name in names}

    def on_epoch_end(self, run: PhaseRun, epoch: int) -> None:
        due = time.monotonic() - self.saved_at >= self.every_seconds
        if not due and epoch + 1 < run.epochs:
            return
        self.saved_at = time.monotonic()
        parts = [entry.members for entry in run.entries]
        for entry, (weights, optimizer) in zip(run.entries, run.trainer.states(parts), strict=True):
            if entry.planned is not None:
                extras = {name: values[entry.members] for name, values in run.extras.items()}
                state = PhaseState(epoch + 1, run.histories[entry.members], weights, optimizer, extras)
                self.checkpoints.save(entry.planned, state)
