"""What a tuning produces: every trial of every arm, seed and pair, and readings that use test accuracies only as
the protocol allows. Within a seed, each arm's trial is picked on validation alone (a diverged trial scores the
worst validation accuracy, 0, and stays in); the picked trial's test accuracy is the result; the best trial on
test is shown only as the oracle, "not a result". The verdict is over seeds, as an experiment's, and at every
budget n the expected test accuracy of the validation pick of n trials (engine.results.budget) is compared.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from engine.classes import class_name
from engine.config import ExperimentConfig
from engine.config.arms import SCRATCH, Arm, parse_arm
from engine.config.search import ONE_SHOT
from engine.phases import B_FINETUNE, B_SCRATCH
from engine.results import stats
from engine.results.budget import BudgetPoint, Expected, budget_curve, expected_of_pick, tied_pick
from engine.results.experiment import NO_DIFFERENCE, SIDES, SeedResult, Summary, interval_side, side_of, summarise
from engine.results.over_pairs import OverPairs, corrected_sentence, over_pairs, pooled_sentence
from engine.results.protocol import merged_device, merged_status, settings_of
from engine.results.words import plural

GREAT_IMPROVEMENT = 0.01  # the notebook author's "great improvement": transfer ahead by a point or more on test
METER_BUDGETS = (1, 4)  # the cherry-pick meter's budgets, besides the full one


@dataclass(frozen=True)
class Trial:
    """One trial of one arm for one seed and pair: the values it drew, its best validation epoch's accuracy (its
    last epoch's for the one-shot configuration, which keeps no best epoch), the test accuracy of the weights it
    ended with, and which of its values sit at the edge of their range."""

    arm: str
    number: int  # 0 .. budget - 1, or ONE_SHOT
    pair: tuple[int, int]
    seed: int
    values: dict[str, float]
    val_accuracy: float
    test_accuracy: float
    best_epoch: int | None
    diverged: bool = False
    edges: tuple[str, ...] = ()  # e.g. "learning_rate at the top of its range"
    history: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def picking_score(self) -> float:
        """What validation picks by: a diverged trial is the worst there is, never dropped."""
        return 0.0 if self.diverged else self.val_accuracy

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["pair"], values["edges"] = list(self.pair), list(self.edges)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Trial:
        return cls(**{**values, "pair": tuple(values["pair"]), "edges": tuple(values.get("edges", ()))})


def _pick(trials: list[Trial], score) -> Trial:
    """The trial with the best `score`; of equal scores the earlier trial (an argmax over the trials)."""
    return max(trials, key=lambda trial: (score(trial), -trial.number))


@dataclass(frozen=True)
class ArmReading:
    """One arm over the seeds of one pair: the budget curve (mean over seeds at each n), the picked and the oracle
    trials' test accuracies per seed, and the one-shot configuration's."""

    arm: str
    curve: list[BudgetPoint]
    picked: dict[int, Trial]
    oracle: dict[int, Trial]
    one_shot: dict[int, Trial]


@dataclass
class TuneResult:
    """Every trial of a tuning; `n_validation` B's validation images that picked them, `accuracy_a` model A's test
    accuracy per (pair, seed), as 'a-b:seed'. A running tuning adds to it arm by arm."""

    config: dict[str, Any]
    trials: list[Trial]
    status: str
    device: str
    n_validation: int = 0
    accuracy_a: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TuneResult:
        trials = [Trial.from_dict(values) for values in data["trials"]]
        return cls(
            data["config"], trials, data["status"], data["device"], data.get("n_validation", 0), data["accuracy_a"]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "status": self.status,
            "device": self.device,
            "n_validation": self.n_validation,
            "accuracy_a": self.accuracy_a,
            "trials": [trial.to_dict() for trial in self.trials],
            "pairs": [
                {
                    "b_classes": list(pair),
                    "summary": self.summary(pair).to_dict(),
                    "arms": {arm: self.summary(pair, arm).to_dict() for arm in self.contenders},
                    "reading": self.reading(pair),
                }
                for pair in self.pairs
                if self.complete(pair)
            ],
            "map_reading": self.map_reading(),
        }

    @classmethod
    def merged(cls, config: dict[str, Any], parts: list[TuneResult]) -> TuneResult:
        trials = [trial for part in parts for trial in part.trials]
        accuracy_a = {key: value for part in parts for key, value in part.accuracy_a.items()}
        n_validation = max((part.n_validation for part in parts), default=0)
        return cls(config, trials, merged_status(parts), merged_device(parts), n_validation, accuracy_a)

    def copy(self) -> TuneResult:
        """A snapshot for listeners, which the running tuning goes on adding to."""
        return dataclasses.replace(self, trials=list(self.trials), accuracy_a=dict(self.accuracy_a))

    def model_files(self) -> list[str]:
        return []  # a tuning keeps its numbers, not its models

    def relocated(self, folder: Path, to: Path) -> TuneResult:
        return self

    @cached_property
    def settings(self) -> ExperimentConfig:
        """The config it tuned with, typed."""
        return settings_of(self.config)

    @property
    def budget(self) -> int:
        return self.settings.tune.budget

    @property
    def arms(self) -> list[str]:
        """Scratch first, then the arms read against it, as they trained."""
        return [SCRATCH, *(arm for arm in self.settings.tune.arms if arm != SCRATCH)]

    def arm_of(self, name: str) -> Arm:
        """An arm of this tuning, parsed as it trained: the transfer arm reuses the layers [transfer] said."""
        transfer = self.settings.transfer
        return parse_arm(name, transfer.source, transfer.fine_tune)

    @property
    def contenders(self) -> list[str]:
        """The arms each read against B from scratch; the first is the headline's."""
        return self.arms[1:]

    def _contender(self, arm: str | None) -> str:
        return arm or self.contenders[0]

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return list(dict.fromkeys(trial.pair for trial in self.trials))

    def seeds_of(self, pair: tuple[int, int]) -> list[int]:
        return list(dict.fromkeys(trial.seed for trial in self.trials if trial.pair == pair))

    def trials_of(self, arm: str, pair: tuple[int, int], seed: int) -> list[Trial]:
        """The budget's trials, in their order (the one-shot configuration left out)."""
        found = [t for t in self.trials if (t.arm, t.pair, t.seed) == (arm, pair, seed) and t.number != ONE_SHOT]
        return sorted(found, key=lambda trial: trial.number)

    def one_shot(self, arm: str, pair: tuple[int, int], seed: int) -> Trial | None:
        return next((t for t in self.trials if (t.arm, t.pair, t.seed, t.number) == (arm, pair, seed, ONE_SHOT)), None)

    def complete(self, pair: tuple[int, int]) -> bool:
        """Whether every arm of the pair has its seeds' trials (a stopped tuning may have only some)."""
        seeds = self.seeds_of(pair)
        return bool(seeds) and all(
            len(self.trials_of(arm, pair, seed)) == self.budget for arm in self.arms for seed in seeds
        )

    def picked(self, arm: str, pair: tuple[int, int], seed: int) -> Trial:
        """The trial validation picks (the first of any tied at the best validation score)."""
        return _pick(self.trials_of(arm, pair, seed), lambda trial: trial.picking_score)

    def tied_picks(self, arm: str, pair: tuple[int, int], seed: int) -> list[Trial]:
        """Every trial tied at the best validation score: the pick is any of them alike, so the result is their
        mean test accuracy (never the earlier trial's by its number)."""
        trials = self.trials_of(arm, pair, seed)
        best = max(trial.picking_score for trial in trials)
        return [trial for trial in trials if trial.picking_score == best]

    def picked_test(self, arm: str, pair: tuple[int, int], seed: int) -> float:
        """The result: the test accuracy of the validation pick, the mean over tied picks; the n = budget point of
        the budget curve is this number exactly."""
        trials = self.trials_of(arm, pair, seed)
        return tied_pick([t.picking_score for t in trials], [t.test_accuracy for t in trials])

    def oracle(self, arm: str, pair: tuple[int, int], seed: int) -> Trial:
        """The best trial on test: what a report that picks on test would quote. Not a result."""
        return _pick(self.trials_of(arm, pair, seed), lambda trial: trial.test_accuracy)

    def arm_reading(self, arm: str, pair: tuple[int, int]) -> ArmReading:
        seeds = self.seeds_of(pair)
        curves = []
        for seed in seeds:
            trials = self.trials_of(arm, pair, seed)
            curves.append(
                budget_curve([t.picking_score for t in trials], [t.test_accuracy for t in trials], self.budget)
            )
        mean_curve = [_mean_point([curve[n] for curve in curves]) for n in range(self.budget)]
        one_shot = {seed: trial for seed in seeds if (trial := self.one_shot(arm, pair, seed)) is not None}
        return ArmReading(
            arm,
            mean_curve,
            {seed: self.picked(arm, pair, seed) for seed in seeds},
            {seed: self.oracle(arm, pair, seed) for seed in seeds},
            one_shot,
        )

    def _seed_results(self, pair: tuple[int, int], pick, arm: str | None, accuracy=None) -> list[SeedResult]:
        """B from scratch against `arm` (default: the first contender) per seed, each arm's trial chosen by
        `pick(arm, seed)`, its test accuracy `accuracy(arm, seed, trial)` (default: the trial's own)."""
        accuracy = accuracy or (lambda _name, _seed, trial: trial.test_accuracy)
        results = []
        for seed in self.seeds_of(pair):
            names = (SCRATCH, self._contender(arm))
            scratch, transfer = (pick(name, seed) for name in names)
            if scratch is None or transfer is None:
                continue
            # the phase whose model failed, as SeedResult.counted reads it: scratch's, else the contender's
            diverged = B_SCRATCH if scratch.diverged else B_FINETUNE if transfer.diverged else None
            accuracy_a = self.accuracy_a.get(f"{pair[0]}-{pair[1]}:{seed}", float("nan"))
            tests = [accuracy(name, seed, trial) for name, trial in zip(names, (scratch, transfer), strict=True)]
            results.append(SeedResult(seed, pair, accuracy_a, *tests, {}, diverged))
        return results

    def _picked_results(self, pair: tuple[int, int], arm: str | None) -> list[SeedResult]:
        """Each seed's validation picks at the full budget, each counted at the mean of any trials tied with it."""
        return self._seed_results(
            pair,
            lambda name, seed: self.picked(name, pair, seed),
            arm,
            lambda name, seed, _trial: self.picked_test(name, pair, seed),
        )

    def _one_shot_results(self, pair: tuple[int, int], arm: str | None) -> list[SeedResult]:
        return self._seed_results(pair, lambda name, seed: self.one_shot(name, pair, seed), arm)

    def summary(self, pair: tuple[int, int], arm: str | None = None) -> Summary:
        """The verdict at the full budget, `arm` against B from scratch: each arm's validation pick per seed,
        counted at the mean of any trials tied with it (picked_test)."""
        return summarise(self._picked_results(pair, arm), self.settings.stats.rope_points)

    def one_shot_summary(self, pair: tuple[int, int], arm: str | None = None) -> Summary:
        """The verdict of the notebook's own configurations, run once each, outside the budget."""
        return summarise(self._one_shot_results(pair, arm), self.settings.stats.rope_points)

    def over_pairs(self, arm: str | None = None, one_shot: bool = False) -> OverPairs | None:
        """The map over the finished pairs, read pooled and pair by pair (Holm): each seed's Δ of `arm` against B
        from scratch, a diverged model at chance; at the full budget, or the notebook's one-shot configurations."""
        seeds_of = self._one_shot_results if one_shot else self._picked_results
        differences = {}
        for pair in (pair for pair in self.pairs if self.complete(pair)):
            counted = [result.counted() for result in seeds_of(pair, arm)]
            differences[pair] = [r.difference for r in counted if r.difference is not None]
        return over_pairs(differences)

    def differences_at(self, pair: tuple[int, int], n: int, arm: str | None = None) -> list[float]:
        """Per seed: E[test of `arm`'s validation pick of n] - E[test of scratch's]."""
        differences = []
        for seed in self.seeds_of(pair):
            expected = []
            for name in (SCRATCH, self._contender(arm)):
                trials = self.trials_of(name, pair, seed)
                scores, tests = [t.picking_score for t in trials], [t.test_accuracy for t in trials]
                expected.append(expected_of_pick(scores, tests, n).mean)
            differences.append(expected[1] - expected[0])
        return differences

    def side_at(self, pair: tuple[int, int], n: int, arm: str | None = None) -> str:
        """'ahead', 'behind', 'equivalent' (inside ±[stats] rope_points) or 'no difference': `arm` at budget n, by
        the 95% interval over seeds, read as the verdict reads the result's (which is the n = budget row)."""
        interval = stats.interval_95(self.differences_at(pair, n, arm))
        if interval is None:
            return NO_DIFFERENCE
        low, high = (100 * bound for bound in interval)
        return interval_side(low, high, self.settings.stats.rope_points)

    def crossing(self, pair: tuple[int, int], arm: str | None = None) -> int | None:
        """The first budget at which the mean difference has the other sign than at n = 1, if it changes."""
        first = stats.mean(self.differences_at(pair, 1, arm)) or 0.0
        for n in range(2, self.budget + 1):
            if (stats.mean(self.differences_at(pair, n, arm)) or 0.0) * first < 0:
                return n
        return None

    def great_improvement_share(self, pair: tuple[int, int], arm: str | None = None) -> float:
        """The notebook author's replay: over every (`arm` trial, scratch trial) of every seed, the share in which
        the arm 'shows a great improvement' (ahead by GREAT_IMPROVEMENT or more on test)."""
        hits = total = 0
        for seed in self.seeds_of(pair):
            for transfer in self.trials_of(self._contender(arm), pair, seed):
                for scratch in self.trials_of(SCRATCH, pair, seed):
                    total += 1
                    hits += transfer.test_accuracy - scratch.test_accuracy >= GREAT_IMPROVEMENT - 1e-12
        return hits / total if total else 0.0

    def meter(self, pair: tuple[int, int], arm: str | None = None) -> dict[str, dict[int, float]]:
        """Points a report gains by picking on test instead of validation, per arm (scratch and `arm`) and for Δ,
        at n = 1, 4 and the budget (mean over seeds)."""
        budgets = sorted({n for n in (*METER_BUDGETS, self.budget) if n <= self.budget})
        contender = self._contender(arm)
        readings = {name: self.arm_reading(name, pair) for name in (SCRATCH, contender)}
        out: dict[str, dict[int, float]] = {arm: {} for arm in readings}
        out["difference"] = {}
        for n in budgets:
            for arm, reading in readings.items():
                out[arm][n] = reading.curve[n - 1].cherry_pick
            honest = (
                readings[contender].curve[n - 1].test_of_pick.mean - readings[SCRATCH].curve[n - 1].test_of_pick.mean
            )
            picked = readings[contender].curve[n - 1].best_test.mean - readings[SCRATCH].curve[n - 1].test_of_pick.mean
            out["difference"][n] = picked - honest  # the arm picked on test against an honest scratch
        return out

    def reading(self, pair: tuple[int, int]) -> list[str]:
        """The tuning of one pair in words, no stronger than its numbers: each arm against B from scratch."""
        n_seeds = len(self.seeds_of(pair))
        lines = [
            f"{class_name(pair[0])} vs {class_name(pair[1])}: {self.budget} trials per arm for each of "
            f"{plural(n_seeds, 'seed')}, each picked on {self.n_validation:,} validation images; test read once "
            "per arm and seed."
        ]
        for arm in self.contenders:
            title = "" if len(self.contenders) == 1 else f"{self.arm_of(arm).title} against B from scratch. "
            lines += [title + line if i == 0 else line for i, line in enumerate(self._arm_reading(pair, arm))]
        edges = sorted(
            {edge for arm in self.arms for seed in self.seeds_of(pair) for edge in self.picked(arm, pair, seed).edges}
        )
        if edges:
            lines.append(
                "At the edge of the search space: " + "; ".join(edges) + ". The optimum may lie outside it; the "
                "verdict holds for this space only."
            )
        return lines

    def _arm_reading(self, pair: tuple[int, int], arm: str) -> list[str]:
        """One contender against B from scratch: the verdicts, the sides by budget, the meter and the replay."""
        lines = [f"At equal budget: {self.summary(pair, arm).verdict}"]
        one_shot = self.one_shot_summary(pair, arm)
        if one_shot.n_seeds:
            lines.append(f"The notebook's own configurations, run once each: {one_shot.verdict}")
        sides = {n: self.side_at(pair, n, arm) for n in sorted({1, min(4, self.budget), self.budget})}
        word = self.arm_of(self._contender(arm)).word
        lines.append(
            f"{word[0].upper() + word[1:]} at budget "
            + ", ".join(f"{n}: {side}" for n, side in sides.items())
            + " (95% interval of the expected difference over seeds)."
        )
        crossing = self.crossing(pair, arm)
        if crossing is not None:
            lines.append(f"The arms' expected test accuracies cross at a budget of {crossing}.")
        meter = self.meter(pair, arm)
        budget_meter = ", ".join(
            f"{self.arm_of(name).word if name in self.arms else name} {100 * gains[self.budget]:+.2f}"
            for name, gains in meter.items()
            if self.budget in gains
        )
        lines.append(f"Cherry-pick meter (points gained by picking on test, at {self.budget} trials): {budget_meter}.")
        share = self.great_improvement_share(pair, arm)
        lines.append(
            f"Replaying the notebook's author: in {100 * share:.0f}% of ({word} trial, scratch trial) "
            f"pairings {word} 'shows a great improvement' (≥ +{100 * GREAT_IMPROVEMENT:.0f} point on test)."
        )
        return lines

    def map_reading(self) -> list[str]:
        """Over several pairs, per arm: the pooled reading of the fair map (and of the one-shot map), then the pairs'
        own verdicts, the flags after Holm's correction over the pairs, and how many pairs' verdict the equal
        budget changes against the one-shot configurations."""
        finished = [pair for pair in self.pairs if self.complete(pair)]
        if len(finished) < 2:
            return []
        lines = []
        for arm in self.contenders:
            name = self.arm_of(arm).word
            title = self.arm_of(arm).title
            fair_map, one_shot_map = self.over_pairs(arm), self.over_pairs(arm, one_shot=True)
            lines.append(pooled_sentence(fair_map, f"{title} minus B from scratch at {self.budget} trials per arm"))
            if one_shot_map is not None:
                lines.append(pooled_sentence(one_shot_map, f"{title} minus B from scratch one shot (the notebook's)"))
            fair = {pair: side_of(self.summary(pair, arm)) for pair in finished}
            shot = {pair: side_of(self.one_shot_summary(pair, arm)) for pair in finished}
            changed = [pair for pair in finished if shot[pair] != fair[pair]]
            counts = {side: sum(fair[pair] == side for pair in finished) for side in SIDES}
            one_shot = {side: sum(shot[pair] == side for pair in finished) for side in SIDES}
            lines += [
                f"Pair by pair at {self.budget} trials per arm (each pair's own 95% interval, uncorrected): {name} "
                f"ahead in {counts['ahead']}, behind in {counts['behind']}, equivalent in {counts['equivalent']}, no "
                f"clear difference in {counts['no difference']} (the notebook's one-shot configurations: "
                f"{one_shot['ahead']}, {one_shot['behind']}, {one_shot['equivalent']} and "
                f"{one_shot['no difference']}).",
                corrected_sentence(fair_map),
                f"The equal budget changes the verdict of {plural(len(changed), 'pair')} of {len(finished)}"
                + (": " + ", ".join(f"{class_name(a)} vs {class_name(b)}" for a, b in changed) if changed else "")
                + ".",
            ]
        return lines

    def summary_line(self) -> str:
        finished = [pair for pair in self.pairs if self.complete(pair)]
        if not finished:
            return "no pair finished its tuning"
        if len(finished) == 1:
            s = self.summary(finished[0])
            if s.difference_mean is None:
                return "every seed diverged"
            contender = self.arm_of(self.contenders[0]).title
            return (
                f"{class_name(finished[0][0])} vs {class_name(finished[0][1])} at {self.budget} trials: scratch "
                f"{100 * s.acc_scratch_mean:.2f}%, {contender} {100 * s.acc_transfer_mean:.2f}%, "
                f"Δ {100 * s.difference_mean:+.2f} points, won {s.wins}/{s.n_seeds}"
            )
        pooled = self.over_pairs()  # pooled first: a count of pairs ahead reads noise as a finding
        if pooled is None:
            return f"{len(finished)} pairs at {self.budget} trials: every seed diverged"
        line = f"{len(finished)} pairs at {self.budget} trials: mean Δ {100 * pooled.mean:+.2f}"
        if pooled.interval is not None:
            line += " ({:+.2f} to {:+.2f})".format(*(100 * bound for bound in pooled.interval))
        return line

    def export_rows(self) -> list[dict[str, Any]]:
        """One row per trial (every arm's values as columns, empty where an arm has no such value); test accuracies
        are in the export, and `picked_on_validation` says which ones are results (every trial tied at the best
        validation score: the result is their mean)."""
        names = list(dict.fromkeys(name for t in self.trials for name in t.values))
        runs = dict.fromkeys((t.arm, t.pair, t.seed) for t in self.trials if t.number != ONE_SHOT)
        picked = {run: {t.number for t in self.tied_picks(*run)} for run in runs}  # once per arm, pair and seed
        return [
            {
                "b_pair": f"{class_name(t.pair[0])} vs {class_name(t.pair[1])}",
                "arm": t.arm,
                "trial": "one-shot" if t.number == ONE_SHOT else t.number + 1,
                "seed": t.seed,
                **{name: t.values.get(name, "") for name in names},
                "val_accuracy": t.val_accuracy,
                "test_accuracy": t.test_accuracy,
                "best_epoch": t.best_epoch,
                "diverged": t.diverged,
                "picked_on_validation": t.number != ONE_SHOT and t.number in picked[(t.arm, t.pair, t.seed)],
            }
            for t in self.trials
        ]

    def export_heading(self) -> str:
        heading = f"# Tuning at an equal budget\n\n{self.budget} trials per arm, status {self.status}, {self.device}.\n"
        for pair in self.pairs:
            if self.complete(pair):
                heading += "\n" + "\n".join(f"- {line}" for line in self.reading(pair)) + "\n"
        return heading


def _mean_point(points: list[BudgetPoint]) -> BudgetPoint:
    """The seeds' budget points at one n, averaged (means and spreads alike)."""

    def average(name: str) -> Expected:
        values = [getattr(point, name) for point in points]
        return Expected(stats.mean([v.mean for v in values]), stats.mean([v.std for v in values]))

    return BudgetPoint(points[0].n, average("best_validation"), average("test_of_pick"), average("best_test"))
