"""A unit of work for a cluster: one or more of the populations a run trains in-process, whole.

A cut never changes a number, so units never split a population: XLA compiles a population's step for its
number of members, and a member trained beside four others ends 20 epochs a few tenths of a point away from
the same member beside nine (measured on the seed preset). The kinds cut along their own populations: a map's
groups of pairs and networks, a leaderboard's optimizers. Pure bookkeeping, no Ray and no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.config import ExperimentConfig
from engine.config.presets import study_networks
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

    def title(self, kind_name: str) -> str:
        """'unit 2: pairs 5-6, seeds 3,4' (and the unit's optimizers or network where the run has several)."""
        config = self.config
        pairs = " ".join(f"{a}-{b}" for a, b in config.split.pairs)
        seeds = ",".join(str(s) for s in config.run.seeds)
        title = f"unit {self.number + 1}: pairs {pairs}, seeds {seeds}"
        if kind_name == "leaderboard":
            title += f", {','.join(config.leaderboard.optimizers)}"
        elif kind_name == "map":
            title += f", {study_networks(config)[0][0]}"
        return title
