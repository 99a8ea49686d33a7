"""`transfer-tui bench --precision`: the experiment in float32 and in bfloat16, one after the other in one process,
for the speed of each and for what bfloat16 does to the numbers: every seed's test accuracies side by side, and
the shift in the paired Δ against the spread of Δ over seeds. Model A is trained both times (no cache)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import msgspec

from engine.config import ExperimentConfig
from engine.data.fashion_mnist import Dataset
from engine.hardware import bfloat16_flags, cpu_model
from engine.progress import EpochDone
from engine.results.experiment import SeedResult, Summary, side_of
from engine.runtime import device_name
from engine.studies.benches.population import Say
from engine.studies.experiment import run_experiment

PRECISIONS_TIMED = ("float32", "bfloat16")


@dataclass(frozen=True)
class PrecisionRun:
    """One precision's run: its wall time, its member-epochs (each seed's epochs of every phase), its seeds."""

    precision: str
    seconds: float
    member_epochs: int
    seeds: list[SeedResult]
    summary: Summary

    @property
    def seconds_per_member_epoch(self) -> float:
        return self.seconds / max(self.member_epochs, 1)

    @property
    def side(self) -> str:
        return side_of(self.summary)


@dataclass(frozen=True)
class PrecisionBench:
    device: str
    machine: str
    bfloat16_flags: list[str]
    runs: dict[str, PrecisionRun]

    @property
    def speedup(self) -> float:
        """How many times faster bfloat16 ran than float32, per member-epoch."""
        return self.runs["float32"].seconds_per_member_epoch / self.runs["bfloat16"].seconds_per_member_epoch

    @property
    def shift(self) -> float | None:
        """Mean Δ in bfloat16 minus mean Δ in float32 (accuracy, not points)."""
        means = [self.runs[p].summary.difference_mean for p in PRECISIONS_TIMED]
        return None if None in means else means[1] - means[0]

    @property
    def seed_spread(self) -> float | None:
        """The standard deviation of Δ over seeds in float32: what one seed's luck moves Δ by."""
        return self.runs["float32"].summary.difference_std

    @property
    def within_spread(self) -> bool | None:
        if self.shift is None or self.seed_spread is None:
            return None
        return abs(self.shift) <= self.seed_spread

    @property
    def verdict_changed(self) -> bool:
        return self.runs["float32"].side != self.runs["bfloat16"].side

    def to_dict(self) -> dict:
        return {
            "device": self.device,
            "machine": self.machine,
            "bfloat16_flags": self.bfloat16_flags,
            "speedup": self.speedup,
            "shift": self.shift,
            "seed_spread": self.seed_spread,
            "within_spread": self.within_spread,
            "verdict_changed": self.verdict_changed,
            "runs": {
                precision: {
                    "seconds": run.seconds,
                    "member_epochs": run.member_epochs,
                    "seconds_per_member_epoch": run.seconds_per_member_epoch,
                    "side": run.side,
                    "summary": run.summary.to_dict(),
                    "seeds": [seed.to_dict() for seed in run.seeds],
                }
                for precision, run in self.runs.items()
            },
        }


def run_precision_bench(config: ExperimentConfig, dataset: Dataset, say: Say) -> PrecisionBench:
    """The experiment of `config` once per precision, float32 first."""
    runs = {}
    for precision in PRECISIONS_TIMED:
        timed = msgspec.structs.replace(config, run=msgspec.structs.replace(config.run, precision=precision))
        epochs = 0

        def count(event: object) -> None:
            nonlocal epochs
            if isinstance(event, EpochDone):
                epochs += 1

        started = time.perf_counter()
        result = run_experiment(timed, dataset, listener=count)
        seconds = time.perf_counter() - started
        summary = next(iter(result.summaries().values()))
        runs[precision] = PrecisionRun(precision, seconds, epochs, result.seeds, summary)
        say(f"{precision}: {seconds:.1f} s, {epochs} member-epochs, {runs[precision].summary.verdict}")
    return PrecisionBench(device_name(), cpu_model(), list(bfloat16_flags()), runs)
