"""What a layer sweep holds: B's test accuracy per treatment, reuse depth and seed, against B from scratch.

The design is Yosinski et al. 2014's (NIPS, "How transferable are features in deep neural networks?"): AnB
reuses A's first n layers frozen, AnB+ fine-tunes them, BnB and BnB+ reuse the scratch B's own layers (the
selffer control), and baseB (n = 0) is B trained from scratch. Kept free of TensorFlow.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from engine.classes import class_label
from engine.config import ExperimentConfig
from engine.results.experiment import CHANCE
from engine.results.protocol import merged_device, merged_status, settings_of
from engine.results.stats import interval_95, mean, std
from engine.results.variance import sources_line
from engine.results.words import every, plural


@dataclass
class StudyCell:
    """One treatment at one reuse depth: each seed's B test accuracy."""

    treatment: str
    layers: int
    accuracies: dict[int, float] = field(default_factory=dict)
    diverged_seeds: list[int] = field(default_factory=list)

    @property
    def variant(self) -> str:
        """How plan entries and rows name it: 'AnB+ 2'."""
        return f"{self.treatment} {self.layers}"


@dataclass(frozen=True)
class CellSummary:
    """A cell against baseB over the seeds both finished: mean ± std, the 95% interval of the difference, and
    in how many seeds the treatment beat, tied or lost to B from scratch."""

    treatment: str
    layers: int
    mean: float | None
    std: float | None
    difference: float | None  # mean over seeds of (cell - baseB)
    interval: tuple[float, float] | None
    wins: int
    ties: int
    losses: int

    @property
    def n_seeds(self) -> int:
        return self.wins + self.ties + self.losses


@dataclass
class StudyResult:
    """A layer sweep: model A's and baseB's test accuracy per seed, and every (treatment, depth) cell."""

    config: dict[str, Any]
    cells: list[StudyCell]
    baseline: dict[int, float]  # B from scratch (n = 0), per seed
    accuracy_a: dict[int, float]
    status: str
    device: str = ""

    @cached_property
    def settings(self) -> ExperimentConfig:
        """The config it swept with, typed."""
        return settings_of(self.config)

    @classmethod
    def merged(cls, config: dict[str, Any], parts: list[StudyResult]) -> StudyResult:
        """Units' sweeps (shares of the seeds) put together, cell by cell."""
        cells = [StudyCell(cell.treatment, cell.layers) for cell in parts[0].cells] if parts else []
        for cell in cells:
            shares = [c for part in parts for c in part.cells if c.variant == cell.variant]
            cell.accuracies = {seed: acc for share in shares for seed, acc in share.accuracies.items()}
            cell.diverged_seeds = sorted(seed for share in shares for seed in share.diverged_seeds)
        baseline = {seed: acc for part in parts for seed, acc in part.baseline.items()}
        accuracy_a = {seed: acc for part in parts for seed, acc in part.accuracy_a.items()}
        return cls(config, cells, baseline, accuracy_a, merged_status(parts), merged_device(parts))

    def copy(self) -> StudyResult:
        """An independent copy, for a live view to keep while the sweep goes on."""
        return StudyResult.from_dict(self.to_dict())

    def summaries(self) -> list[CellSummary]:
        return [self._summary(cell) for cell in self.cells]

    def _summary(self, cell: StudyCell) -> CellSummary:
        """Over every seed with a baseline; a seed whose cell diverged counts at chance level (50%), as a failure
        counts in every reading."""
        seeds = [s for s in cell.accuracies if s in self.baseline]
        counted = {s: CHANCE if s in cell.diverged_seeds else cell.accuracies[s] for s in seeds}
        values = [counted[s] for s in seeds]
        differences = [counted[s] - self.baseline[s] for s in seeds]
        return CellSummary(
            cell.treatment,
            cell.layers,
            mean(values),
            std(values),
            mean(differences),
            interval_95(differences),
            sum(d > 0 for d in differences),
            sum(d == 0 for d in differences),
            sum(d < 0 for d in differences),
        )

    def reading(self) -> list[str]:
        """Sentences no stronger than the numbers: a direction is stated only where every seed agrees, or as
        a count of seeds; 'no clear difference' otherwise."""
        if not self.baseline:
            return ["Nothing finished yet."]
        base = list(self.baseline.values())
        lines = [f"B from scratch (baseB): {_percent(mean(base))} test accuracy over {plural(len(base), 'seed')}."]
        for treatment in dict.fromkeys(cell.treatment for cell in self.cells):
            rows = [s for s in self.summaries() if s.treatment == treatment and s.mean is not None]
            if not rows:
                continue
            # each cell against its own seeds: a cell that lost a seed is not read by another cell's count
            above = [r for r in rows if r.wins == r.n_seeds]
            below = [r for r in rows if r.losses == r.n_seeds]
            parts = [f"beats baseB in {phrase} at n = {depths}" for phrase, depths in _by_seeds(above)]
            parts += [f"falls below baseB in {phrase} at n = {depths}" for phrase, depths in _by_seeds(below)]
            mixed = [r.layers for r in rows if r not in above + below]
            if mixed:
                parts.append(f"no difference every seed agrees on at n = {_layers(mixed)}")
            best = max(rows, key=lambda r: r.mean)
            parts.append(f"best mean at n = {best.layers} ({_percent(best.mean)}, {_points(best.difference)})")
            lines.append(f"{treatment}: " + "; ".join(parts) + ".")
        if len(base) < 3:
            lines.append("Fewer than 3 seeds: read these as anecdotes, not findings.")
        return [*lines, sources_line(self.settings, "study")]

    def model_files(self) -> list[str]:
        return []  # a sweep keeps its numbers; model A stays in the model cache

    def relocated(self, folder: Path, to: Path) -> StudyResult:
        return self  # no model files

    def summary_line(self) -> str:
        rows = [s for s in self.summaries() if s.mean is not None]
        if not self.baseline or not rows:
            return "no cell finished"
        best = max(rows, key=lambda r: r.mean)
        seeds = best.wins + best.ties + best.losses
        base = mean(list(self.baseline.values()))
        best_cell = f"{best.treatment} n={best.layers} {100 * best.mean:.1f}%"
        return f"baseB {100 * base:.1f}%, best {best_cell} ({best.wins}/{seeds} above)"

    def export_rows(self) -> list[dict[str, Any]]:
        """One flat row per finished cell, baseB first (if it finished); cells a stop left untrained have none."""
        seeds = sorted(self.baseline)
        base = list(self.baseline.values())
        if not base:
            return []
        rows = [
            {
                "treatment": "baseB",
                "layers": 0,
                "mean": mean(base),
                "std": std(base),
                "difference_to_baseB": None,
                "wins": None,
                "losses": None,
                **_seed_columns(self.baseline, seeds),
            }
        ]
        for cell, summary in zip(self.cells, self.summaries(), strict=True):
            if not cell.accuracies:
                continue
            rows.append(
                {
                    "treatment": cell.treatment,
                    "layers": cell.layers,
                    "mean": summary.mean,
                    "std": summary.std,
                    "difference_to_baseB": summary.difference,
                    "wins": summary.wins,
                    "losses": summary.losses,
                    **_seed_columns(cell.accuracies, seeds),
                }
            )
        return rows

    def export_heading(self) -> str:
        pair = self.settings.split.b_classes
        return (
            f"# Layer sweep: which layers transfer, {class_label(pair[0])} vs {class_label(pair[1])}\n\n"
            f"{self.settings.network.kind} network, seeds {list(self.settings.run.seeds)}, B test accuracy, "
            f"status {self.status}, {self.device}.\n"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "status": self.status,
            "device": self.device,
            "baseline": self.baseline,
            "accuracy_a": self.accuracy_a,
            "cells": [{**asdict(cell), "summary": asdict(self._summary(cell))} for cell in self.cells],
            "reading": self.reading(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudyResult:
        """Read back what to_dict wrote (JSON turned the seed keys into strings)."""
        by_seed = lambda values: {int(seed): value for seed, value in values.items()}  # noqa: E731
        cells = [
            StudyCell(item["treatment"], item["layers"], by_seed(item["accuracies"]), item["diverged_seeds"])
            for item in data["cells"]
        ]
        return cls(
            data["config"],
            cells,
            by_seed(data["baseline"]),
            by_seed(data["accuracy_a"]),
            data["status"],
            data.get("device", ""),
        )


def _seed_columns(values: dict[int, float], seeds: list[int]) -> dict[str, float | None]:
    return {f"seed_{seed}": values.get(seed) for seed in seeds}


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def _points(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:+.2f} points vs baseB"


def _layers(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def _by_seeds(rows: list[CellSummary]) -> list[tuple[str, str]]:
    """('both seeds', '1, 2'), ('all 3 seeds', '3'): depths grouped by how many seeds their cell has."""
    counts = dict.fromkeys(row.n_seeds for row in rows)
    return [(every(count, "seed"), _layers([row.layers for row in rows if row.n_seeds == count])) for count in counts]
