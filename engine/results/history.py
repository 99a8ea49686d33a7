"""Per-epoch metrics of one phase of one model, as every result, checkpoint and cache keeps them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

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
    best_epoch: int | None = None  # set where the phase kept its best validation epoch's weights (1-based)

    def append(self, metrics: EpochMetrics) -> None:
        for name in self.METRICS:
            getattr(self, name).append(getattr(metrics, name))

    def as_dict(self) -> dict[str, Any]:
        """The metric lists, as results report them (and the epoch whose weights were kept, where one was)."""
        values = {name: getattr(self, name) for name in self.METRICS}
        return values if self.best_epoch is None else {**values, "best_epoch": self.best_epoch}

    def to_dict(self) -> dict:
        return {**self.as_dict(), "diverged": self.diverged}

    @classmethod
    def from_dict(cls, values: dict) -> PhaseHistory:
        metrics = {name: list(values[name]) for name in cls.METRICS}
        return cls(**metrics, diverged=values["diverged"], best_epoch=values.get("best_epoch"))
