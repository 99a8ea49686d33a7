"""Study: the layer sweep, live while it runs: the table of B's test accuracy per treatment and reuse depth,
the chart of Yosinski et al.'s Figure 2 (a dot per seed, a line through each treatment's mean), and the reading."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual_plotext import PlotextPlot

from engine.config import ExperimentConfig
from engine.progress import PartDone, ProgressEvent
from engine.results.stats import mean
from engine.results.study import StudyResult
from tui.render.runs import DASH, seeds_label
from tui.screens.cancelling import CancelsItsRun, cancel_binding
from tui.screens.dialogs import offer_export

COLOURS = {"AnB": "red", "AnB+": "orange", "BnB": "blue", "BnB+": "cyan"}  # as in the --plot file


def depth_columns(result: StudyResult) -> list[int]:
    return sorted({0, *(cell.layers for cell in result.cells)})


def treatment_rows(result: StudyResult) -> list[tuple[str, ...]]:
    """A row per treatment: B's test accuracy % at each depth as 'mean±std' over '(wins/seeds)', two lines so
    that six depths fit 80 columns; baseB at n = 0."""
    base = list(result.baseline.values())
    summaries = {(s.treatment, s.layers): s for s in result.summaries()}
    rows = []
    for treatment in dict.fromkeys(cell.treatment for cell in result.cells):
        cells = [DASH if not base else f"{100 * mean(base):.1f}"]
        for depth in depth_columns(result)[1:]:
            summary = summaries.get((treatment, depth))
            if summary is None or summary.mean is None:
                cells.append(DASH)
                continue
            spread = "" if summary.std is None else f"±{100 * summary.std:.1f}"
            counted = summary.wins + summary.ties + summary.losses
            cells.append(f"{100 * summary.mean:.1f}{spread}\n({summary.wins}/{counted})")
        rows.append((treatment, *cells))
    return rows


class StudyScreen(CancelsItsRun, Screen):
    """Shows the layer sweep in progress, or the last one finished or opened from History."""

    BINDINGS = [
        Binding(
            "ctrl+r",
            "sweep",
            "Sweep",
            tooltip="run the layer sweep (Setup's sweep depths and treatments) with the rest of the Setup form",
            id="study.sweep",
        ),
        Binding(
            "e",
            "export",
            "Export",
            tooltip="write the sweep's cells, every seed as .csv, .json or .md",
            id="study.export",
        ),
        cancel_binding("stop after the current batch; finished cells stay"),
    ]

    def __init__(self) -> None:
        super().__init__(id="study")
        self.run_dir: Path | None = None  # the folder of the run shown once it has ended: what `e` exports
        self.result: StudyResult | None = None
        self.caption = (
            "No layer sweep yet: choose the sweep depths and treatments in Setup (or use `transfer-tui study`), "
            "then ctrl+r here to run one"
        )

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="study-body"):
            yield Static(self.caption, id="study-caption")
            yield DataTable(id="study-table", cursor_type="row", zebra_stripes=True)
            yield PlotextPlot(id="study-plot")
            yield Static("", id="study-reading")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._draw()

    def start(self, config: ExperimentConfig) -> None:
        self.result, self.run_dir = None, None
        self.caption = (
            f"Sweeping n = {', '.join(map(str, config.study_layers))} with {', '.join(config.study.treatments)}: "
            f"{config.network.kind} network, {seeds_label(tuple(config.run.seeds))}"
        )
        if self.is_mounted:
            self._draw()

    def apply(self, event: ProgressEvent) -> None:
        if isinstance(event, PartDone) and isinstance(event.result, StudyResult):
            self.result = event.result
            if self.is_mounted:
                self._draw()

    def show_result(self, result: StudyResult, run_dir: Path | None = None, caption: str | None = None) -> None:
        self.result, self.run_dir = result, run_dir
        network = result.settings.network.kind
        seeds = seeds_label(result.settings.run.seeds)
        self.caption = caption or f"{result.status.capitalize()} layer sweep"
        self.caption += f": {network} network, {seeds}. B test accuracy %, mean±std (seeds above baseB)"
        if self.is_mounted:
            self._draw()

    def _draw(self) -> None:
        self.query_one("#study-caption", Static).update(self.caption)
        table = self.query_one("#study-table", DataTable)
        table.clear(columns=True)
        reading = self.query_one("#study-reading", Static)
        plot = self.query_one("#study-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        if self.result is None:
            reading.update("")
            plot.refresh()
            return
        table.add_columns("treatment", *(f"n={depth}" for depth in depth_columns(self.result)))
        for row in treatment_rows(self.result):
            table.add_row(*row, height=2)
        reading.update("\n".join(self.result.reading()))
        self._plot(plt)
        plot.refresh()

    def _plot(self, plt) -> None:
        """x = layers reused, y = B test accuracy %: a line through each treatment's mean from baseB at n = 0, and
        a dot per seed."""
        result = self.result
        base = [100 * v for v in result.baseline.values()]
        plt.title("B test accuracy % by layers reused")
        if base:
            plt.scatter([0] * len(base), base, marker="dot", color="white")
        for treatment in dict.fromkeys(cell.treatment for cell in result.cells):
            colour = COLOURS.get(treatment, "white")
            cells = [c for c in result.cells if c.treatment == treatment and c.accuracies]
            points = [(0, mean(base))] if base else []
            points += [(c.layers, 100 * mean(list(c.accuracies.values()))) for c in cells]
            if points:
                plt.plot(*zip(*points, strict=True), label=treatment, marker="braille", color=colour)
            seeds = [(c.layers, 100 * value) for c in cells for value in c.accuracies.values()]
            if seeds:
                plt.scatter(*zip(*seeds, strict=True), marker="dot", color=colour)
        plt.xticks(depth_columns(result))
        plt.xlabel("n")

    def action_sweep(self) -> None:
        self.app.action_start_study()

    def action_export(self) -> None:
        offer_export(self.app, self.result if self.run_dir else None, self.run_dir, "the layer sweep", "study.csv")
