"""Optimizers: the leaderboard, live while it races, sortable by any column, with validation-loss curves. A race
over tasks shows one task's table at a time ([ and ] step through them) above the reading over tasks: the ranks
with their intervals, Friedman's test, the critical-difference diagram and the performance profile."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual_plotext import PlotextPlot

from engine.config import ExperimentConfig
from engine.config.race import race_tasks
from engine.kinds import variance_line
from engine.progress import EpochDone, PartDone, PhaseDone, PhaseStarted, ProgressEvent
from engine.results.leaderboard import SORT_COLUMNS, TASK_TITLES, LeaderboardResult, Row, ranked
from engine.results.race import RaceResult, task_title
from engine.results.words import plural
from tui.render.race import race_reading
from tui.render.runs import DASH, budget_table, seeds_label
from tui.screens.cancelling import CancelsItsRun, cancel_binding
from tui.screens.dialogs import offer_export
from tui.state.leaderboard_state import LeaderboardState
from tui.widgets.curves import Marker, draw_epoch_curves, legend

# two-line headers keep the table within 80 columns
COLUMNS = (
    "#",
    "optimizer",
    "best val\nacc %",
    "final\nacc %",
    "final val\nloss",
    "epochs to\ntarget",
    "s/ep",
    "status",
)


def spread_cell(mean: float | None, std: float | None, percent: bool) -> str:
    """'91.97±0.05' (percent) or '0.236±0.0011' (a loss, three significant digits), narrow enough for 80 columns."""
    if mean is None:
        return DASH
    shown = f"{100 * mean:.2f}" if percent else f"{mean:.3g}"
    if std is None:
        return shown
    return f"{shown}±{100 * std:.2f}" if percent else f"{shown}±{std:.1g}"


def row_cells(rank: int, row: Row) -> tuple[str, ...]:
    reached = DASH if row.epochs_to_target is None else f"{row.epochs_to_target:.1f}"
    return (
        str(rank),
        row.optimizer,
        spread_cell(*row.best_val_accuracy, percent=True),
        spread_cell(row.final_val_accuracy[0], None, percent=True),  # its spread is in the exports and the CLI
        spread_cell(*row.final_val_loss, percent=False),
        f"{reached} ({row.seeds_reaching_target} of {row.seeds_counted})",
        DASH if row.seconds_per_epoch is None else f"{row.seconds_per_epoch:.2f}",
        "done" if row.status == "finished" else row.status,
    )


# each optimizer's line: a character of its name and a colour, told apart with or without colour
OPTIMIZER_MARKERS: dict[str, Marker] = {
    "sgd": ("s", "blue"),
    "momentum": ("m", "red"),
    "nesterov": ("n", "green"),
    "adagrad": ("g", "orange"),
    "rmsprop": ("r", "magenta"),
    "adam": ("a", "cyan"),
    "adamax": ("x", "gray"),
    "nadam": ("d", "blue+"),
    "adamw": ("w", "red+"),
}


class LeaderboardScreen(CancelsItsRun, Screen):
    """Shows the race in progress, or the last one kept in the run store."""

    BINDINGS = [
        Binding(
            "ctrl+r",
            "race",
            "Race",
            tooltip="race the optimizers with these settings and the Setup form",
            id="board.race",
        ),
        Binding(
            "o",
            "options",
            "Edit",
            tooltip="choose optimizers, task, epochs, target and hyperparameters",
            id="board.options",
        ),
        Binding("s", "sort", "Sort", tooltip="rank by the next column", id="board.sort"),
        Binding("S", "reverse", "Reverse", tooltip="reverse the ranking", id="board.reverse"),
        Binding(
            "right_square_bracket",
            "task(1)",
            "Next task",
            tooltip="a race over tasks: the next task's table",
            id="board.next_task",
        ),
        Binding(
            "left_square_bracket",
            "task(-1)",
            "Prev task",
            tooltip="a race over tasks: the previous task's table",
            id="board.previous_task",
        ),
        Binding("e", "export", "Export", tooltip="write the table as .csv, .json or .md", id="board.export"),
        cancel_binding("stop after the current batch; finished optimizers stay"),
    ]

    def __init__(self) -> None:
        super().__init__(id="leaderboard")
        self.state: LeaderboardState | None = None
        self.result: LeaderboardResult | None = None  # the task shown (a race's: one of its tasks)
        self._race: RaceResult | None = None
        self.race_parts: list = []  # its reading, rendered once per race shown, not on every epoch's redraw
        self.task_index = 0
        self.racing: tuple[str, ...] = ()  # while a race over tasks runs: its tasks' titles, in order
        self.run_dir: Path | None = None  # the race's folder, where exports go by default
        self.sort_column = "best"
        self.reverse = False
        self.caption = "No leaderboard yet: press o to choose optimizers, ctrl+r to race"

    @property
    def race(self) -> RaceResult | None:
        """A race over tasks, finished or so far."""
        return self._race

    @race.setter
    def race(self, race: RaceResult | None) -> None:
        self._race = race
        self.race_parts = race_reading(race) if race is not None else []

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="board-body"):
            yield Static(self.caption, id="board-caption")
            table = DataTable(id="board", cursor_type="row", zebra_stripes=True, header_height=2)
            table.add_columns(*COLUMNS)
            yield table
            yield Static("", id="board-budget")  # at an equal budget: the ranking at n trials, and its reading
            yield Static("", id="board-race")  # a race over tasks: the reading over tasks and its CD diagram
            yield PlotextPlot(id="board-plot")
            yield Static("", id="board-legend")
            yield Static("", id="board-sources")  # what varied over seeds, and what was held fixed
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._draw()

    def start(self, config: ExperimentConfig) -> None:
        board = config.leaderboard
        self.result, self.race, self.task_index = None, None, 0
        self.state = LeaderboardState.starting(config)
        seeds = seeds_label(tuple(config.run.seeds))
        tasks = race_tasks(config)
        self.racing = tuple(task_title(task) for task in tasks) if len(tasks) > 1 else ()
        what = f"{len(tasks)} tasks" if self.racing else TASK_TITLES[board.task]
        self.caption = f"Racing on {what}: {plural(board.epochs, 'epoch')}, {seeds}"
        self._draw()

    def apply(self, event: ProgressEvent) -> None:
        if self.state is None:
            return
        self.state.apply(event)
        if isinstance(event, PartDone) and isinstance(event.result, RaceResult):
            self.race = event.result  # the reading over the tasks finished so far
        if isinstance(event, (EpochDone, PhaseStarted, PhaseDone, PartDone)) and self.is_mounted:
            self._draw()

    def show_result(
        self, result: LeaderboardResult | RaceResult, run_dir: Path | None = None, caption: str | None = None
    ) -> None:
        self.run_dir, self.racing = run_dir, ()
        board = result.settings.leaderboard
        if isinstance(result, RaceResult):
            self.race, self.task_index = result, 0
            what = f"race over {plural(len(result.races), 'task')}"
        else:
            self.race, self.result = None, result
            what = TASK_TITLES[board.task]
        self.caption = caption or f"{result.status.capitalize()}: {what}"
        self.caption += f", {plural(board.epochs, 'epoch')}, {seeds_label(result.settings.run.seeds)}"
        self._show_task()

    def _show_task(self) -> None:
        """Show the result's table: a race's, that of its task at `task_index`."""
        if self.race is not None:
            races = self.race.races
            self.result = races[self.task_index % len(races)] if races else None
        self.state = LeaderboardState.of(self.result) if self.result is not None else None
        if self.is_mounted:
            self._draw()

    def action_task(self, step: int) -> None:
        if self.race is not None and self.race.races and not self.racing:
            self.task_index = (self.task_index + step) % len(self.race.races)
            self._show_task()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "task":  # only a finished race over tasks has tasks to step through
            return self.race is not None and len(self.race.races) > 1 and not self.racing
        return super().check_action(action, parameters)

    def _draw(self) -> None:
        ranking = f"Ranked by {SORT_COLUMNS[self.sort_column][0]}{' (reversed)' if self.reverse else ''}."
        target = (
            f" Epochs to target: mean epochs to {100 * self.state.target:g}% validation accuracy "
            "(of how many seeds got there)."
            if self.state is not None
            else ""
        )
        self.query_one("#board-caption", Static).update(f"{self.caption}. {self._task_words()}{ranking}{target}")
        self.refresh_bindings()
        shown = self.race if self.race is not None else self.result
        sources = "" if shown is None else variance_line(shown)
        race = self.query_one("#board-race", Static)
        race.display = self.race is not None
        race.update(Group(*self.race_parts))
        self.query_one("#board-sources", Static).update(Text(sources, style="dim"))
        table = self.query_one("#board", DataTable)
        table.clear()
        budget = self.query_one("#board-budget", Static)
        tuned = self.result is not None and self.result.budget and self.result.expected_at(1)
        budget.display = bool(tuned)
        budget.update(Group(budget_table(self.result), Text("\n".join(self.result.budget_reading()))) if tuned else "")
        if self.state is None:
            return
        for rank, row in enumerate(ranked(self.state.rows(), self.sort_column, self.reverse), start=1):
            table.add_row(*row_cells(rank, row))
        # log10 by hand: one diverging optimizer's huge loss would flatten every other curve
        curves = {
            name: [math.log10(v) if math.isfinite(v) and v > 0 else math.nan for v in curve]
            for name, curve in self.state.mean_val_loss().items()
        }
        plot = self.query_one("#board-plot", PlotextPlot)
        draw_epoch_curves(plot, "log10 validation loss, mean over seeds", curves, OPTIMIZER_MARKERS)
        self.query_one("#board-legend", Static).update(legend(OPTIMIZER_MARKERS, [n for n, c in curves.items() if c]))

    def _task_words(self) -> str:
        """Which task the table shows, in a race over tasks: 'Task 2 of 7, all ten classes (] next, [ previous). '."""
        if self.racing and self.state is not None and self.state.task is not None:
            title = task_title(self.state.task)
            place = self.racing.index(title) + 1 if title in self.racing else 0
            return f"Now racing task {place} of {len(self.racing)}: {title}. "
        if self.race is not None and self.result is not None and len(self.race.races) > 1:
            place = self.task_index % len(self.race.races)
            return (
                f"Table: task {place + 1} of {len(self.race.races)}, {self.race.titles[place]} (] next, [ previous). "
            )
        return ""

    def action_race(self) -> None:
        self.app.action_start_leaderboard()

    def action_options(self) -> None:
        from tui.screens.leaderboard_options import LeaderboardOptions

        self.app.push_screen(LeaderboardOptions(self.app.current_config()), self._options_done)

    def _options_done(self, board) -> None:
        if board is not None:
            self.app.set_leaderboard_settings(board)
            self.notify(f"{plural(len(board.optimizers), 'optimizer')} will race on {TASK_TITLES[board.task]}.")

    def action_sort(self) -> None:
        columns = list(SORT_COLUMNS)
        self.sort_column = columns[(columns.index(self.sort_column) + 1) % len(columns)]
        self._draw()

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self._draw()

    def action_export(self) -> None:
        if self.race is not None and not self.racing:  # a race over tasks: every task's ranks
            offer_export(self.app, self.race, self.run_dir or Path.cwd(), "the race over tasks", "race.csv")
            return
        # the rows in the order on screen
        shown = dataclasses.replace(self.result, ranking=(self.sort_column, self.reverse)) if self.result else None
        folder = (self.run_dir or Path.cwd()) if self.result is not None else None
        offer_export(self.app, shown, folder, "the leaderboard", "leaderboard.csv")
