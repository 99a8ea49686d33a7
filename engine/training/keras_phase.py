"""Training one Keras model through one phase, epoch by epoch, with progress, cooperative stop and divergence checks.

The data order of every epoch comes from (seed, phase, epoch), not from Keras' shuffler, so
a run is reproducible, resumable from any finished epoch, and comparable member by member
with population training.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from engine.data.split import TaskData
from engine.phases import PHASE_CODES
from engine.progress import Cancelled, EpochDone, EpochMetrics, Listener, StepsDone, StopToken
from engine.results.history import PhaseHistory
from engine.runtime import keras
from engine.training.optimizers import make_optimizer

STEP_REPORT_SECONDS = 0.1
VALIDATION_BATCH = 1024


def epoch_order(seed: int, phase: str, epoch: int, n: int) -> np.ndarray:
    """The permutation of the n training images used in `epoch` (0-based) of `phase` for `seed`."""
    return np.random.default_rng([seed, PHASE_CODES[phase], epoch]).permutation(n)


class _BatchWatch(keras.callbacks.Callback):
    """Reports steps a few times a second, honours the stop token and stops on a non-finite loss."""

    def __init__(self, index: int, epoch: int, listener: Listener, stop: StopToken) -> None:
        super().__init__()
        self.index, self.epoch, self.listener, self.stop = index, epoch, listener, stop
        self.last_report = -math.inf  # the first batch is reported at once: every epoch that trains shows
        self.diverged = False

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = float((logs or {}).get("loss", 0.0))
        if not math.isfinite(loss):
            self.diverged = True
            self.model.stop_training = True
        if self.stop.requested:
            self.model.stop_training = True
        now = time.monotonic()
        if now - self.last_report >= STEP_REPORT_SECONDS:
            self.last_report = now
            self.listener(StepsDone(self.index, self.epoch, batch + 1))


def compile_model(model: keras.Model, loss: str, optimizer: str, learning_rate: float) -> None:
    model.compile(loss=loss, optimizer=make_optimizer(optimizer, learning_rate), metrics=["accuracy"])


def train_phase(
    model: keras.Model,
    data: TaskData,
    *,
    phase: str,
    seed: int,
    epochs: int,
    batch_size: int,
    index: int,
    listener: Listener,
    stop: StopToken,
    history: PhaseHistory | None = None,
    after_epoch: Callable[[PhaseHistory], None] | None = None,
) -> PhaseHistory:
    """Train `model` (already compiled) for `epochs` on `data`, validating after each epoch.

    A resumed phase passes the `history` of the epochs it already finished (the model and optimizer
    already restored) and continues with the next one. `after_epoch` runs after every finished epoch.
    Raises Cancelled if `stop` was requested; the unfinished epoch is not recorded.
    Returns early, with `diverged` set, if the loss becomes NaN or infinite.
    """
    history = history or PhaseHistory()
    n_train = len(data.y_train)
    for epoch in range(epochs if history.diverged else len(history.loss), epochs):
        order = epoch_order(seed, phase, epoch, n_train)
        watch = _BatchWatch(index, epoch, listener, stop)
        started = time.perf_counter()
        logs = model.fit(
            data.x_train[order],
            data.y_train[order],
            batch_size=batch_size,
            epochs=1,
            shuffle=False,
            validation_data=(data.x_valid, data.y_valid),
            validation_batch_size=VALIDATION_BATCH,
            verbose=0,
            callbacks=[watch],
        ).history
        if stop.requested:
            raise Cancelled
        metrics = EpochMetrics(
            loss=float(logs["loss"][-1]),
            accuracy=float(logs["accuracy"][-1]),
            val_loss=float(logs["val_loss"][-1]),
            val_accuracy=float(logs["val_accuracy"][-1]),
            seconds=time.perf_counter() - started,
        )
        history.append(metrics)
        history.diverged = watch.diverged or not math.isfinite(metrics.loss)
        if after_epoch is not None:
            after_epoch(history)
        listener(EpochDone(index, phase, seed, epoch + 1, epochs, metrics))
        if history.diverged:
            break
    return history
