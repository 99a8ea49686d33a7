"""TensorBoard logs for users who keep their curves there: one log folder per model, scalars per epoch."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from engine.errors import ConfigError
from engine.phases import PHASE_TITLES
from engine.progress import EpochDone, Listener, ProgressEvent, RunPlanned
from engine.runtime import tf


class TensorBoardListener:
    """Passes every event on, and writes each finished epoch to <folder>/<b5-6>/<phase or optimizer>/seed<N>
    (a sweep's cell prefixes its phase with its treatment and depth)."""

    def __init__(self, folder: Path, inner: Listener) -> None:
        if importlib.util.find_spec("tensorboard") is None:
            raise ConfigError("--tensorboard needs the tensorboard package: pip install 'transfer-tui[tensorboard]'")
        self.folder, self.inner = Path(folder), inner
        self.plan: tuple = ()
        self.writers: dict[Path, object] = {}

    def __call__(self, event: ProgressEvent) -> None:
        if isinstance(event, RunPlanned):
            self.plan = event.plan
        elif isinstance(event, EpochDone):
            planned = self.plan[event.index]
            name = planned.optimizer or PHASE_TITLES[event.phase].replace(" ", "_").replace(",", "")
            if planned.variant:  # a layer sweep's cell: 'AnB+_2_B_on_A_frozen'
                name = f"{planned.variant.replace(' ', '_')}_{name}"
            logdir = self.folder / f"b{planned.pair[0]}-{planned.pair[1]}" / name / f"seed{event.seed}"
            writer = self.writers.get(logdir)
            if writer is None:
                writer = self.writers[logdir] = tf.summary.create_file_writer(str(logdir))
            with writer.as_default():
                for metric in ("loss", "accuracy", "val_loss", "val_accuracy"):
                    tf.summary.scalar(metric, getattr(event.metrics, metric), step=event.epoch)
            writer.flush()
        self.inner(event)
