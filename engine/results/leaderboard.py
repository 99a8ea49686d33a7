"""What a leaderboard holds and how it ranks: kept free of TensorFlow so the app can show stored ones at once."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from engine.config import ExperimentConfig
from engine.results.budget import expected_max, expected_of_pick, tied_pick
from engine.results.protocol import merged_device, merged_status, settings_of
from engine.results.stats import mean, rank_intervals, std
from engine.results.words import plural

TASK_TITLES = {
    "a": "task A (8 classes)",
    "b_scratch": "task B from scratch",
    "b_on_a": "task B on A (fine-tuned whole)",
    "full": "all ten classes",
}


@dataclass
class OptimizerEntry:
    """One optimizer's race: per-seed histories (val_loss, val_accuracy, ...) and how it ended."""

    name: str
    hyperparameters: dict[str, Any]
    histories: dict[int, dict[str, list[float]]] = field(default_factory=dict)
    diverged_seeds: list[int] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    status: str = "pending"  # pending, running, finished, diverged, cancelled
    # at an equal budget: every trial of every seed ({number, seed, values, val_accuracy, test_accuracy,
    # best_epoch, diverged}); the race above is the one-shot configuration
    trials: list[dict[str, Any]] = field(default_factory=list)


TASK_CLASSES = {"a": 8, "full": 10}  # the B tasks are binary


def chance_of(task: str) -> tuple[float, float]:
    """(accuracy, loss) of guessing on a leaderboard's task: 1 / classes, and the cross-entropy of the uniform
    prediction, ln(classes). A seed that diverged counts at these (a failure lowers a row, never vanishes)."""
    classes = TASK_CLASSES.get(task, 2)
    return 1 / classes, math.log(classes)


@dataclass(frozen=True)
class Row:
    """A leaderboard line: statistics over every seed, a diverged one at chance level (chance_of)."""

    optimizer: str
    status: str
    epochs_done: int
    best_val_accuracy: tuple[float | None, float | None]  # (mean, std)
    final_val_accuracy: tuple[float | None, float | None]
    final_val_loss: tuple[float | None, float | None]
    epochs_to_target: float | None  # mean over the seeds that reached it (how many did ranks first)
    seeds_reaching_target: int
    seeds_counted: int
    seconds_per_epoch: float | None


def row_of(entry: OptimizerEntry, target: float, chance: tuple[float, float] = chance_of("a")) -> Row:
    """The row over every seed that has an epoch: a diverged seed counts at `chance` (accuracy, loss) and never
    reaches the target (a miss counts as not reached, as AlgoPerf scores it)."""
    kept = [h for seed, h in entry.histories.items() if seed not in entry.diverged_seeds and h["val_accuracy"]]
    failed = [seed for seed in entry.diverged_seeds if seed in entry.histories]
    reached = [_first_epoch_at(h["val_accuracy"], target) for h in kept]
    reached = [epoch for epoch in reached if epoch is not None]
    accuracy, loss = chance
    n_seeds = len(entry.histories)
    status = entry.status
    if entry.diverged_seeds and status in ("running", "finished"):
        status = f"diverged {len(entry.diverged_seeds)}/{n_seeds}"
    return Row(
        optimizer=entry.name,
        status=status,
        epochs_done=max((len(h["val_accuracy"]) for h in entry.histories.values()), default=0),
        best_val_accuracy=_spread([max(h["val_accuracy"]) for h in kept] + [accuracy] * len(failed)),
        final_val_accuracy=_spread([h["val_accuracy"][-1] for h in kept] + [accuracy] * len(failed)),
        final_val_loss=_spread([h["val_loss"][-1] for h in kept] + [loss] * len(failed)),
        epochs_to_target=mean([float(e) for e in reached]),
        seeds_reaching_target=len(reached),
        seeds_counted=len(kept) + len(failed),
        seconds_per_epoch=mean(entry.epoch_seconds),
    )


def _trials_by_seed(entry: OptimizerEntry) -> dict[int, tuple[list[float], list[float]]]:
    """Per seed, in seed order, its trials in number order as (validation scores, a diverged trial scoring 0; test
    accuracies): what an equal budget's readings pick from."""
    out = {}
    for seed in sorted({trial["seed"] for trial in entry.trials}):
        trials = sorted((t for t in entry.trials if t["seed"] == seed), key=lambda t: t["number"])
        scores = [0.0 if t["diverged"] else t["val_accuracy"] for t in trials]
        out[seed] = (scores, [t["test_accuracy"] for t in trials])
    return out


def _first_epoch_at(accuracies: list[float], target: float) -> int | None:
    return next((epoch for epoch, value in enumerate(accuracies, start=1) if value >= target), None)


def _spread(values: list[float]) -> tuple[float | None, float | None]:
    finite = [v for v in values if math.isfinite(v)]
    return mean(finite), std(finite)


# sortable columns: (label, key on a Row, larger is better)
SORT_COLUMNS: dict[str, tuple[str, Any, bool]] = {
    "best": ("best val acc", lambda r: r.best_val_accuracy[0], True),
    "final": ("final val acc", lambda r: r.final_val_accuracy[0], True),
    "loss": ("final val loss", lambda r: r.final_val_loss[0], False),
    # AlgoPerf's rule: how many seeds reached the target first (a miss is not reached), then how soon
    "target": (
        "epochs to target",
        lambda r: None if r.epochs_to_target is None else (-r.seeds_reaching_target, r.epochs_to_target),
        False,
    ),
    "time": ("s / epoch", lambda r: r.seconds_per_epoch, False),
    "name": ("optimizer", lambda r: r.optimizer, False),
}


def ranked(rows: list[Row], column: str = "best", reverse: bool = False) -> list[Row]:
    """Rows in rank order by `column` (best first; `reverse` flips it). Rows without a value, such as an
    optimizer whose every seed diverged, always come last."""
    _, key, larger_is_better = SORT_COLUMNS[column]
    with_value = [r for r in rows if key(r) is not None]
    without = [r for r in rows if key(r) is None]
    # ties are broken by the lower final validation loss (a stable sort keeps that order within ties)
    with_value.sort(key=lambda r: math.inf if r.final_val_loss[0] is None else r.final_val_loss[0])
    with_value.sort(key=key, reverse=larger_is_better != reverse)
    return with_value + without


@dataclass
class LeaderboardResult:
    config: dict[str, Any]
    entries: list[OptimizerEntry]
    status: str
    device: str
    ranking: tuple[str, bool] = ("best", False)  # (sort column, reversed): the order exports list the rows in

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LeaderboardResult:
        """Read back what to_dict wrote (JSON turned the seed keys into strings)."""
        entries = [
            OptimizerEntry(
                name=item["name"],
                hyperparameters=item["hyperparameters"],
                histories={int(seed): history for seed, history in item["histories"].items()},
                diverged_seeds=item["diverged_seeds"],
                epoch_seconds=item["epoch_seconds"],
                status=item["status"],
                trials=item.get("trials", []),
            )
            for item in data["optimizers"]
        ]
        return cls(data["config"], entries, data["status"], data["device"])

    @classmethod
    def merged(cls, config: dict[str, Any], parts: list[LeaderboardResult]) -> LeaderboardResult:
        """Units' races (shares of the optimizers, or of the seeds) put together, optimizer by optimizer; an
        epoch's seconds are the slowest unit's, the wall time the race took on the cluster."""
        entries = []
        for name in settings_of(config).leaderboard.optimizers:
            shares = [entry for part in parts for entry in part.entries if entry.name == name]
            if not shares:
                continue
            histories = {seed: h for share in shares for seed, h in share.histories.items()}
            diverged = sorted(seed for share in shares for seed in share.diverged_seeds)
            seconds = [max(times) for times in zip(*(share.epoch_seconds for share in shares), strict=False)]
            statuses = {share.status for share in shares}
            status = next((s for s in ("cancelled", "running", "pending") if s in statuses), None)
            if status is None:
                status = "diverged" if statuses == {"diverged"} else "finished"
            trials = [trial for share in shares for trial in share.trials]
            entries.append(
                OptimizerEntry(name, shares[0].hyperparameters, histories, diverged, seconds, status, trials)
            )
        return cls(config, entries, merged_status(parts), merged_device(parts))

    def model_files(self) -> list[str]:
        return []  # a race keeps its numbers, not its models

    def relocated(self, folder: Path, to: Path) -> LeaderboardResult:
        return self  # no model files

    @cached_property
    def settings(self) -> ExperimentConfig:
        """The config it raced with, typed."""
        return settings_of(self.config)

    @property
    def target(self) -> float:
        return self.settings.leaderboard.target_accuracy

    def rows(self) -> list[Row]:
        chance = chance_of(self.settings.leaderboard.task)
        return [row_of(entry, self.target, chance) for entry in self.entries]

    def export_rows(self) -> list[dict[str, Any]]:
        """One flat row per optimizer that trained, in rank order (`ranking`: best validation accuracy first unless
        the viewer sorted otherwise)."""
        hyper = {entry.name: entry.hyperparameters for entry in self.entries}
        return [
            {
                "rank": rank,
                "optimizer": row.optimizer,
                "status": row.status,
                "best_val_accuracy_mean": row.best_val_accuracy[0],
                "best_val_accuracy_std": row.best_val_accuracy[1],
                "final_val_accuracy_mean": row.final_val_accuracy[0],
                "final_val_accuracy_std": row.final_val_accuracy[1],
                "final_val_loss_mean": row.final_val_loss[0],
                "final_val_loss_std": row.final_val_loss[1],
                "target_val_accuracy": self.target,
                "mean_epochs_to_reach_target": row.epochs_to_target,
                "seeds_that_reached_target": row.seeds_reaching_target,
                "seeds_counted": row.seeds_counted,
                "seconds_per_epoch": row.seconds_per_epoch,
                "hyperparameters": json.dumps(hyper[row.optimizer], sort_keys=True),
            }
            for rank, row in enumerate([r for r in ranked(self.rows(), *self.ranking) if r.epochs_done], start=1)
        ]

    def export_heading(self) -> str:
        board = self.settings.leaderboard
        return (
            f"# Optimizer leaderboard: {TASK_TITLES[board.task]}\n\n"
            f"{plural(board.epochs, 'epoch')}, seeds {list(self.settings.run.seeds)}, target validation accuracy "
            f"{board.target_accuracy:.2%}, status {self.status}, {self.device}.\n"
        )

    @property
    def budget(self) -> int:
        return self.settings.leaderboard.budget

    def expected_at(self, n: int) -> dict[str, tuple[float, float]]:
        """Per optimizer whose trials finished: (E[best validation accuracy of n trials], E[test accuracy of the
        trial validation picks among n]), each the mean over seeds; a diverged trial scores 0 on validation."""
        out = {}
        for entry in self.entries:
            by_seed = _trials_by_seed(entry)
            if not by_seed:
                continue
            best = [expected_max(scores, n).mean for scores, _ in by_seed.values()]
            picked = [expected_of_pick(scores, tests, n).mean for scores, tests in by_seed.values()]
            out[entry.name] = (mean(best), mean(picked))
        return out

    def seed_scores(self) -> dict[str, dict[int, float]]:
        """Per optimizer, each seed's score on this task: at an equal budget, the test accuracy of the validation
        pick of all its trials (tied trials averaged); in a one-shot race, the best validation accuracy. A seed
        that diverged scores chance level (chance_of), so a failure lowers the score instead of vanishing."""
        accuracy, _ = chance_of(self.settings.leaderboard.task)
        scores: dict[str, dict[int, float]] = {}
        for entry in self.entries:
            if self.budget:
                own = {seed: tied_pick(scores, tests) for seed, (scores, tests) in _trials_by_seed(entry).items()}
            else:
                own = {
                    seed: accuracy if seed in entry.diverged_seeds else max(h["val_accuracy"])
                    for seed, h in entry.histories.items()
                    if h["val_accuracy"] or seed in entry.diverged_seeds
                }
            if own:
                scores[entry.name] = own
        return scores

    def rank_intervals(self) -> dict[str, tuple[float, float, float]]:
        """Each optimizer's (rank, low, high) on this task by its mean seed score (seed_scores), with the 95%
        interval from resampling the seeds every optimizer has; empty below two optimizers or two such seeds (one
        seed resampled is itself: no interval, and a rank without one is not read as certain)."""
        scores = self.seed_scores()
        seeds = sorted(set.intersection(*(set(own) for own in scores.values()))) if scores else []
        if len(scores) < 2 or len(seeds) < 2:
            return {}
        matrix = [[scores[name][seed] for name in scores] for seed in seeds]
        return dict(zip(scores, rank_intervals(matrix), strict=True))

    def epochs_to_target(self) -> dict[str, float]:
        """Per optimizer, the median over seeds of the first epoch of the one-shot race at the target validation
        accuracy, a seed that missed it (or diverged) counting as never (infinity), as AlgoPerf scores time to
        target: an optimizer that reached it in fewer than half its seeds has not reached it."""
        import statistics

        out = {}
        for entry in self.entries:
            epochs = [
                math.inf
                if seed in entry.diverged_seeds
                else (_first_epoch_at(h["val_accuracy"], self.target) or math.inf)
                for seed, h in entry.histories.items()
            ]
            if epochs:
                out[entry.name] = float(statistics.median(epochs))
        return out

    def budget_ranking(self, n: int) -> list[str]:
        """The optimizers by the expected test accuracy of their validation pick of n trials, best first."""
        expected = self.expected_at(n)
        return sorted(expected, key=lambda name: -expected[name][1])

    def budget_budgets(self) -> list[int]:
        return sorted({n for n in (1, 4, self.budget) if 1 <= n <= self.budget})

    def budget_reading(self) -> list[str]:
        """How the ranking at an equal budget changes with the number of trials, in words."""
        if not self.budget or not self.expected_at(1):
            return []
        rankings = {n: self.budget_ranking(n) for n in self.budget_budgets()}
        lines = [
            f"At an equal budget ({self.budget} trials per optimizer from its own search space, each picked on "
            "validation, test read once): "
            + "; ".join(f"with {plural(n, 'trial')}: {', '.join(order)}" for n, order in rankings.items())
            + "."
        ]
        for name in ("sgd", "adagrad"):
            if name in rankings[self.budget_budgets()[0]]:
                places = ", ".join(f"{order.index(name) + 1} at n = {n}" for n, order in rankings.items())
                lines.append(f"{name} ranks {places} (of {len(rankings[self.budget])}).")
        one_shot = [row.optimizer for row in ranked(self.rows())]
        lines.append(f"The one-shot race (each optimizer's configured hyperparameters, once): {', '.join(one_shot)}.")
        return lines

    def summary_line(self) -> str:
        rows = ranked(self.rows())
        if not rows or rows[0].best_val_accuracy[0] is None:
            return "no optimizer finished"
        return f"best: {rows[0].optimizer} {100 * rows[0].best_val_accuracy[0]:.2f}%"

    def to_dict(self) -> dict[str, Any]:
        rows = {row.optimizer: row for row in self.rows()}
        return {
            "config": self.config,
            "status": self.status,
            "device": self.device,
            "optimizers": [{**asdict(entry), "summary": asdict(rows[entry.name])} for entry in self.entries],
        }
