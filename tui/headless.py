"""Progress of a headless run on the terminal: a Rich progress bar and a row per epoch, or plain lines when piped."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from engine.phases import PHASE_TITLES
from engine.progress import (
    EpochDone,
    PhaseDone,
    PhaseStarted,
    PlannedPhase,
    ProgressEvent,
    RunPlanned,
    StepsDone,
)
from tui.render import EPOCH_HEADER, epoch_line, pair_label, seeds_label


def describe(planned: PlannedPhase) -> str:
    """'Sandal vs Shirt · seeds 1-3 · Model A', for the progress bar."""
    return f"{pair_label(planned.pair)} · {seeds_label(planned.seeds)} · {PHASE_TITLES[planned.phase]}"


class ConsoleReporter:
    """A progress listener for `transfer-tui run`: live bar on a terminal, one flushed line per epoch otherwise."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("steps"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not self.live,
        )
        self.task_id = None
        self.plan: tuple[PlannedPhase, ...] = ()
        self.done_before_phase = 0

    def __enter__(self) -> ConsoleReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.progress.stop()

    def __call__(self, event: ProgressEvent) -> None:
        if isinstance(event, RunPlanned):
            self.plan = event.plan
            self.task_id = self.progress.add_task("starting", total=event.total_steps)
            self._print(EPOCH_HEADER)
        elif isinstance(event, PhaseStarted):
            if event.index == 0 or self.plan[event.index - 1].pair != event.planned.pair:
                self._print(f"── Task B: {pair_label(event.planned.pair)} ──")
            self.done_before_phase = sum(p.steps for p in self.plan[: event.index])
            self._advance(describe(event.planned), self.done_before_phase)
        elif isinstance(event, StepsDone):
            planned = self.plan[event.index]
            done = self.done_before_phase + event.epoch * planned.steps_per_epoch + event.step
            self._advance(f"{describe(planned)} · epoch {event.epoch + 1}/{planned.epochs}", done)
        elif isinstance(event, EpochDone):
            planned = self.plan[event.index]
            self._advance(describe(planned), self.done_before_phase + event.epoch * planned.steps_per_epoch)
            self._print(epoch_line(event))
        elif isinstance(event, PhaseDone):
            self._advance(describe(self.plan[event.index]), sum(p.steps for p in self.plan[: event.index + 1]))

    def _advance(self, description: str, completed: int) -> None:
        if self.task_id is not None:
            self.progress.update(self.task_id, description=description, completed=completed)

    def _print(self, line: str) -> None:
        if self.live:
            self.progress.console.print(line, highlight=False)
        else:
            print(line, flush=True)
