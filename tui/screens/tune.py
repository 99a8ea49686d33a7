"""Tune: both arms at an equal tuning budget. The chart of each arm's expected test accuracy of its validation
pick against the budget (and its expected best validation accuracy), then the tables and the reading. While a
tuning runs it shows how far it is; test accuracies appear only once every arm of a pair has finished."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual_plotext import PlotextPlot

from engine.config import ExperimentConfig
from engine.progress import PartDone, ProgressEvent
from engine.results.tune import SCRATCH, TRANSFER, TuneResult
from tui.render import pair_label, seeds_label
from tui.tune_render import ARM_TITLES, tune_report

COLOURS = {SCRATCH: "blue", TRANSFER: "red"}


class TuneScreen(Screen):
    """Shows the tuning in progress, or the last one finished or opened from History."""

    BINDINGS = [
        Binding(
            "ctrl+r",
            "tune",
            "Tune",
            tooltip="tune both arms at an equal budget ([tune] of the Setup form's config)",
            id="tune.start",
        ),
        Binding(
            "c", "cancel_run", "Cancel", tooltip="stop after the current batch; finished arms stay", id="run.cancel"
        ),
    ]

    def __init__(self) -> None:
        super().__init__(id="tune")
        self.result: TuneResult | None = None
        self.caption = (
            "No tuning yet: ctrl+r here tunes B from scratch and B on A at an equal budget with the Setup form's "
            "config (or use `transfer-tui tune`)"
        )

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="tune-body"):
            yield Static(self.caption, id="tune-caption")
            yield PlotextPlot(id="tune-plot")
            yield Static("", id="tune-report")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._draw()

    def start(self, config: ExperimentConfig) -> None:
        self.result = None
        tune = config.tune
        pairs = ", ".join(pair_label(pair) for pair in config.split.pairs)
        self.caption = (
            f"Tuning {pairs}: {tune.budget} trials per arm, {tune.epochs} epochs each, "
            f"{seeds_label(tuple(config.run.seeds))}. Test accuracies stay hidden until both arms have finished."
        )
        if self.is_mounted:
            self._draw()

    def apply(self, event: ProgressEvent) -> None:
        if isinstance(event, PartDone) and isinstance(event.result, TuneResult):
            self.result = event.result
            if self.is_mounted:
                self._draw()

    def show_result(self, result: TuneResult, run_dir: Path | None = None, caption: str | None = None) -> None:
        self.result = result
        budget, seeds = result.budget, seeds_label(tuple(result.config["run"]["seeds"]))
        self.caption = (caption or f"{result.status.capitalize()} tuning") + f": {budget} trials per arm, {seeds}"
        if self.is_mounted:
            self._draw()

    def _draw(self) -> None:
        self.query_one("#tune-caption", Static).update(self.caption)
        report = self.query_one("#tune-report", Static)
        plot = self.query_one("#tune-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        finished = [pair for pair in self.result.pairs if self.result.complete(pair)] if self.result else []
        plot.display = bool(finished)
        if self.result is None:
            report.update("")
            return
        if finished:
            self._plot(plt, finished[0])
        report.update(Group(*tune_report(self.result)))
        plot.refresh()

    def _plot(self, plt, pair: tuple[int, int]) -> None:
        """x = trials n, y = accuracy %: per arm the expected test accuracy of the validation pick of n trials
        (line) and the expected best validation accuracy (dots), the first finished pair's."""
        plt.title(f"{pair_label(pair)}: expected accuracy % with n trials")
        budgets = list(range(1, self.result.budget + 1))
        for arm in (SCRATCH, TRANSFER):
            curve = self.result.arm_reading(arm, pair).curve
            colour = COLOURS[arm]
            tests = [100 * point.test_of_pick.mean for point in curve]
            plt.plot(budgets, tests, label=f"{ARM_TITLES[arm]}: test of pick", marker="braille", color=colour)
            plt.scatter(budgets, [100 * point.best_validation.mean for point in curve], marker="dot", color=colour)
        plt.xticks(budgets if len(budgets) <= 16 else budgets[:: len(budgets) // 8])
        plt.xlabel("n trials")

    def action_tune(self) -> None:
        self.app.action_start_tune()

    def action_cancel_run(self) -> None:
        self.app.action_cancel_run()
