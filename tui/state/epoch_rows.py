"""One row per epoch for many seeds: the epoch rows of a plan entry's members gathered into mean ± std."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from engine.progress import EpochDone, PlannedPhase

MEAN_ROWS_FROM = 4  # seeds; below this every seed's row is short enough to read


@dataclass(frozen=True)
class MeanRow:
    """An epoch of a phase over its seeds: loss and validation accuracy as (mean, std) over the seeds whose loss
    is finite, the worst seed's validation accuracy, and the seeds that diverged."""

    planned: PlannedPhase
    epoch: int
    seeds: int
    loss: tuple[float, float | None] | None
    val_accuracy: tuple[float, float | None] | None
    worst: tuple[float, int] | None  # (validation accuracy, seed)
    diverged: tuple[int, ...]
    seconds: float


def mean_row(planned: PlannedPhase, events: list[EpochDone]) -> MeanRow:
    finite = [e for e in events if math.isfinite(e.metrics.loss)]

    def spread(values: list[float]) -> tuple[float, float | None] | None:
        if not values:
            return None
        return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else None

    worst = min(finite, key=lambda e: e.metrics.val_accuracy, default=None)
    return MeanRow(
        planned=planned,
        epoch=events[0].epoch,
        seeds=len(events),
        loss=spread([e.metrics.loss for e in finite]),
        val_accuracy=spread([e.metrics.val_accuracy for e in finite]),
        worst=(worst.metrics.val_accuracy, worst.seed) if worst else None,
        diverged=tuple(e.seed for e in events if not math.isfinite(e.metrics.loss)),
        seconds=max(e.metrics.seconds for e in events),
    )


@dataclass
class EpochRows:
    """Gathers the epoch rows of the members training together; `take` gives the rows that are complete.
    A population reports all its members' epoch together, so a row is complete when every seed of the plan
    entry reported it, or when anything else happens first (a member that diverged reports no more)."""

    pending: dict[tuple[int, int], list[EpochDone]] = field(default_factory=dict)
    plans: dict[int, PlannedPhase] = field(default_factory=dict)

    def add(self, event: EpochDone, planned: PlannedPhase) -> list[MeanRow]:
        rows = self.take(keep=(event.index, event.epoch))
        self.plans[event.index] = planned
        gathered = self.pending.setdefault((event.index, event.epoch), [])
        gathered.append(event)
        if len(gathered) == len(planned.seeds):
            del self.pending[(event.index, event.epoch)]
            rows.append(mean_row(planned, gathered))
        return rows

    def take(self, keep: tuple[int, int] | None = None) -> list[MeanRow]:
        """The rows still gathering (but `keep`), as they are: nothing else of theirs will come."""
        rows = [mean_row(self.plans[key[0]], events) for key, events in self.pending.items() if key != keep]
        self.pending = {key: events for key, events in self.pending.items() if key == keep}
        return rows
