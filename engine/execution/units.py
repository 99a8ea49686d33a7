"""A unit of work for a cluster: one or more of the populations a run trains in-process, whole.

A cut never changes a number, so units never split a population: XLA compiles a population's step for its
number of members, and a member trained beside four others ends 20 epochs a few tenths of a point away from
the same member beside nine (measured on the seed preset). The kinds cut along their own populations: a map's
groups of pairs and networks, a leaderboard's optimizers. Pure bookkeeping, no Ray and no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.config import ExperimentConfig
from engine.kinds import RunOptions
from engine.progress import PlannedPhase


@dataclass(frozen=True)
class Unit:
    """One unit of work: a config of its own (a share of the seeds, pairs, optimizers or networks), its entries
    of the run's plan (`plan`, starting at `offset`), and whether its pairs train the way a run over several
    pairs trains them (`indexed`), so a group of one pair still gives the numbers it gives beside others."""

    number: int
    config: ExperimentConfig
    offset: int
    plan: tuple[PlannedPhase, ...]
    indexed: bool = False
    words: str = ""  # what its kind tells it apart by besides pairs and seeds (the study's unit_words)

    def title(self) -> str:
        """'unit 2: pairs 5-6, seeds 3,4', then its optimizers or network where its kind names them."""
        config = self.config
        pairs = " ".join(f"{a}-{b}" for a, b in config.split.pairs)
        seeds = ",".join(str(s) for s in config.run.seeds)
        title = f"unit {self.number + 1}: pairs {pairs}, seeds {seeds}"
        return f"{title}, {self.words}" if self.words else title


@dataclass(frozen=True)
class UnitSpec:
    """What a unit's task needs besides the data and the mailbox: its kind, config and plan, whether its pairs
    train indexed, the run's options, and the files they name (RunOptions.input_files: name and bytes each)."""

    kind: str
    config: dict[str, Any]
    indexed: bool
    number: int
    plan: tuple[PlannedPhase, ...]
    options: RunOptions
    files: dict[str, tuple[str, bytes]]


@dataclass(frozen=True)
class UnitPlaced:
    """A unit started: on which node, with which GPUs (its CUDA_VISIBLE_DEVICES), for the driver to show."""

    unit: int
    node: str
    gpus: str


@dataclass(frozen=True)
class UnitOutcome:
    """What a unit hands back: its result (as to_dict wrote it), its model files' bytes under their paths
    relative to its folder, and that folder (which the result's paths name)."""

    result: dict[str, Any]
    files: dict[str, bytes]
    folder: str
