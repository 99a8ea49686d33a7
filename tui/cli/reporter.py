"""Progress of a headless run on the terminal: a Rich progress bar and a row per epoch, or plain lines when piped."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from engine.config import ExperimentConfig
from engine.data.fashion_mnist import Dataset, load_dataset, resolve_data_dir
from engine.execution.cost import measured_rate
from engine.kinds import RunKind, RunOptions
from engine.phases import B_FINETUNE, B_FROZEN, MODEL_A
from engine.progress import (
    ClusterStatus,
    EpochDone,
    PhaseDone,
    PhaseStarted,
    PlannedPhase,
    ProgressEvent,
    RunPlanned,
    StepsDone,
    StopToken,
)
from engine.results.protocol import RunResult
from engine.results.words import plural
from tui.render.runs import (
    EPOCH_HEADER,
    MEAN_HEADER,
    epoch_line,
    group_title,
    mean_line,
    pair_label,
    phase_label,
    seeds_label,
    several_pairs,
)
from tui.state.epoch_rows import MEAN_ROWS_FROM, EpochRows
from tui.state.run_clock import RunClock
from tui.state.run_state import RunState
from tui.state.stored import stored_records

READER_GONE = "the output pipe closed (its reader, e.g. head, exited)"


def describe(planned: PlannedPhase, task: str = "b_on_a") -> str:
    """'Sandal vs Shirt · seeds 1-3 · Model A' (or '· adam' on a leaderboard), for the progress bar."""
    what = phase_label(planned)
    return f"{section_title(planned, task).removeprefix('Task B: ')} · {seeds_label(planned.seeds)} · {what}"


class ConsoleReporter:
    """A progress listener for `transfer-tui run`: live bar on a terminal, one flushed line per epoch otherwise."""

    def __init__(
        self,
        console: Console,
        rows: str = "auto",
        task: str = "b_on_a",
        stop: StopToken | None = None,
        model_a_file: str | None = None,
        clock: RunClock | None = None,
    ) -> None:
        self.console = console
        self.model_a_file = model_a_file  # the user's model A (--model-a), which no seed trains
        self.stop = stop  # asked to stop the run when the reader of a pipe goes away
        self.task = task  # the leaderboard's task, which names the section its races print under
        self.rows = rows  # "all": a row per seed and epoch; "mean": one per epoch over seeds; "auto": mean from 4 up
        self.mean_rows: EpochRows | None = None
        self.live = console.is_terminal
        self.clock = clock  # how long the run has left, from its plan's work and its rate
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("steps"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[left]}"),
            console=console,
            transient=True,
            disable=not self.live,
        )
        self.task_id = None
        self.state = RunState()  # the step count the bar shows, as the app's Run view counts it
        self.cluster_shown = False
        self.placements_shown: set[str] = set()  # on a cluster: where the units that started run
        self.section: str | None = None  # the title the last rows printed stand under
        self.replaying = False  # whether the rows printed last were a resumed run's kept epochs

    def __enter__(self) -> ConsoleReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._print_mean_rows()
        self.progress.stop()

    def __call__(self, event: ProgressEvent) -> None:
        self.state.apply(event)
        if self.clock is not None:
            self.clock.apply(event, self.state, time.monotonic())
        plan = self.state.plan
        if not isinstance(event, EpochDone):
            self._print_mean_rows()
        if isinstance(event, RunPlanned):
            most = max((len(p.seeds) for p in plan), default=1)
            grouped = any(p.group is not None for p in plan)
            if self.rows == "mean" or (self.rows == "auto" and (most >= MEAN_ROWS_FROM or grouped)):
                self.mean_rows = EpochRows(tuple(plan))
            self.task_id = self.progress.add_task("starting", total=self.state.total_steps, left="")
            line = model_a_line(plan, self.model_a_file)
            if line:
                self._print(line)
            self._print(EPOCH_HEADER if self.mean_rows is None else MEAN_HEADER)
        elif isinstance(event, PhaseStarted):
            self._advance(describe(event.planned, self.task))
        elif isinstance(event, StepsDone):
            planned = plan[event.index]
            self._advance(f"{describe(planned, self.task)} · epoch {event.epoch + 1}/{planned.epochs}")
        elif isinstance(event, EpochDone):
            self._advance(describe(plan[event.index], self.task))
            self._say_where_training_resumes(event)
            if self.mean_rows is None:
                self._print_row(plan[event.index], epoch_line(event, plan[event.index], several_pairs(plan)))
            else:
                for row in self.mean_rows.add(event, plan[event.index]):
                    self._print_row(row.planned, mean_line(row))
        elif isinstance(event, PhaseDone):
            self._advance(describe(plan[event.index], self.task))
        elif isinstance(event, ClusterStatus):
            if not self.cluster_shown:
                self._print(event.line)
                self.cluster_shown = True
            for placement in event.placements:
                if placement not in self.placements_shown:
                    self._print(f"  {placement}")
                    self.placements_shown.add(placement)

    def _say_where_training_resumes(self, event: EpochDone) -> None:
        """Before a resumed run's kept epochs, and again where new training starts, a line that says so."""
        if event.restored and not self.replaying:
            self.replaying = True
            self._print("(resumed: the epochs below were read back from the checkpoints, not trained again)")
        elif not event.restored and self.replaying:
            self.replaying = False
            what = phase_label(self.state.plan[event.index])
            self._print(f"(training resumes here: {what}, epoch {event.epoch} of {event.epochs})")

    def _print_mean_rows(self) -> None:
        for row in self.mean_rows.take() if self.mean_rows else []:
            self._print_row(row.planned, mean_line(row))

    def _print_row(self, planned: PlannedPhase, line: str) -> None:
        """A row, under a title saying what it trains on whenever that changes: in-process once per pair (or
        group of pairs); on a cluster, units' rows interleave, and the title says whose rows follow."""
        plan = self.state.plan
        title = group_title(plan, planned.group) if planned.group is not None else section_title(planned, self.task)
        if title != self.section:
            self._print(f"── {title} ──")
            self.section = title
        self._print(line)

    def _advance(self, description: str) -> None:
        if self.task_id is not None:
            left = "" if self.clock is None else self.clock.words(self.state, time.monotonic())
            self.progress.update(self.task_id, description=description, completed=self.state.completed_steps, left=left)

    def _print(self, line: str) -> None:
        try:
            if self.live:
                self.progress.console.print(line, highlight=False)
            else:
                print(line, flush=True)
        except BrokenPipeError:
            self._reader_gone()

    def _reader_gone(self) -> None:
        """The pipe's reader exited (`| head -3`): what follows goes nowhere, and the run stops as a cancel does,
        after the current batch, keeping what finished and resumable, with the reason in the run store."""
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        self.live = False
        if self.stop is not None:
            self.stop.request(READER_GONE)


def model_a_line(plan: Sequence[PlannedPhase], model_a_file: str | None = None) -> str:
    """Where each seed's model A comes from, when not every one is trained: 'Model A from the cache for seeds 1-2;
    training it for seed 3.' ('' when every seed trains its own, or none trains on B)."""
    needed: dict[tuple[int, int], set[int]] = {}  # the seeds of each pair whose B starts from a model A
    for planned in plan:
        if planned.phase in (B_FROZEN, B_FINETUNE):  # B on A (B from scratch, in a race too, needs none)
            needed.setdefault(planned.pair, set()).update(planned.seeds)
    trained = {(p.pair, seed) for p in plan if p.phase == MODEL_A for seed in p.seeds}
    if model_a_file is not None:
        return f"Model A from {model_a_file} for every seed." if needed else ""
    ready = {pair: sorted(s for s in seeds if (pair, s) not in trained) for pair, seeds in needed.items()}
    if not any(ready.values()):
        return ""
    if len(needed) == 1:
        ((pair, cached),) = ready.items()
        training = sorted(needed[pair] - set(cached))
        line = f"Model A from the cache for {seeds_label(tuple(cached))}"
        return line + (f"; training it for {seeds_label(tuple(training))}." if training else ".")
    runs = sum(len(seeds) for seeds in needed.values())
    cached = sum(len(seeds) for seeds in ready.values())
    whole = [pair for pair, seeds in ready.items() if len(seeds) == len(needed[pair])]
    line = f"Model A from the cache for {cached} of {runs} seed runs over {len(needed)} pairs"
    line += f" (every seed of {plural(len(whole), 'pair')})" if whole else ""
    return line + (f"; training it for the other {runs - cached}." if runs > cached else ".")


def load_data_and_engine(
    console: Console, config: ExperimentConfig, checked: Callable[[Dataset], None] | None = None
) -> Dataset:
    """Read the data and check the cluster if there is one (both fail fast, before TensorFlow loads), call
    `checked` with the data (to say what comes), then import TensorFlow under a spinner."""
    dataset = load_dataset(resolve_data_dir(config.data.dir or None))
    if config.cluster.address:
        from engine.execution.executors import executor_for

        executor_for(config).check(config)
    if checked is not None:
        checked(dataset)
    with console.status("Loading TensorFlow…", spinner="dots") if console.is_terminal else nullcontext():
        import engine.runtime  # noqa: F401 - the slow import, done here so the spinner covers it
    return dataset


@contextmanager
def interruptible() -> Iterator[StopToken]:
    """Ctrl-C once stops after the current batch (what finished is kept); a second Ctrl-C aborts.

    Python runs a signal handler only between bytecodes, and two signals that arrive while TensorFlow is
    inside one long C++ call would reach it as one. The wakeup file descriptor gets a byte per signal,
    so the handler counts the presses that really happened."""
    stop = StopToken()
    presses_read, presses_written = os.pipe()
    for fd in (presses_read, presses_written):
        os.set_blocking(fd, False)
    previous_fd = signal.set_wakeup_fd(presses_written, warn_on_full_buffer=False)

    def handle(_signum: int, _frame: object) -> None:
        try:
            presses = os.read(presses_read, 64).count(signal.SIGINT)
        except BlockingIOError:
            presses = 1
        if stop.requested or presses > 1:
            raise KeyboardInterrupt
        stop.request("Ctrl-C")
        print("Stopping after the current batch; Ctrl-C again aborts.", file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, handle)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.set_wakeup_fd(previous_fd)
        os.close(presses_read)
        os.close(presses_written)


def section_title(planned: PlannedPhase, task: str) -> str:
    """What the rows below train on: task B's pair, or for a race on a multi-class task, that task."""
    task = planned.task or task  # in a race over tasks each entry names its own
    if planned.optimizer is not None and task == "full":
        return "All ten classes"
    if planned.optimizer is not None and task == "a":
        return f"Task A: 8 classes (all but {pair_label(planned.pair)})"
    return f"Task B: {pair_label(planned.pair)}"


def tracked_in_terminal(
    console: Console,
    kind: RunKind,
    config: ExperimentConfig,
    dataset: Dataset,
    run_dir: Path,
    options: RunOptions,
    *,
    resume: bool,
    rows: str = "auto",
) -> tuple[RunResult, str]:
    """Run `kind` recorded in the run store, with live progress on `console` and Ctrl-C as a cooperative stop;
    the result, and why it stopped early if it did ('' otherwise)."""
    from engine.execution.tracking import run_tracked

    task = config.leaderboard.task
    clock = RunClock(config, measured_rate(stored_records(), config))
    with interruptible() as stop, ConsoleReporter(console, rows, task, stop, options.model_a, clock) as reporter:
        return run_tracked(kind, config, dataset, run_dir, reporter, stop, options, resume=resume), stop.reason
