"""What an experiment produces: per-seed results and an honest summary over seeds."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from engine.classes import TEST_IMAGES_PER_CLASS, class_name
from engine.config import ExperimentConfig
from engine.config.schema import StatsConfig
from engine.phases import B_SCRATCH
from engine.results import stats
from engine.results.protocol import merged_device, merged_status, settings_of
from engine.results.words import plural

History = dict[str, dict[str, list[float]]]
DEFAULT_ROPE_POINTS = StatsConfig().rope_points  # [stats] rope_points, where a reading has no config to ask


def pairs_of(config: dict[str, Any]) -> list[tuple[int, int]]:
    """Task B's class pairs as a stored config lists them: the first, then the extra ones."""
    return list(settings_of(config).split.pairs)


@dataclass(frozen=True)
class SeedResult:
    """Test accuracies and per-epoch history of every phase for one seed."""

    seed: int
    b_classes: tuple[int, int]
    test_acc_a: float
    test_acc_b_scratch: float
    test_acc_b_transfer: float
    history: History
    diverged: str | None = None
    model_files: dict[str, str] = field(default_factory=dict)

    @property
    def difference(self) -> float:
        """Transfer minus scratch accuracy: positive when transfer did better."""
        return self.test_acc_b_transfer - self.test_acc_b_scratch

    @property
    def error_ratio(self) -> float | None:
        """(1 - acc_scratch) / (1 - acc_transfer): above 1, transfer made fewer errors. None if transfer made none."""
        transfer_errors = 1.0 - self.test_acc_b_transfer
        if transfer_errors <= 0:
            return None
        return (1.0 - self.test_acc_b_scratch) / transfer_errors

    def diverged_phases(self) -> set[str]:
        """Every phase whose loss stopped being finite: the one `diverged` names, and any other its history shows
        (a seed's B from scratch and B on A can both diverge)."""
        phases = {self.diverged} if self.diverged else set()
        for phase, metrics in self.history.items():
            if any(loss is None or not math.isfinite(loss) for loss in metrics.get("loss", [])):
                phases.add(phase)
        return phases

    def counted(self) -> SeedResult:
        """This seed as every reading counts it: a model that diverged (B from scratch in its phase; B on A in its
        own phases or in model A's, whose layers it reuses) scores chance level, 50% on the balanced task B, so a
        failure lowers a reading instead of vanishing from it."""
        phases = self.diverged_phases()
        if not phases:
            return self
        counted = self
        if B_SCRATCH in phases:
            counted = dataclasses.replace(counted, test_acc_b_scratch=CHANCE)
        if phases - {B_SCRATCH}:
            counted = dataclasses.replace(counted, test_acc_b_transfer=CHANCE)
        return counted

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SeedResult:
        """Read back what to_dict wrote (the derived fields are recomputed, not read)."""
        fields = {f.name for f in dataclasses.fields(cls)}
        kept = {key: value for key, value in values.items() if key in fields}
        return cls(**{**kept, "b_classes": tuple(values["b_classes"])})

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["b_classes"] = list(self.b_classes)
        values["error_ratio"] = self.error_ratio
        values["difference"] = self.difference
        return values


@dataclass(frozen=True)
class Summary:
    """Aggregates over every seed, a diverged model counting at chance level (SeedResult.counted); `verdict` says
    in words only what the numbers show."""

    n_seeds: int
    n_diverged: int
    acc_a_mean: float | None
    acc_a_std: float | None
    acc_scratch_mean: float | None
    acc_scratch_std: float | None
    acc_transfer_mean: float | None
    acc_transfer_std: float | None
    difference_mean: float | None
    difference_std: float | None
    difference_ci95: tuple[float, float] | None
    wins: int
    losses: int
    ties: int
    error_ratio_median: float | None
    reading: Verdict

    @property
    def verdict(self) -> str:
        return self.reading.text

    @property
    def side(self) -> str:
        return self.reading.side

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["difference_ci95"] = list(self.difference_ci95) if self.difference_ci95 else None
        del values["reading"]
        values["verdict"] = self.verdict  # as exported before the verdict was a value
        return values


def summarise(results: list[SeedResult], rope_points: float = DEFAULT_ROPE_POINTS) -> Summary:
    """Mean ± std, paired difference with its 95% interval, wins/losses/ties and a plain-words verdict, over every
    seed: a diverged one counts at chance level and is named in the verdict."""
    counted = [r.counted() for r in results]
    scratch = [r.test_acc_b_scratch for r in counted]
    transfer = [r.test_acc_b_transfer for r in counted]
    differences = [r.difference for r in counted]
    ratios = [r.error_ratio for r in counted if r.error_ratio is not None]
    n_diverged = sum(r.diverged is not None for r in results)
    wins = sum(d > 0 for d in differences)
    losses = sum(d < 0 for d in differences)
    ci = stats.interval_95(differences)
    known_a = [r.test_acc_a for r in counted if not math.isnan(r.test_acc_a)]  # NaN: no model A was tested
    return Summary(
        n_seeds=len(counted),
        n_diverged=n_diverged,
        acc_a_mean=stats.mean(known_a),
        acc_a_std=stats.std(known_a),
        acc_scratch_mean=stats.mean(scratch),
        acc_scratch_std=stats.std(scratch),
        acc_transfer_mean=stats.mean(transfer),
        acc_transfer_std=stats.std(transfer),
        difference_mean=stats.mean(differences),
        difference_std=stats.std(differences),
        difference_ci95=ci,
        wins=wins,
        losses=losses,
        ties=len(differences) - wins - losses,
        error_ratio_median=stats.median(ratios),
        reading=verdict(
            differences,
            ci,
            wins,
            n_diverged,
            (stats.mean(scratch), stats.mean(transfer)),
            (scratch, transfer),
            rope_points,
        ),
    )


AHEAD, BEHIND, EQUIVALENT, NO_DIFFERENCE = "ahead", "behind", "equivalent", "no difference"
SIDES = (AHEAD, BEHIND, EQUIVALENT, NO_DIFFERENCE)
# B's test set is balanced, so guessing scores 50%; with 2,000 test images an accuracy within two binomial
# standard errors of it (2 x sqrt(0.25 / 2,000) = 2.2 points) cannot be told from guessing
CHANCE = 0.5
CHANCE_BAND = 2 * math.sqrt(CHANCE * (1 - CHANCE) / (2 * TEST_IMAGES_PER_CLASS))
SCALE_POINTS = 100  # an interval reaching past ±100 points is wider than accuracy can move


def at_chance(accuracy: float | None) -> bool:
    """Whether a mean B test accuracy is indistinguishable from guessing on the balanced test set."""
    return accuracy is not None and abs(accuracy - CHANCE) <= CHANCE_BAND


def below_chance(accuracy: float) -> bool:
    """Whether a B test accuracy is clearly worse than guessing: on a balanced binary task that is no weak model
    but a broken one (diverged, or predicting the classes the wrong way round)."""
    return accuracy < CHANCE - CHANCE_BAND


def below_chance_note(seed_accuracies: tuple[list[float], list[float]]) -> str:
    """A sentence per model that scored below chance in some seed: its seeds and scores, and what that means."""
    notes = []
    for name, accuracies in zip(("B from scratch", "B on A"), seed_accuracies, strict=True):
        below = [accuracy for accuracy in accuracies if below_chance(accuracy)]
        if below:
            scores = ", ".join(f"{100 * accuracy:.2f}%" for accuracy in below)
            notes.append(
                f" {name} is below chance level in {len(below)} of {plural(len(accuracies), 'seed')} ({scores}; "
                f"guessing scores 50%): worse than guessing means it broke down (a diverged or inverted model), "
                "not that it learnt little, so check it before reading the difference."
            )
    return "".join(notes)


def interval_side(low: float, high: float, rope_points: float) -> str:
    """The side a 95% interval of transfer's gain (in points) reads: 'equivalent' inside ±`rope_points` (whether
    or not it clears zero), else 'ahead' or 'behind' where it clears zero, else 'no difference' (cannot tell)."""
    if -rope_points <= low and high <= rope_points:
        return EQUIVALENT
    return AHEAD if low > 0 else BEHIND if high < 0 else NO_DIFFERENCE


@dataclass(frozen=True)
class Verdict:
    """A comparison read in words, and the side the words take: 'ahead' (transfer helped), 'behind' (it hurt),
    'equivalent' (the interval lies inside the band of practical equivalence, ±[stats] rope_points) or 'no
    difference' (cannot tell: the interval includes zero and reaches past the band, is too wide to read, or there
    is nothing to read)."""

    side: str
    text: str


def verdict(
    differences: list[float],
    ci: tuple[float, float] | None,
    wins: int,
    n_diverged: int,
    accuracies: tuple[float | None, float | None] = (None, None),
    seed_accuracies: tuple[list[float], list[float]] = ([], []),
    rope_points: float = DEFAULT_ROPE_POINTS,
) -> Verdict:
    """One or two sentences and the side they read; claims a gain only when the 95% interval of the difference
    excludes zero, and none at all where both models are at chance level (`accuracies`: B from scratch's and B on
    A's mean); says where a model scored below chance in a seed (`seed_accuracies`: each model's, per seed)."""
    diverged_note = (
        f" {plural(n_diverged, 'seed')} diverged: the model that diverged counts at chance level (50%) in these "
        "numbers, as a failure, not left out."
        if n_diverged
        else ""
    ) + below_chance_note(seed_accuracies)
    n = len(differences)
    if n == 0:
        return Verdict(NO_DIFFERENCE, "No seed finished, so there is nothing to compare." + diverged_note)
    scratch, transfer = accuracies
    band = f"50% ± {100 * CHANCE_BAND:.1f} points on {2 * TEST_IMAGES_PER_CLASS:,} balanced test images"
    if at_chance(scratch) and at_chance(transfer):
        return Verdict(
            NO_DIFFERENCE,
            f"Both models are at chance level (B from scratch {100 * scratch:.2f}%, B on A {100 * transfer:.2f}%; "
            f"guessing scores {band}): neither learnt task B, so their difference says nothing. Train longer or "
            "check the settings." + diverged_note,
        )
    chance_note = "".join(
        f" {name} is at chance level ({100 * accuracy:.2f}%; guessing scores {band})."
        for name, accuracy in (("B from scratch", scratch), ("B on A", transfer))
        if at_chance(accuracy)
    )
    mean_pp = 100 * stats.mean(differences)
    if n == 1:
        if math.isclose(mean_pp, 0.0, abs_tol=1e-9):
            outcome = "tied with scratch"
        else:
            outcome = f"{'beat' if mean_pp > 0 else 'trailed'} scratch by {abs(mean_pp):.2f} points"
        return Verdict(
            NO_DIFFERENCE,
            f"One seed only: transfer {outcome}. A single seed cannot tell a real effect from luck; "
            "run more seeds." + chance_note + diverged_note,
        )
    record = f"transfer won {wins} of {plural(n, 'seed')}"
    if ci is None:  # every seed gave the same difference: a zero-width interval, which is no certainty
        return Verdict(
            NO_DIFFERENCE,
            f"Cannot tell: every seed gave the same difference ({mean_pp:+.2f} points; {record}), so "
            f"{plural(n, 'seed')} show no spread to judge it by, and a zero-width interval is no certainty; "
            "run more seeds." + chance_note + diverged_note,
        )
    low, high = (100 * bound for bound in ci)
    if low < -SCALE_POINTS or high > SCALE_POINTS:
        return Verdict(
            NO_DIFFERENCE,
            f"No clear difference: {mean_pp:+.2f} points on average, but with {plural(n, 'seed')} the 95% interval "
            f"({low:+.2f} to {high:+.2f}) is wider than the whole accuracy scale: too wide to read; run more seeds; "
            f"{record}." + chance_note + diverged_note,
        )
    spread = f"{mean_pp:+.2f} points on average (95% CI {low:+.2f} to {high:+.2f})"
    side = interval_side(low, high, rope_points)
    if side == EQUIVALENT:
        return Verdict(
            EQUIVALENT,
            f"Practically equivalent: {spread}, inside ±{rope_points:g} points ([stats] rope_points), a difference "
            f"too small to matter{' though clear of zero' if low > 0 or high < 0 else ''}; {record}."
            + chance_note
            + diverged_note,
        )
    if side == AHEAD:
        return Verdict(AHEAD, f"Transfer helped: {spread}; {record}." + chance_note + diverged_note)
    if side == BEHIND:
        return Verdict(BEHIND, f"Transfer hurt: {spread}; {record}." + chance_note + diverged_note)
    needed = stats.seeds_for_half_width(stats.std(differences) * 100, rope_points)
    resolve = (
        f"; at this spread about {needed} seeds would resolve it to ±{rope_points:g} points"
        if needed is not None
        else f"; at this spread no practical number of seeds would resolve it to ±{rope_points:g} points"
    )
    text = (
        f"No clear difference (cannot tell): {spread}, an interval that includes zero and reaches past "
        f"±{rope_points:g} points{resolve}; {record}." + chance_note + diverged_note
    )
    return Verdict(NO_DIFFERENCE, text)


@dataclass(frozen=True)
class ExperimentResult:
    """Everything a run produced; `status` is 'finished' or 'cancelled' (then `seeds` holds the finished ones).
    With several class pairs (a study), `seeds` holds every (pair, seed) result."""

    config: dict[str, Any]
    seeds: list[SeedResult]
    status: str
    device: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExperimentResult:
        seeds = [SeedResult.from_dict(values) for values in data["seeds"]]
        return cls(data["config"], seeds, data["status"], data["device"])

    @classmethod
    def merged(cls, config: dict[str, Any], parts: list[ExperimentResult]) -> ExperimentResult:
        """The results of units of one run (shares of its pairs and seeds), in the order the run lists them."""
        settings = settings_of(config)
        pairs_seeds = ((pair, seed) for pair in settings.split.pairs for seed in settings.run.seeds)
        order = {pair_seed: number for number, pair_seed in enumerate(pairs_seeds)}
        every = sorted((r for part in parts for r in part.seeds), key=lambda r: order[(r.b_classes, r.seed)])
        return cls(config, every, merged_status(parts), merged_device(parts))

    @cached_property
    def settings(self) -> ExperimentConfig:
        """The config it ran with, typed."""
        return settings_of(self.config)

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """The class pairs that have results, in the order they ran."""
        return list(dict.fromkeys(r.b_classes for r in self.seeds))

    def model_files(self) -> list[str]:
        return [path for r in self.seeds for path in r.model_files.values()]

    def relocated(self, folder: Path, to: Path) -> ExperimentResult:
        def moved(path: str) -> str:
            return str(Path(to) / Path(path).relative_to(folder))

        seeds = [
            dataclasses.replace(r, model_files={role: moved(path) for role, path in r.model_files.items()})
            for r in self.seeds
        ]
        return dataclasses.replace(self, seeds=seeds)

    def by_network(self) -> dict[str, ExperimentResult]:
        """This run under its network's name: views that show maps of several networks take one alike."""
        return {self.settings.network.kind: self}

    def seeds_of(self, pair: tuple[int, int]) -> list[SeedResult]:
        return [r for r in self.seeds if r.b_classes == pair]

    def summaries(self) -> dict[tuple[int, int], Summary]:
        """One summary per class pair: seeds of different pairs are never pooled."""
        rope = self.settings.stats.rope_points
        return {pair: summarise(self.seeds_of(pair), rope) for pair in self.pairs}

    @property
    def planned_runs(self) -> int:
        """How many (pair, seed) runs the config asked for."""
        return len(self.settings.run.seeds) * len(self.settings.split.pairs)

    def export_rows(self) -> list[dict[str, Any]]:
        """One flat row per (class pair, seed)."""
        return [
            {
                "b_pair": f"{class_name(r.b_classes[0])} vs {class_name(r.b_classes[1])}",
                "seed": r.seed,
                "test_acc_a": r.test_acc_a,
                "test_acc_b_scratch": r.test_acc_b_scratch,
                "test_acc_b_transfer": r.test_acc_b_transfer,
                "difference": r.difference,
                "error_ratio": r.error_ratio,
                "diverged": r.diverged or "",
            }
            for r in self.seeds
        ]

    def export_heading(self) -> str:
        heading = (
            f"# Transfer experiment\n\nSeeds {self.config['run']['seeds']}, status {self.status}, {self.device}.\n"
        )
        for pair, summary in self.summaries().items():
            heading += f"\n- {class_name(pair[0])} vs {class_name(pair[1])}: {summary.verdict}"
        return heading + "\n"

    def summary_line(self) -> str:
        """The numbers, not the verdict's words: one pair in full, a study by the range of its differences."""
        summaries = self.summaries()
        finished = {pair: s for pair, s in summaries.items() if s.difference_mean is not None}
        if not finished:
            return "every seed diverged" if summaries else "no seed finished"
        if len(summaries) == 1:
            ((pair, s),) = finished.items()
            return (
                f"{class_name(pair[0])} vs {class_name(pair[1])}: scratch {100 * s.acc_scratch_mean:.2f}%, "
                f"B on A {100 * s.acc_transfer_mean:.2f}%, Δ {100 * s.difference_mean:+.2f} points, "
                f"won {s.wins}/{s.n_seeds}"
            )
        differences = [100 * s.difference_mean for s in finished.values()]
        ahead = sum(d > 0 for d in differences)
        return (
            f"{len(summaries)} pairs: Δ from {min(differences):+.2f} to {max(differences):+.2f} points; "
            f"transfer ahead on average in {ahead} of {len(summaries)}"
        )

    def to_dict(self) -> dict[str, Any]:
        summaries = self.summaries()
        return {
            "config": self.config,
            "status": self.status,
            "device": self.device,
            "seeds": [r.to_dict() for r in self.seeds],
            "summary": next(iter(summaries.values())).to_dict() if len(summaries) == 1 else None,
            "pairs": [{"b_classes": list(pair), "summary": s.to_dict()} for pair, s in summaries.items()],
        }


def side_of(summary: Summary) -> str:
    """Transfer 'ahead', 'behind' or 'no difference', as the summary's verdict reads it."""
    return summary.side
