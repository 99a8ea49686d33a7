"""A kind of run for the registry's test: it flips a coin per seed (no TensorFlow, no models)."""

from __future__ import annotations

import dataclasses
from typing import Any

from engine.config import ExperimentConfig, config_to_dict
from engine.kinds import RunContext, RunKind


@dataclasses.dataclass
class CoinResult:
    """The result of a kind of run that only flips a coin per seed: no TensorFlow, no models."""

    config: dict[str, Any]
    heads: dict[int, bool]
    status: str = "finished"
    device: str = "CPU"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CoinResult:
        return cls(data["config"], {int(seed): heads for seed, heads in data["heads"].items()}, data["status"])

    def to_dict(self) -> dict[str, Any]:
        return {"config": self.config, "heads": self.heads, "status": self.status, "device": self.device}

    def model_files(self) -> list[str]:
        return []

    def summary_line(self) -> str:
        return f"{sum(self.heads.values())} heads of {len(self.heads)}"

    def export_rows(self) -> list[dict[str, Any]]:
        return [{"seed": seed, "heads": heads} for seed, heads in self.heads.items()]

    def export_heading(self) -> str:
        return "# Coin flips\n"


def run_kind(config: ExperimentConfig, _dataset, context: RunContext) -> CoinResult:
    """Flip a coin per seed: the study module's one required function."""
    return CoinResult(config_to_dict(config), {seed: seed % 2 == 0 for seed in config.run.seeds})


COINS = RunKind("coins", "coin flips", CoinResult, "tests.coin_kind", trains_b=lambda _c: False)
