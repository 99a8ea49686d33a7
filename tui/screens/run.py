"""Run: the phases in order, a progress bar with ETA, a table that grows by one row per epoch, live curves."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, ProgressBar, Static

from engine.config import ExperimentConfig
from engine.execution.cost import measured_rate
from engine.progress import ClusterStatus, EpochDone, PhaseStarted, PlannedPhase, ProgressEvent, RunPlanned
from engine.results.words import plural
from tui.render.runs import EPOCH_COLUMNS, epoch_cells, phase_label, seeds_label, several_pairs
from tui.screens.cancelling import CancelsItsRun, cancel_binding
from tui.state.run_clock import RunClock
from tui.state.run_state import RunState
from tui.widgets.curves import CurvesPanel
from tui.widgets.phase_strip import PhaseStrip, phase_strip_text

CURVE_REFRESH_SECONDS = 0.25
CLOCK_SECONDS = 1.0  # how often the time left is said again while nothing else changes


class RunScreen(CancelsItsRun, Screen):
    """Shows one run at a time; the app feeds it engine events, shown or not (the state is kept here)."""

    BINDINGS = [
        cancel_binding("stop soon (after this batch, or this chunk of batches for a population); keep what finished")
    ]

    def __init__(self) -> None:
        super().__init__(id="run")
        self.state = RunState()
        self.status = ""
        self.units_text = ""  # on a cluster: where each unit runs
        self.failed = False  # the last run stopped with an error
        self.ended = False  # the last run ended (finished, cancelled or failed)
        self.clock: RunClock | None = None  # how long the run in progress has left
        self.curves_changed = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="run-body"):
            yield PhaseStrip(phase_strip_text(self.state), id="phases")
            yield Static(self.units_text, id="cluster-units", classes="hidden" if not self.units_text else "")
            with Horizontal(id="progress-line"):
                yield Static(self.status, id="run-status")
                yield ProgressBar(total=self.state.total_steps or None, show_eta=False, id="progress")
            table = DataTable(id="epochs", zebra_stripes=True, cursor_type="row")
            table.add_columns(*EPOCH_COLUMNS)
            mixed = several_pairs(self.state.plan)
            table.add_rows(epoch_cells(e, self.state.plan[e.index], mixed) for e in self.state.epochs)
            yield table
            yield CurvesPanel(id="curves")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#progress", ProgressBar).update(progress=self.state.completed_steps)
        self._show_ended()
        self.set_interval(CLOCK_SECONDS, self._show_status)
        self._show_curves()
        # plots are redrawn at most a few times a second, however fast epochs (or members) finish
        self.set_interval(CURVE_REFRESH_SECONDS, self._show_curves_if_changed)

    @property
    def composed(self) -> bool:
        """False until the screen is first shown: then the state alone is updated."""
        return bool(self.query("#epochs"))

    def start(self, config: ExperimentConfig) -> None:
        """Forget the previous run and show that this one is loading."""
        self.state = RunState()
        self.clock = RunClock(config, measured_rate(getattr(self.app, "run_records", []), config))
        self.failed = self.ended = False
        self._show_units("")
        self.set_status(f"Loading data and TensorFlow for {plural(len(config.run.seeds), 'seed')}…")
        self._show_ended()
        if self.composed:
            self.query_one("#epochs", DataTable).clear()
            self.query_one("#progress", ProgressBar).update(total=None, progress=0)
            self.query_one(PhaseStrip).show(self.state)
            self._show_curves()

    def _show_units(self, text: str) -> None:
        self.units_text = text
        for units in self.query("#cluster-units").results(Static):
            units.update(text)
            units.set_class(not text, "hidden")

    def set_status(self, text: str) -> None:
        self.status = text
        self._show_status()

    def _show_status(self) -> None:
        """The status line, with how long the run has left while it trains."""
        text = self.status
        if self.clock is not None and self.state.plan and not self.ended:
            text += f" · {self.clock.words(self.state, time.monotonic())}"
        for status in self.query("#run-status").results(Static):
            status.update(text)

    def apply(self, event: ProgressEvent) -> None:
        """Fold one engine event into the state and redraw what it changed."""
        self.state.apply(event)
        if self.clock is not None:
            self.clock.apply(event, self.state, time.monotonic())
        if isinstance(event, ClusterStatus):
            self._show_units("\n".join(event.placements))
            return
        if isinstance(event, PhaseStarted):
            self.set_status(self._describe(event.planned))
        if not self.composed:
            return
        progress = self.query_one("#progress", ProgressBar)
        if isinstance(event, RunPlanned):
            progress.update(total=self.state.total_steps, progress=0)
        else:
            progress.update(progress=self.state.completed_steps)
        if isinstance(event, (RunPlanned, PhaseStarted)):
            self.query_one(PhaseStrip).show(self.state)
        if isinstance(event, EpochDone):
            self._add_row(event)
            self.curves_changed = True

    def _add_row(self, event: EpochDone) -> None:
        table = self.query_one("#epochs", DataTable)
        following = table.row_count == 0 or table.cursor_row >= table.row_count - 1
        table.add_row(*epoch_cells(event, self.state.plan[event.index], several_pairs(self.state.plan)))
        if following:  # keep the newest row in view unless the user moved up to read older ones
            table.move_cursor(row=table.row_count - 1)

    def _show_curves_if_changed(self) -> None:
        if self.curves_changed:
            self._show_curves()

    def _show_curves(self) -> None:
        """The current phase's curves; none yet (a run starting) clears what the last run left."""
        self.curves_changed = False
        title = "" if self.state.current is None else self._describe(self.state.plan[self.state.current])
        self.query_one(CurvesPanel).show(title, self.state.current_curves())

    def _describe(self, planned: PlannedPhase) -> str:
        """'B on A, fine-tune, seeds 1-3', after its pair ('0,2: B on A, …') where the run has several, or after
        the number of pairs of its group ('3 pairs: Model A, seeds 1-2'), which train at the same time."""
        if planned.group is not None:
            pairs = {p.pair for p in self.state.plan if p.group == planned.group}
            prefix = f"{plural(len(pairs), 'pair')}: " if len(pairs) > 1 else f"{planned.pair[0]},{planned.pair[1]}: "
        else:
            prefix = f"{planned.pair[0]},{planned.pair[1]}: " if several_pairs(self.state.plan) else ""
        return f"{prefix}{phase_label(planned)}, {seeds_label(planned.seeds)}"

    def finish(self, status: str, failed: bool = False) -> None:
        """The run ended: `status` says how, in full; a failed run's bar goes (nothing is training any more)."""
        self.failed, self.ended = failed, True
        self.set_status(status)
        self._show_ended()

    def _show_ended(self) -> None:
        for status in self.query("#run-status").results(Static):
            status.set_class(self.failed, "-failed")
        for bar in self.query("#progress").results(ProgressBar):
            bar.display = not self.failed
        for strip in self.query(PhaseStrip).results(PhaseStrip):
            strip.show(self.state, self.failed)
