"""Tune: both arms at an equal tuning budget. While a tuning runs, the trials table: each trial's values and its best
validation accuracy so far (mean over seeds), no test accuracy. Once both arms of a pair have finished, the chart
of each arm's expected test accuracy of its validation pick against the budget (and its expected best validation
accuracy), then the tables and the reading, and the trials table gains each trial's test accuracy."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual_plotext import PlotextPlot

from engine.config import ExperimentConfig
from engine.config.arms import SCRATCH, Arm
from engine.config.search import ONE_SHOT
from engine.progress import EpochDone, PartDone, ProgressEvent, RunPlanned
from engine.results import stats
from engine.results.tune import TuneResult
from engine.trains import TuneTrial
from tui.render.runs import pair_label, seeds_label
from tui.render.tune import trial_label, trial_values_text, tune_report
from tui.screens.cancelling import CancelsItsRun, cancel_binding
from tui.screens.dialogs import offer_export

REFRESH_SECONDS = 0.5  # the trials table redraws at most this often while a tuning runs

COLOURS = ("blue", "red", "green", "magenta", "cyan", "yellow")  # by the arm's place, scratch first


def short_arm(arm: Arm) -> str:
    """An arm in the trials table, which fits 80 columns: 'scratch', 'B on A', 'B on B', 'A3B+'."""
    return "scratch" if arm.name == SCRATCH else arm.title


class TuneScreen(CancelsItsRun, Screen):
    """Shows the tuning in progress, or the last one finished or opened from History."""

    BINDINGS = [
        Binding(
            "ctrl+r",
            "tune",
            "Tune",
            tooltip="tune every arm at an equal budget, with the Setup form's config (its Tune fields)",
            id="tune.start",
        ),
        Binding(
            "right_square_bracket",
            "pair(1)",
            "Next pair",
            tooltip="chart and trials of the next pair",
            id="tune.next_pair",
        ),
        Binding(
            "left_square_bracket",
            "pair(-1)",
            "Prev pair",
            tooltip="chart and trials of the previous pair",
            id="tune.previous_pair",
        ),
        Binding("e", "export", "Export", tooltip="write every trial as .csv, .json or .md", id="tune.export"),
        cancel_binding("stop after the current batch; finished arms stay"),
    ]

    def __init__(self) -> None:
        super().__init__(id="tune")
        self.run_dir: Path | None = None  # the folder of the run shown once it has ended: what `e` exports
        self.result: TuneResult | None = None
        self.plan: tuple = ()
        self.arms: dict[str, Arm] = {}  # the tuning's arms by name, as its plan parsed them
        # a plan entry's trial (its arm, number and drawn values, for the seeds that drew them) -> seed -> best
        # validation accuracy so far: one row per trial, or per trial and seed where each seed drew its own
        self.best_so_far: dict[tuple[TuneTrial, tuple[int, ...]], dict[int, float]] = {}
        self.several_seeds = False
        self.dirty = False
        self.pair_index = 0
        self.caption = (
            "No tuning yet: ctrl+r here tunes B from scratch and B on A at an equal budget with the Setup form's "
            "config (or use `transfer-tui tune`)"
        )

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="tune-body"):
            yield Static(self.caption, id="tune-caption")
            yield Static("", id="tune-shown")
            yield PlotextPlot(id="tune-plot")
            yield DataTable(id="tune-trials", cursor_type="row", zebra_stripes=True)
            yield Static("", id="tune-report")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._draw()
        self.set_interval(REFRESH_SECONDS, self._refresh_trials)

    def start(self, config: ExperimentConfig) -> None:
        self.result, self.run_dir = None, None
        self.best_so_far = {}
        self.several_seeds = len(config.run.seeds) > 1
        tune = config.tune
        pairs = ", ".join(pair_label(pair) for pair in config.split.pairs)
        self.caption = (
            f"Tuning {pairs}: {tune.budget} trials per arm, {tune.epochs} epochs each, "
            f"{seeds_label(tuple(config.run.seeds))}. Test accuracies stay hidden until both arms have finished."
        )
        self.caption += "".join(f"\n{note}." for note in tune.clipped_defaults())
        if self.is_mounted:
            self._draw()

    def apply(self, event: ProgressEvent) -> None:
        if isinstance(event, RunPlanned):
            self.plan = event.plan
        elif isinstance(event, EpochDone) and event.index < len(self.plan):
            trains = self.plan[event.index].trains
            if isinstance(trains, TuneTrial):
                self.arms[trains.arm.name] = trains.arm
                together = () if trains.one_shot else self.plan[event.index].seeds  # one-shot: one row for all
                seeds = self.best_so_far.setdefault((trains, together), {})
                seeds[event.seed] = max(seeds.get(event.seed, 0.0), event.metrics.val_accuracy)
                self.dirty = True
        elif isinstance(event, PartDone) and isinstance(event.result, TuneResult):
            self.result = event.result
            if self.is_mounted:
                self._draw()

    def show_result(self, result: TuneResult, run_dir: Path | None = None, caption: str | None = None) -> None:
        self.result, self.run_dir = result, run_dir
        self.best_so_far = {}
        budget, seeds = result.budget, seeds_label(result.settings.run.seeds)
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
        finished = self._finished()
        self.refresh_bindings()
        plot.display = bool(finished)
        shown = self.query_one("#tune-shown", Static)
        shown.display = len(finished) > 1
        if len(finished) > 1:
            place = self.pair_index % len(finished) + 1
            shown.update(
                f"Chart and trials: {pair_label(self._shown_pair())}, pair {place} of {len(finished)} "
                "(] next, [ previous)"
            )
        self.dirty = True
        self._refresh_trials()
        if self.result is None:
            report.update("")
            return
        if finished:
            self._plot(plt, self._shown_pair())
        report.update(Group(*tune_report(self.result)))
        plot.refresh()

    def _refresh_trials(self) -> None:
        """The trials table: while running, best validation so far; once a pair is done, also its test accuracy."""
        if not self.dirty or not self.is_mounted:
            return
        self.dirty = False
        table = self.query_one("#tune-trials", DataTable)
        table.clear(columns=True)
        rows = self._finished_rows() if self.result is not None and not self.best_so_far else self._live_rows()
        table.display = bool(rows)
        if rows:
            table.add_columns("arm", "trial", "values", "val % (ep)", "test %")
            for row in rows:
                table.add_row(*row)

    def _live_rows(self) -> list[tuple[str, ...]]:
        rows = []
        arms = list(dict.fromkeys(p.trains.arm.name for p in self.plan if isinstance(p.trains, TuneTrial)))
        for (trial, together), seeds in sorted(
            self.best_so_far.items(),
            key=lambda item: (arms.index(item[0][0].arm.name), item[0][0].number < 0, item[0][0].number, item[0][1]),
        ):
            label = self._trial_label(trial.number, together)
            best = f"{100 * stats.mean(list(seeds.values())):.2f}"
            rows.append((short_arm(trial.arm), label, trial_values_text(trial.drawn), best, "hidden"))
        return rows

    def _trial_label(self, number: int, together: tuple[int, ...]) -> str:
        """'3', or '3 s2' where each seed drew its own trial 3 (`together` holds the seeds that drew it)."""
        alone = len(together) == 1 and self.several_seeds
        return trial_label(number) + (f" s{together[0]}" if alone else "")

    def _finished(self) -> list[tuple[int, int]]:
        return [pair for pair in self.result.pairs if self.result.complete(pair)] if self.result else []

    def _shown_pair(self) -> tuple[int, int] | None:
        """The finished pair the chart and the trials table show ([ and ] step through a map's pairs)."""
        finished = self._finished()
        return finished[self.pair_index % len(finished)] if finished else None

    def _finished_rows(self) -> list[tuple[str, ...]]:
        """Each trial of the shown pair, mean over seeds (its best epoch too)."""
        result, pair = self.result, self._shown_pair()
        if pair is None:
            return []
        rows = []
        seeds = result.seeds_of(pair)
        self.several_seeds = len(seeds) > 1
        # the seeds that drew the same trials: all of them, or each its own
        together = [tuple(seeds)] if result.settings.tune.draws == "shared" else [(seed,) for seed in seeds]
        for arm in result.arms:
            for number, group in [(n, g) for n in range(result.budget) for g in together] + [(ONE_SHOT, seeds)]:
                if number == ONE_SHOT:
                    trials = [t for seed in group if (t := result.one_shot(arm, pair, seed)) is not None]
                else:
                    trials = [t for seed in group for t in result.trials_of(arm, pair, seed) if t.number == number]
                if not trials:
                    continue
                epochs = [t.best_epoch for t in trials if t.best_epoch]
                rows.append(
                    (
                        short_arm(result.arm_of(arm)),
                        self._trial_label(number, group),
                        trial_values_text(trials[0].values),
                        f"{100 * stats.mean([t.val_accuracy for t in trials]):.2f}"
                        + (f" ({stats.mean(epochs):.0f})" if epochs else ""),
                        f"{100 * stats.mean([t.test_accuracy for t in trials]):.2f}",
                    )
                )
        return rows

    def _plot(self, plt, pair: tuple[int, int]) -> None:
        """x = trials n, y = accuracy %, two panels: per arm the expected best validation accuracy of n trials
        with its spread band (one std over the n-draw subsets, dotted), and beside it the expected test accuracy
        of the validation pick of n trials."""
        budgets = list(range(1, self.result.budget + 1))
        ticks = budgets if len(budgets) <= 8 else budgets[:: max(len(budgets) // 4, 1)]
        plt.subplots(1, 2)
        best, picked = plt.subplot(1, 1), plt.subplot(1, 2)
        best.title(f"{pair_label(pair)}: E[best val] %")
        picked.title("E[test of the val pick] %")
        for place, arm in enumerate(self.result.arms):
            curve = self.result.arm_reading(arm, pair).curve
            colour = COLOURS[place % len(COLOURS)]
            means = [100 * point.best_validation.mean for point in curve]
            spreads = [100 * point.best_validation.std for point in curve]
            best.plot(budgets, means, label=short_arm(self.result.arm_of(arm)), marker="braille", color=colour)
            for sign in (-1, 1):  # accuracy stays within [0, 100]
                edge = [min(max(mean + sign * spread, 0.0), 100.0) for mean, spread in zip(means, spreads, strict=True)]
                best.plot(budgets, edge, marker="dot", color=colour)
            tests = [100 * point.test_of_pick.mean for point in curve]
            picked.plot(budgets, tests, label=short_arm(self.result.arm_of(arm)), marker="braille", color=colour)
        for panel in (best, picked):
            panel.xticks(ticks)
            panel.xlabel("n trials")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """[ and ] only where there are pairs to step through."""
        return len(self._finished()) > 1 if action == "pair" else super().check_action(action, parameters)

    def action_pair(self, step: int) -> None:
        if len(self._finished()) > 1:
            self.pair_index += step
            self._draw()

    def action_tune(self) -> None:
        self.app.action_start_tune()

    def action_export(self) -> None:
        offer_export(self.app, self.result if self.run_dir else None, self.run_dir, "the tuning", "tune.csv")
