"""What a plan entry trains beyond its phase, pair and seeds, as a value: a layer sweep's cell, one network of a
map, a tuning's trial, a leaderboard's trial. Each spells itself as the text plan entries were named by before
(`text`), which names their checkpoints and their epochs in the run store, so runs stored earlier resume."""

from __future__ import annotations

from dataclasses import dataclass

from engine.config.arms import Arm
from engine.config.search import ONE_SHOT


@dataclass(frozen=True)
class SweepCell:
    """A layer sweep's treatment at a reuse depth (Yosinski et al. 2014), an arm such as AnB+:2."""

    arm: Arm

    @property
    def text(self) -> str:
        """'AnB+ 2'."""
        return f"{self.arm.treatment} {self.arm.depth}"


@dataclass(frozen=True)
class Network:
    """One network of a map over several networks, by the name the map gives it ('dense', 'cnn')."""

    name: str

    @property
    def text(self) -> str:
        return self.name


@dataclass(frozen=True)
class TuneTrial:
    """Trial `number` of a tuning's arm (0-based), or its one-shot: the notebook's configuration, once; `values`
    are what it trains with (its learning rate, frozen epochs...), as the plan drew them."""

    arm: Arm
    number: int
    values: tuple[tuple[str, float], ...] = ()

    @property
    def drawn(self) -> dict[str, float]:
        return dict(self.values)

    @property
    def one_shot(self) -> bool:
        return self.number == ONE_SHOT

    @property
    def label(self) -> str:
        """'1', '2', ... or 'one-shot', as tables and plan entries name a trial."""
        return "one-shot" if self.one_shot else str(self.number + 1)

    @property
    def text(self) -> str:
        """'tune transfer 3', 'tune AnB+:2 one-shot'."""
        return f"tune {self.arm.name} {self.label}"


@dataclass(frozen=True)
class BudgetTrial:
    """Trial `number` (0-based) of one optimizer at a leaderboard's equal budget."""

    optimizer: str
    number: int

    @property
    def text(self) -> str:
        """'budget adam 3'."""
        return f"budget {self.optimizer} {self.number + 1}"


Trains = SweepCell | Network | TuneTrial | BudgetTrial
