"""The transfer map: for every class pair of a run, does reusing A help B? Per pair, the numbers of its Summary;
over pairs, a reading that counts pairs and never claims more than those counts."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from engine.classes import CLASS_NAMES
from engine.config import ExperimentConfig
from engine.results import stats
from engine.results.experiment import ExperimentResult, Summary
from engine.results.over_pairs import OverPairs, corrected_sentence, over_pairs, pooled_sentence
from engine.results.protocol import merged_device, merged_status, settings_of
from engine.results.words import plural

Pair = tuple[int, int]

# |mean Δ| in points at which a cell's colour steps up: faint, light, medium, strong
SHADE_STEPS = (0.25, 1.0, 3.0)


@dataclass(frozen=True)
class PairMap:
    """One network's map: the summary of every pair that has results, in run order."""

    name: str
    cells: dict[Pair, Summary]
    differences: dict[Pair, list[float]] = field(default_factory=dict)  # per seed: B on A minus B from scratch

    @classmethod
    def of(cls, result: ExperimentResult, name: str = "") -> PairMap:
        differences = {pair: [r.counted().difference for r in result.seeds_of(pair)] for pair in result.pairs}
        return cls(name or result.settings.network.kind, result.summaries(), differences)

    @cached_property
    def over_pairs(self) -> OverPairs | None:
        """The pooled reading and each pair's flags, before and after Holm's correction."""
        return over_pairs(self.differences)

    def reading(self) -> str:
        """Pooled first ('Over 45 pairs, B on A minus B from scratch: mean ... (95% interval ...)'), then the
        counts ('B on A was ahead on average in 7 of 45 pairs (won every seed in 2, 95% interval above zero in 1);
        behind in 31 (…); level in 7.'), then the flags after Holm's correction; a pair whose seeds all diverged
        is counted apart."""
        finished = {pair: s for pair, s in self.cells.items() if s.difference_mean is not None}
        ahead = [s for s in finished.values() if s.difference_mean > 0]
        behind = [s for s in finished.values() if s.difference_mean < 0]
        level = len(finished) - len(ahead) - len(behind)

        def detail(group: list[Summary], sign: int) -> str:
            every = sum(s.n_seeds > 0 and (s.wins if sign > 0 else s.losses) == s.n_seeds for s in group)
            sure = sum(
                s.difference_ci95 is not None and sign * s.difference_ci95[0 if sign > 0 else 1] > 0 for s in group
            )
            side = "above" if sign > 0 else "below"
            verb = "won" if sign > 0 else "lost"
            return f"{verb} every seed in {every}, 95% interval {side} zero in {sure}"

        pooled = self.over_pairs
        text = "" if pooled is None else pooled_sentence(pooled, "B on A minus B from scratch") + "\n"
        text += (
            f"B on A was ahead of B from scratch on average in {len(ahead)} of {len(self.cells)} pairs "
            f"({detail(ahead, 1)}); behind in {len(behind)} ({detail(behind, -1)})"
        )
        text += f"; level in {level}." if level else "."
        if pooled is not None and pooled.n_pairs > 1:
            text += "\n" + corrected_sentence(pooled)
        seeds = {s.n_seeds for s in finished.values()}
        if seeds and max(seeds) < 5:
            text += (
                f" With {plural(max(seeds), 'seed')} per pair one pair's sign is weak evidence; "
                "the reading over all pairs together is the finding."
            )
        failed = sum(0 < s.n_seeds == s.n_diverged for s in self.cells.values())
        if failed:
            text += f" {plural(failed, 'pair')} diverged in every seed (counted at chance level)."
        return text


def shade(difference_points: float | None) -> int:
    """0 (no colour) to 3 (strong): how far |mean Δ| is, by SHADE_STEPS."""
    if difference_points is None or not math.isfinite(difference_points):
        return 0
    return sum(abs(difference_points) >= step for step in SHADE_STEPS)


@dataclass(frozen=True)
class PairedGain:
    """One pair's paired difference of the gains of two networks (second minus first), over shared seeds."""

    pair: Pair
    n_seeds: int
    mean: float | None
    ci95: tuple[float, float] | None
    values: tuple[float, ...] = ()  # per shared seed


def paired_gains(first: ExperimentResult, second: ExperimentResult) -> list[PairedGain]:
    """Per pair, the gain (B on A minus scratch) of `second` minus that of `first`, seed by seed."""
    gains = []
    for pair in first.pairs:
        by_seed = {r.seed: r.counted() for r in first.seeds_of(pair)}  # a diverged seed counts at chance level
        differences = [
            r.counted().difference - by_seed[r.seed].difference for r in second.seeds_of(pair) if r.seed in by_seed
        ]
        gains.append(
            PairedGain(
                pair, len(differences), stats.mean(differences), stats.interval_95(differences), tuple(differences)
            )
        )
    return gains


def gains_verdict(gains: list[PairedGain], first: str, second: str) -> str:
    """One line on the claim that `second`'s layers transfer better than `first`'s, from the paired gains."""
    measured = [g for g in gains if g.mean is not None]
    if not measured:
        return "No pair finished in both networks, so there is nothing to compare."
    better = sum(g.mean > 0 for g in measured)
    sure_better = sum(g.ci95 is not None and g.ci95[0] > 0 for g in measured)
    sure_worse = sum(g.ci95 is not None and g.ci95[1] < 0 for g in measured)
    overall = stats.mean([g.mean for g in measured])
    text = (
        f"{second} gained more from transfer than {first} in {better} of {len(measured)} pairs "
        f"(95% interval above zero in {sure_better}, below zero in {sure_worse}); "
        f"mean difference of the gains {100 * overall:+.2f} points."
    )
    pooled = over_pairs({g.pair: list(g.values) for g in measured})
    if pooled is None or pooled.n_pairs < 2:
        return text
    pooled_text = pooled_sentence(pooled, f"the gain of {second} minus that of {first}")
    return f"{pooled_text}\n{text}\n{corrected_sentence(pooled)}"


def map_rows(pair_map: PairMap) -> list[dict]:
    """One flat row per pair for CSV and JSON exports."""
    rows = []
    for (negative, positive), s in pair_map.cells.items():
        rows.append(
            {
                "network": pair_map.name,
                "negative": CLASS_NAMES[negative],
                "positive": CLASS_NAMES[positive],
                "seeds": s.n_seeds,
                "scratch_mean": s.acc_scratch_mean,
                "scratch_std": s.acc_scratch_std,
                "b_on_a_mean": s.acc_transfer_mean,
                "b_on_a_std": s.acc_transfer_std,
                "difference_points": None if s.difference_mean is None else 100 * s.difference_mean,
                "wins": s.wins,
                "error_ratio_median": s.error_ratio_median,
            }
        )
    return rows


@dataclass
class MapResult:
    """A map study: the same pairs and seeds for each network, one ExperimentResult per network name."""

    config: dict[str, Any]
    results: dict[str, ExperimentResult]
    status: str
    device: str

    @cached_property
    def settings(self) -> ExperimentConfig:
        """The config it mapped with, typed."""
        return settings_of(self.config)

    @classmethod
    def merged(cls, config: dict[str, Any], parts: list[MapResult]) -> MapResult:
        """Units' maps (each one network's share of the pairs and seeds) put together, network by network."""
        by_name: dict[str, list[ExperimentResult]] = {}
        for part in parts:
            for name, result in part.results.items():
                by_name.setdefault(name, []).append(result)
        results = {
            name: ExperimentResult.merged(
                {**results[0].config, "run": config["run"], "split": config["split"]}, results
            )
            for name, results in by_name.items()
        }
        return cls(config, results, merged_status(parts), merged_device(parts))

    def maps(self) -> list[PairMap]:
        return [PairMap.of(result, name) for name, result in self.results.items()]

    def by_network(self) -> dict[str, ExperimentResult]:
        return dict(self.results)

    def gains(self) -> list[PairedGain] | None:
        """The paired difference of the gains (second network minus first), when there are two."""
        if len(self.results) != 2:
            return None
        first, second = self.results.values()
        return paired_gains(first, second)

    def gains_verdict(self) -> str | None:
        gains = self.gains()
        if gains is None:
            return None
        first, second = self.results
        return gains_verdict(gains, first, second)

    def model_files(self) -> list[str]:
        return [path for result in self.results.values() for path in result.model_files()]

    def relocated(self, folder: Path, to: Path) -> MapResult:
        results = {name: result.relocated(folder, to) for name, result in self.results.items()}
        return dataclasses.replace(self, results=results)

    def summary_line(self) -> str:
        parts = []
        for pair_map in self.maps():
            finished = [s for s in pair_map.cells.values() if s.difference_mean is not None]
            ahead = sum(s.difference_mean > 0 for s in finished)
            parts.append(f"{pair_map.name}: ahead in {ahead} of {len(pair_map.cells)} pairs")
        return "; ".join(parts) or "no pair finished"

    def export_rows(self) -> list[dict[str, Any]]:
        return [row for pair_map in self.maps() for row in map_rows(pair_map)]

    def export_heading(self) -> str:
        lines = [f"# Transfer map\n\nSeeds {self.config['run']['seeds']}, status {self.status}, {self.device}.\n"]
        lines += [f"- {pair_map.name}: {pair_map.reading()}" for pair_map in self.maps()]
        verdict = self.gains_verdict()
        if verdict:
            lines.append(f"- {verdict}")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        gains = self.gains()
        return {
            "config": self.config,
            "status": self.status,
            "device": self.device,
            "networks": {name: result.to_dict() for name, result in self.results.items()},
            "maps": [{"network": m.name, "reading": m.reading(), "cells": map_rows(m)} for m in self.maps()],
            "paired_gains": None
            if gains is None
            else [
                {"pair": list(g.pair), "seeds": g.n_seeds, "mean": g.mean, "ci95": list(g.ci95) if g.ci95 else None}
                for g in gains
            ],
            "verdict": self.gains_verdict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MapResult:
        results = {name: ExperimentResult.from_dict(values) for name, values in data["networks"].items()}
        return cls(data["config"], results, data["status"], data["device"])
