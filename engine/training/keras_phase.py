"""Training one Keras model through one phase, epoch by epoch, in the phase loop (engine.training.phase_loop).

The data order of every epoch comes from (seed, phase, epoch), not from Keras' shuffler, so
a run is reproducible, resumable from any finished epoch, and comparable member by member
with population training.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np

from engine.data.split import TaskData
from engine.phases import PHASE_CODES
from engine.progress import Cancelled, EpochMetrics, Listener, PlannedPhase, StopToken
from engine.results.history import PhaseHistory
from engine.runtime import keras
from engine.storage.checkpoints import optimizer_values, restore_optimizer
from engine.training.optimizers import make_optimizer
from engine.training.phase_loop import Entry, EpochOutcome, PhaseRun, Progress, Session, State, run_phase

STEP_REPORT_SECONDS = 0.1
VALIDATION_BATCH = 1024


def epoch_order(seed: int, phase: str, epoch: int, n: int) -> np.ndarray:
    """The permutation of the n training images used in `epoch` (0-based) of `phase` for `seed`."""
    return np.random.default_rng([seed, PHASE_CODES[phase], epoch]).permutation(n)


class _BatchWatch(keras.callbacks.Callback):
    """Reports steps a few times a second, honours the stop token and stops on a non-finite loss."""

    def __init__(self, on_steps: Callable[[int], None], stop: StopToken) -> None:
        super().__init__()
        self.on_steps, self.stop = on_steps, stop
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
            self.on_steps(batch + 1)


def compile_model(model: keras.Model, loss: str, optimizer: str, learning_rate: float) -> None:
    """Compiled with the notebook's optimizer; a model whose layers compute in float16 scales its loss (Keras'
    LossScaleOptimizer, which compile adds only where the model's own policy, not its layers', is float16)."""
    chosen = make_optimizer(optimizer, learning_rate)
    if any(layer.dtype_policy.name == "mixed_float16" for layer in model.layers):
        chosen = keras.optimizers.LossScaleOptimizer(chosen)
    model.compile(loss=loss, optimizer=chosen, metrics=["accuracy"])


class KerasEpochs:
    """A compiled Keras model as the phase loop's trainer: one model.fit per epoch, in the epoch's own order,
    validating after it."""

    def __init__(self, model: keras.Model, data: TaskData, *, seed: int, phase: str, batch_size: int, stop: StopToken):
        self.model, self.data, self.seed, self.phase = model, data, seed, phase
        self.batch_size, self.stop = batch_size, stop
        self.member_steps = [math.ceil(len(data.y_train) / batch_size)]

    def train_epoch(self, epoch: int, on_steps: Callable[[int], None]) -> list[EpochOutcome | None]:
        data = self.data
        order = epoch_order(self.seed, self.phase, epoch, len(data.y_train))
        watch = _BatchWatch(on_steps, self.stop)
        started = time.perf_counter()
        logs = self.model.fit(
            data.x_train[order],
            data.y_train[order],
            batch_size=self.batch_size,
            epochs=1,
            shuffle=False,
            validation_data=(data.x_valid, data.y_valid),
            validation_batch_size=VALIDATION_BATCH,
            verbose=0,
            callbacks=[watch],
        ).history
        if self.stop.requested:
            raise Cancelled  # the unfinished epoch is not recorded
        metrics = EpochMetrics(
            loss=float(logs["loss"][-1]),
            accuracy=float(logs["accuracy"][-1]),
            val_loss=float(logs["val_loss"][-1]),
            val_accuracy=float(logs["val_accuracy"][-1]),
            seconds=time.perf_counter() - started,
        )
        return [EpochOutcome(metrics, watch.diverged)]

    def states(self, parts: Sequence[slice]) -> list[State]:
        return [(self.model.get_weights(), optimizer_values(self.model.optimizer))]

    def restore(self, states: Sequence[State]) -> None:
        ((weights, optimizer),) = states
        self.model.set_weights(weights)
        restore_optimizer(self.model.optimizer, self.model.trainable_variables, optimizer)


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
) -> PhaseHistory:
    """Train `model` (already compiled) for `epochs` on `data` outside any plan, validating after each epoch
    (benchmarks and tests). Raises Cancelled if `stop` was requested; the unfinished epoch is not recorded.
    Returns early, with `diverged` set, if the loss becomes NaN or infinite."""
    trainer = KerasEpochs(model, data, seed=seed, phase=phase, batch_size=batch_size, stop=stop)
    run = PhaseRun(trainer, phase, (seed,), epochs, (Entry(index, None, slice(0, 1)),), [PhaseHistory()])
    return run_phase(run, [Progress(listener)])[0]


def train_planned_model(
    model: keras.Model, data: TaskData, *, seed: int, index: int, planned: PlannedPhase, session: Session
) -> PhaseHistory:
    """Train plan entry `index` (one seed) with the session's hooks: from its checkpoint where it has one,
    saving one after every epoch, between PhaseStarted and PhaseDone."""
    trainer = KerasEpochs(model, data, seed=seed, phase=planned.phase, batch_size=session.batch_size, stop=session.stop)
    entry = Entry(index, planned, slice(0, 1))
    run = PhaseRun(trainer, planned.phase, (seed,), planned.epochs, (entry,), [PhaseHistory()])
    return run_phase(run, session.hooks())[0]
