"""How the interface shows each kind of run, registered once per kind: the app view that shows it live and the one
that shows its results, the report the CLI prints (as that view shows it), the chart `--plot` draws, and the key
that starts it. The engine's kinds (engine/kinds.py) know nothing of screens; a new kind is an entry there, its own
modules, and one entry here. No Textual here: the CLI reads it too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import RenderableType

from engine.kinds import RunKind, kind_of
from engine.results.protocol import RunResult
from tui.cli.plot import write_race_plot, write_study_plot, write_tune_plot
from tui.render.race import race_report
from tui.render.runs import experiment_report, leaderboard_report, study_report
from tui.render.tune import tune_report

Report = Callable[..., list[RenderableType]]  # (result, sort=..., reverse=...) -> what the terminal prints


@dataclass(frozen=True)
class KindViews:
    """`results`: the view that shows a kind's results; `live`: the view that shows it while it runs; `report`: what
    the CLI prints of a result, as `results` shows it; `start`: the id of the key that starts one (in `live`);
    `plot`: the chart `--plot FILE` draws, if the kind has one."""

    results: str
    live: str
    report: Report
    start: str
    plot: Callable[[Any, Path], None] | None = None


VIEWS_OF: dict[str, KindViews] = {
    "experiment": KindViews("results", "run", experiment_report, "run.start"),
    "map": KindViews("results", "run", experiment_report, "run.start"),
    "leaderboard": KindViews("leaderboard", "leaderboard", leaderboard_report, "board.race"),
    "study": KindViews("study", "study", study_report, "study.sweep", write_study_plot),
    "tune": KindViews("tune", "tune", tune_report, "tune.start", write_tune_plot),
    "race": KindViews("leaderboard", "leaderboard", race_report, "board.race", write_race_plot),
}
DEFAULT_VIEWS = KindViews("results", "run", experiment_report, "run.start")  # a kind with no views of its own


def views_of(kind: RunKind) -> KindViews:
    return VIEWS_OF.get(kind.name, DEFAULT_VIEWS)


def result_report(result: RunResult, sort: str = "best", reverse: bool = False) -> list[RenderableType]:
    """The report of any stored or finished run, as its kind's view shows it."""
    return views_of(kind_of(result)).report(result, sort=sort, reverse=reverse)
