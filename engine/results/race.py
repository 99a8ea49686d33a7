"""A race of the optimizers over several tasks, and its reading (Demšar 2006): per task, each optimizer's rank with
a 95% interval from resampling the seeds; over tasks, the average ranks, Friedman's test (Iman and Davenport's F),
Nemenyi's critical difference and the groups of optimizers it cannot tell apart (a critical-difference diagram's
bars), and a performance profile of the epochs to the target validation accuracy (Dolan and Moré 2002). Kept free
of TensorFlow so the app can show stored races at once."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from engine.classes import class_name
from engine.config import ExperimentConfig
from engine.config.race import Task, race_tasks
from engine.results import stats
from engine.results.leaderboard import LeaderboardResult
from engine.results.protocol import merged_device, merged_status, settings_of
from engine.results.words import plural

PROFILE_TAUS = (1.0, 1.5, 2.0, 4.0)  # within tau times the task's fastest optimizer


def task_title(task: Task) -> str:
    """'task A (8 classes)', 'all ten classes', 'B from scratch: Sandal vs Shirt', 'B on A: Sandal vs Shirt'."""
    name, pair = task
    pair_words = f"{class_name(pair[0])} vs {class_name(pair[1])}"
    return {
        "a": "task A (8 classes)",
        "full": "all ten classes",
        "b_scratch": f"B from scratch: {pair_words}",
        "b_on_a": f"B on A: {pair_words}",
    }[name]


def task_of(race: LeaderboardResult) -> Task:
    """Which task of a race a leaderboard raced."""
    settings = race.settings
    return settings.leaderboard.task, settings.split.b_classes


@dataclass(frozen=True)
class RaceReading:
    """The optimizers over the tasks every one of them finished: average ranks (1 the best), Friedman's test and
    Nemenyi's critical difference, and the groups within it (by name, best first)."""

    optimizers: list[str]
    tasks: int
    average_ranks: list[float]
    chi_square: float
    f: float
    p_value: float
    cd: float
    groups: list[list[str]]

    def ordered(self) -> list[tuple[str, float]]:
        """(optimizer, average rank), best first."""
        return sorted(zip(self.optimizers, self.average_ranks, strict=True), key=lambda item: item[1])

    def sentences(self) -> list[str]:
        """The reading in words, no stronger than the test."""
        k, n = len(self.optimizers), self.tasks
        order = ", ".join(f"{name} {rank:.2f}" for name, rank in self.ordered())
        lines = [f"Average rank over {plural(n, 'task')} (1 the best): {order}."]
        test = f"Friedman's test, Iman-Davenport F = {self.f:.2f}, p = {self.p_value:.2g}"
        if self.p_value < 0.05:
            lines.append(f"The ranks differ by more than chance would give ({test}).")
        else:
            lines.append(
                f"The ranks do not differ beyond chance ({test}): over these tasks the order above is not established."
            )
        apart = [group for group in self.groups if len(group) > 1]
        lines.append(
            f"Nemenyi's critical difference at 95% for {k} optimizers over {plural(n, 'task')}: {self.cd:.2f} ranks; "
            + (
                "cannot be told apart: " + "; ".join("{" + ", ".join(group) + "}" for group in apart) + "."
                if apart
                else "every optimizer's average rank is told apart from every other's."
            )
        )
        return lines


@dataclass
class RaceResult:
    """Each task's leaderboard, in race order (race_tasks), and how the race ended."""

    config: dict[str, Any]
    races: list[LeaderboardResult]
    status: str
    device: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RaceResult:
        races = [LeaderboardResult.from_dict(race) for race in data["races"]]
        return cls(data["config"], races, data["status"], data["device"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "status": self.status,
            "device": self.device,
            "races": [race.to_dict() for race in self.races],
        }

    @classmethod
    def merged(cls, config: dict[str, Any], parts: list[RaceResult]) -> RaceResult:
        """Units' races (a task each) in the race's order."""
        found = {task_of(race): race for part in parts for race in part.races}
        races = [found[task] for task in race_tasks(settings_of(config)) if task in found]
        return cls(config, races, merged_status(parts), merged_device(parts))

    @cached_property
    def settings(self) -> ExperimentConfig:
        return settings_of(self.config)

    def model_files(self) -> list[str]:
        return []  # a race keeps its numbers, not its models

    def relocated(self, folder: Path, to: Path) -> RaceResult:
        return self

    @property
    def titles(self) -> list[str]:
        return [task_title(task_of(race)) for race in self.races]

    def task_ranks(self) -> list[dict[str, tuple[float, float, float]]]:
        """Per task, each optimizer's (rank, low, high): its rank by mean score with the 95% interval from
        resampling the seeds (LeaderboardResult.rank_intervals; empty for a task with fewer than two seeds)."""
        return [race.rank_intervals() for race in self.races]

    def task_means(self) -> list[dict[str, float]]:
        """Per task, each optimizer's mean score over seeds."""
        return [
            {name: stats.mean(list(own.values())) for name, own in race.seed_scores().items()} for race in self.races
        ]

    def _common_optimizers(self, means: list[dict[str, float]]) -> list[str]:
        """The optimizers with a score on every task (`means`: task_means), in the config's order."""
        return [name for name in self.settings.leaderboard.optimizers if means and all(name in m for m in means)]

    def reading(self) -> RaceReading | None:
        """The reading over tasks; None below two tasks or two optimizers with a score on every task."""
        means = self.task_means()
        names = self._common_optimizers(means)
        if len(names) < 2 or len(means) < 2:
            return None
        ranks = stats.average_ranks([[task[name] for name in names] for task in means])
        chi_square, f, p = stats.friedman(ranks, len(means))
        cd = stats.nemenyi_cd(len(names), len(means))
        groups = [[names[m] for m in group] for group in stats.cliques(ranks, cd)]
        return RaceReading(names, len(means), ranks, chi_square, f, p, cd, groups)

    def profile(self) -> dict[str, list[float]]:
        """The performance profile of epochs to the target (the one-shot race, a seed's miss counting as never):
        per optimizer, the share of tasks it reached within each of PROFILE_TAUS times the task's fastest."""
        names = self._common_optimizers(self.task_means())
        if not names:
            return {}
        costs = [race.epochs_to_target() for race in self.races]
        matrix = [[task.get(name, math.inf) for name in names] for task in costs]
        return dict(zip(names, stats.performance_profile(matrix, PROFILE_TAUS), strict=True))

    def summary_line(self) -> str:
        reading = self.reading()
        if reading is None:
            return f"{plural(len(self.races), 'task')}: too few to rank over"
        name, rank = reading.ordered()[0]
        return (
            f"{plural(reading.tasks, 'task')}: best average rank {name} {rank:.2f} (Friedman p {reading.p_value:.2g})"
        )

    def export_rows(self) -> list[dict[str, Any]]:
        """One row per task and optimizer: its mean score, its rank with the interval over seeds, and its average
        rank over the tasks."""
        reading = self.reading()
        average = dict(zip(reading.optimizers, reading.average_ranks, strict=True)) if reading else {}
        rows = []
        for title, means, ranks in zip(self.titles, self.task_means(), self.task_ranks(), strict=True):
            for name, score in means.items():
                rank, low, high = ranks.get(name, (None, None, None))
                rows.append(
                    {
                        "task": title,
                        "optimizer": name,
                        "score_mean": score,
                        "rank": rank,
                        "rank_low_95": low,
                        "rank_high_95": high,
                        "average_rank_over_tasks": average.get(name),
                    }
                )
        return rows

    def export_heading(self) -> str:
        board = self.settings.leaderboard
        score = "test accuracy of the validation pick" if board.budget else "best validation accuracy"
        return (
            f"# Optimizer race over {plural(len(self.races), 'task')}\n\n"
            f"Score: {score}; {plural(board.epochs, 'epoch')}, seeds {list(self.settings.run.seeds)}, status "
            f"{self.status}, {self.device}.\n"
        )
