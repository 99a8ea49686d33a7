"""Progress messages from the engine to whoever shows them (the CLI's Rich output, the app's widgets).

The engine calls a `Listener` with these frozen dataclasses from its training thread; the
app turns them into Textual Messages, the CLI prints them. A `StopToken` goes the other way:
set it from any thread and training stops at the end of the current batch.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass

from engine.trains import Trains, TuneTrial


@dataclass(frozen=True)
class PlannedPhase:
    """One unit of training: a phase of one class pair, for one seed or several seeds trained together."""

    phase: str
    seeds: tuple[int, ...]
    epochs: int
    steps_per_epoch: int
    pair: tuple[int, int] = (5, 6)
    optimizer: str | None = None  # set on a leaderboard: the optimizer this phase races
    trains: Trains | None = None  # what it trains beyond its phase: a sweep's cell, a map's network, a trial
    group: int | None = None  # set when several pairs train as one population: entries of a group train together
    task: str | None = None  # set in a race over several tasks: the leaderboard task this entry races

    @property
    def steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    @property
    def variant(self) -> str | None:
        """What it trains as plan entries were named before it was a value ('AnB+ 2', 'tune transfer 3'): part of
        its key, and of TensorBoard's names."""
        return None if self.trains is None else self.trains.text

    @property
    def one_shot(self) -> bool:
        """Whether this is a tuning's arm run once as the notebook configures it, beside (not among) its trials."""
        return isinstance(self.trains, TuneTrial) and self.trains.one_shot

    @property
    def key(self) -> str:
        """What the phase is, not where it stands in the plan (which may differ when a run resumes, say because
        model A turned up in the cache meanwhile): names its checkpoint and its epochs in the run store."""
        seeds = hashlib.sha256(json.dumps(self.seeds).encode()).hexdigest()[:12]
        variant = f"_{self.variant.replace(' ', '-')}" if self.variant else ""
        task = f"_{self.task}" if self.task else ""  # task A and all ten classes share a pair and a phase
        return f"b{self.pair[0]}-{self.pair[1]}_{self.phase}_{self.optimizer or 'own'}_{seeds}{variant}{task}"


@dataclass(frozen=True)
class RunPlanned:
    """Sent once before training: everything that will run, in order."""

    plan: tuple[PlannedPhase, ...]

    @property
    def total_steps(self) -> int:
        return sum(p.steps for p in self.plan)


class AtPlanEntry:
    """An event about plan entry `index`: a unit of a run on a cluster numbers its own plan's entries, and the
    driver moves its events to where that plan sits in the run's (`at`)."""

    index: int

    def at(self, index: int, planned: PlannedPhase) -> AtPlanEntry:
        """This event about the run's entry `index` (`planned`), instead of the unit's."""
        return dataclasses.replace(self, index=index)


@dataclass(frozen=True)
class PhaseStarted(AtPlanEntry):
    index: int
    planned: PlannedPhase

    def at(self, index: int, planned: PlannedPhase) -> PhaseStarted:
        return dataclasses.replace(self, index=index, planned=planned)


@dataclass(frozen=True)
class StepsDone(AtPlanEntry):
    """Batches finished so far in the current epoch of plan entry `index` (sent a few times a second)."""

    index: int
    epoch: int
    step: int


@dataclass(frozen=True)
class EpochMetrics:
    loss: float
    accuracy: float
    val_loss: float
    val_accuracy: float
    seconds: float


@dataclass(frozen=True)
class EpochDone(AtPlanEntry):
    """One seed finished epoch `epoch` (1-based) of a phase; `restored`: a resumed run read it back from its
    checkpoint rather than training it again (its seconds are those it took then)."""

    index: int
    phase: str
    seed: int
    epoch: int
    epochs: int
    metrics: EpochMetrics
    restored: bool = False


@dataclass(frozen=True)
class PhaseDone(AtPlanEntry):
    index: int


@dataclass(frozen=True)
class SeedDone:
    """All phases of one seed are done; `result` is its engine.results.SeedResult."""

    result: object


@dataclass(frozen=True)
class PartDone:
    """A part of a study finished (B from scratch, or one cell of a layer sweep); `result` is the study's result
    so far, a copy the receiver may keep."""

    result: object


@dataclass(frozen=True)
class ClusterStatus:
    """Where a run on a cluster stands: the cluster's nodes and GPUs, its units running and queued, and where
    each started unit runs ('unit 1 (seeds 1,2): node 3f2a1c, GPU 0')."""

    address: str
    nodes: int
    gpus: float
    running: int
    queued: int
    placements: tuple[str, ...] = ()

    @property
    def line(self) -> str:
        """'Ray 10.0.0.5:6379: 3 nodes, 4 GPUs, units 2 running, 0 queued'."""
        return f"Ray {self.address}: {self.short}"

    @property
    def short(self) -> str:
        """'3 nodes, 4 GPUs, units 2 running, 0 queued', for a header."""
        nodes = f"{self.nodes} node{'s' if self.nodes != 1 else ''}"
        gpus = f"{self.gpus:g} GPU{'s' if self.gpus != 1 else ''}"
        return f"{nodes}, {gpus}, units {self.running} running, {self.queued} queued"


ProgressEvent = RunPlanned | PhaseStarted | StepsDone | EpochDone | PhaseDone | SeedDone | PartDone | ClusterStatus
Listener = Callable[[ProgressEvent], None]


def ignore(_event: ProgressEvent) -> None:
    """A listener for callers that want no progress."""


class StopToken:
    """A thread-safe request to stop training cooperatively; `reason` says who asked, for the run store."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def request(self, reason: str = "") -> None:
        if not self._event.is_set():
            self.reason = reason
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()


class Cancelled(Exception):
    """Raised inside the engine when a StopToken was honoured; callers get a 'cancelled' result instead."""
