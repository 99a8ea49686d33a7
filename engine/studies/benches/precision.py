"""`transfer-tui bench --precision`: the experiment in float32, bfloat16 and float16, one after the other in one
process, for the speed of each and for what each lower precision does to the numbers: every seed's test accuracies
side by side, and the shift in the paired Δ against the spread of Δ over seeds. Model A is trained every time (no
cache)."""

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

PRECISIONS_TIMED = ("float32", "bfloat16", "float16")
LOWER = PRECISIONS_TIMED[1:]  # each read against float32


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

    def speedup(self, precision: str) -> float:
        """How many times faster `precision` ran than float32, per member-epoch."""
        return self.runs["float32"].seconds_per_member_epoch / self.runs[precision].seconds_per_member_epoch

    def shift(self, precision: str) -> float | None:
        """Mean Δ in `precision` minus mean Δ in float32 (accuracy, not points)."""
        means = [self.runs[p].summary.difference_mean for p in ("float32", precision)]
        return None if None in means else means[1] - means[0]

    @property
    def seed_spread(self) -> float | None:
        """The standard deviation of Δ over seeds in float32: what one seed's luck moves Δ by."""
        return self.runs["float32"].summary.difference_std

    def within_spread(self, precision: str) -> bool | None:
        shift = self.shift(precision)
        if shift is None or self.seed_spread is None:
            return None
        return abs(shift) <= self.seed_spread

    def verdict_changed(self, precision: str) -> bool:
        return self.runs["float32"].side != self.runs[precision].side

    def to_dict(self) -> dict:
        return {
            "device": self.device,
            "machine": self.machine,
            "bfloat16_flags": self.bfloat16_flags,
            "seed_spread": self.seed_spread,
            "against_float32": {
                precision: {
                    "speedup": self.speedup(precision),
                    "shift": self.shift(precision),
                    "within_spread": self.within_spread(precision),
                    "verdict_changed": self.verdict_changed(precision),
                }
                for precision in LOWER
            },
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
