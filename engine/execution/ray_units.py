"""What runs on a Ray cluster: a unit of work as a task, and the driver's mailbox as a small actor.

A unit trains its share of the run exactly as the run would in-process, with three stand-ins: its progress
events, checkpoints and model files go to the driver (through the mailbox, and as the task's return value),
and the driver's stop request reaches it through the mailbox. The mailbox lives on the head node, so a
unit restarted on another node after its node died picks up from its last checkpoint there.
Imported only when a run uses a cluster (it imports Ray).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import ray

from engine.execution.units import UnitOutcome, UnitPlaced, UnitSpec
from engine.progress import PlannedPhase, ProgressEvent, StopToken
from engine.storage.checkpoints import PhaseState, state_bytes, state_from_bytes

STOP_POLL_SECONDS = 0.5


@ray.remote(num_cpus=0)
class Mailbox:
    """Holds what units send until the driver collects it: events, and each plan entry's latest checkpoint."""

    def __init__(self, checkpoints: dict[tuple[int, int], bytes]) -> None:
        self.checkpoints = dict(checkpoints)  # (unit, entry of the unit's plan) -> the state's bytes
        self.events: list[tuple[int, Any]] = []
        self.saved: list[tuple[int, int, bytes]] = []
        self.stop = False

    def post(self, unit: int, event: Any) -> None:
        self.events.append((unit, event))

    def save(self, unit: int, entry: int, data: bytes) -> None:
        self.checkpoints[(unit, entry)] = data
        self.saved.append((unit, entry, data))

    def load(self, unit: int, entry: int) -> bytes | None:
        return self.checkpoints.get((unit, entry))

    def drain(self) -> tuple[list[tuple[int, int, bytes]], list[tuple[int, Any]]]:
        """Checkpoints saved and events posted since the last call, each in the order they came."""
        saved, events = self.saved, self.events
        self.saved, self.events = [], []
        return saved, events

    def request_stop(self) -> None:
        self.stop = True

    def stop_requested(self) -> bool:
        return self.stop


class MailboxCheckpoints:
    """A unit's checkpoints, kept by the mailbox under the entry's position in the unit's plan."""

    def __init__(self, mailbox: Any, unit: int, plan: tuple[PlannedPhase, ...]) -> None:
        self.mailbox, self.unit, self.plan = mailbox, unit, plan

    def save(self, planned: PlannedPhase, state: PhaseState) -> None:
        self.mailbox.save.remote(self.unit, self.plan.index(planned), state_bytes(state))

    def load(self, planned: PlannedPhase) -> PhaseState | None:
        data = ray.get(self.mailbox.load.remote(self.unit, self.plan.index(planned)))
        return None if data is None else state_from_bytes(data)


class MailboxStop(StopToken):
    """The driver's stop request, asked of the mailbox a few times a second by a thread of its own."""

    def __init__(self, mailbox: Any) -> None:
        super().__init__()
        self.mailbox = mailbox
        self.finished = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while not self.finished.wait(STOP_POLL_SECONDS):
            try:
                if ray.get(self.mailbox.stop_requested.remote()):
                    self.request()
                    return
            except ray.exceptions.RayError:  # the driver is gone: stop, nobody collects the work
                self.request()
                return


@ray.remote(max_calls=1, max_retries=3)
def run_unit(spec: UnitSpec, dataset: Any, mailbox: Any) -> UnitOutcome:
    """Train one unit; return its result, its model files' bytes and the folder they were in. The files the run
    reads (`spec.files`: the user's model A) are written into the unit's folder and its options point there.
    TensorFlow keeps its own number of threads, as in-process: with fewer, its sums round differently and a run
    over 20 epochs ends a few tenths of a point elsewhere (measured), so Ray's OMP_NUM_THREADS goes. Several units
    may share a GPU: TensorFlow takes its memory as needed (engine.runtime sets that as it loads)."""
    os.environ.pop("OMP_NUM_THREADS", None)
    from engine.config import config_from_dict
    from engine.kinds import RunContext, kind_named

    unit = spec.number

    def listener(event: ProgressEvent) -> None:
        mailbox.post.remote(unit, event)

    mailbox.post.remote(unit, placement(unit))
    stop = MailboxStop(mailbox)
    folder = Path(tempfile.mkdtemp(prefix=f"transfer-tui-unit{unit}-"))
    try:
        written = {}
        for option, (name, data) in spec.files.items():
            written[option] = folder / f"input-{option}" / name
            written[option].parent.mkdir()
            written[option].write_bytes(data)
        options = spec.options.for_unit(written)
        context = RunContext(
            folder, listener, stop, MailboxCheckpoints(mailbox, unit, spec.plan), options, spec.indexed
        )
        result = kind_named(spec.kind).start(config_from_dict(spec.config), dataset, context)
        files = {str(Path(p).relative_to(folder)): Path(p).read_bytes() for p in result.model_files()}
        return UnitOutcome(result.to_dict(), files, str(folder))
    finally:
        stop.finished.set()
        shutil.rmtree(folder, ignore_errors=True)


def placement(unit: int) -> UnitPlaced:
    """Where a unit runs: its node and the GPUs Ray gave it (CUDA_VISIBLE_DEVICES), for the driver to show."""
    context = ray.get_runtime_context()
    return UnitPlaced(unit, context.get_node_id(), os.environ.get("CUDA_VISIBLE_DEVICES", ""))
