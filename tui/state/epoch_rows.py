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
    worst_pair: tuple[int, int] | None = None  # set when the row gathers several pairs trained together
    epochs: int | None = None  # of the phase, for its longest entry (a tuning's trials differ)


def mean_row(planned: PlannedPhase, events: list[EpochDone], plan: tuple[PlannedPhase, ...] = ()) -> MeanRow:
    """The row of `events` (one epoch of one entry, or of a group of pairs: then `plan` names each one's pair)."""
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
        worst_pair=plan[worst.index].pair if worst and _pairs_of_group(planned, plan) > 1 else None,
        epochs=max(plan[e.index].epochs if plan else e.epochs for e in events),
    )


def _pairs_of_group(planned: PlannedPhase, plan: tuple[PlannedPhase, ...]) -> int:
    """How many class pairs train in `planned`'s group (0 outside a group): its rows name the pair only if several."""
    if planned.group is None:
        return 0
    return len({p.pair for p in plan if p.group == planned.group})


@dataclass
class EpochRows:
    """Gathers the epoch rows of the members training together; `take` gives the rows that are complete.
    A population reports all its members' epoch together, so a row is complete when every seed of the plan
    entry (or of every entry of its group of pairs) reported it, or when anything else happens first
    (a member that diverged reports no more)."""

    plan: tuple[PlannedPhase, ...] = ()
    pending: dict[tuple, list[EpochDone]] = field(default_factory=dict)
    plans: dict[tuple, PlannedPhase] = field(default_factory=dict)

    def add(self, event: EpochDone, planned: PlannedPhase) -> list[MeanRow]:
        row_key = self._row_key(event.index, planned)
        rows = self.take(keep=(row_key, event.epoch))
        self.plans[row_key] = planned
        gathered = self.pending.setdefault((row_key, event.epoch), [])
        gathered.append(event)
        if len(gathered) == self._members(planned):
            del self.pending[(row_key, event.epoch)]
            rows.append(mean_row(planned, gathered, self.plan))
        return rows

    def take(self, keep: tuple | None = None) -> list[MeanRow]:
        """The rows still gathering (but `keep`), as they are: nothing else of theirs will come."""
        rows = [mean_row(self.plans[key[0]], events, self.plan) for key, events in self.pending.items() if key != keep]
        self.pending = {key: events for key, events in self.pending.items() if key == keep}
        return rows

    @staticmethod
    def _row_key(index: int, planned: PlannedPhase) -> tuple:
        """A plan entry's own row; in a group, one row for its phase (a tuning's trials, and its one-shot apart)."""
        return (index,) if planned.group is None else ("group", planned.group, planned.phase, planned.one_shot)

    def _members(self, planned: PlannedPhase) -> int:
        if planned.group is None:
            return len(planned.seeds)
        key = self._row_key(0, planned)
        return sum(len(p.seeds) for p in self.plan if self._row_key(0, p) == key)
