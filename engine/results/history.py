"""Per-epoch metrics of one phase of one model, as every result, checkpoint and cache keeps them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from engine.progress import EpochMetrics


@dataclass
class PhaseHistory:
    """Per-epoch metrics of one phase, plus whether its loss stopped being finite."""

    METRICS: ClassVar[tuple[str, ...]] = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    diverged: bool = False

    def append(self, metrics: EpochMetrics) -> None:
        for name in self.METRICS:
            getattr(self, name).append(getattr(metrics, name))

    def as_dict(self) -> dict[str, list[float]]:
        """The metric lists, as results report them."""
        return {name: getattr(self, name) for name in self.METRICS}

    def to_dict(self) -> dict:
        return {**self.as_dict(), "diverged": self.diverged}

    @classmethod
    def from_dict(cls, values: dict) -> PhaseHistory:
        return cls(**{name: list(values[name]) for name in cls.METRICS}, diverged=values["diverged"])
