"""Population training: the members of a Population trained together, one optimizer step for all at once.

The loss is the sum of the members' mean losses, so each member receives exactly its own gradient, and with
elementwise optimizers (all of the notebook's) each member is mathematically an independent model. Each member
draws its own data order.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.config.optimizers import split_learning_rate
from engine.networks.population import Population
from engine.progress import (
    Cancelled,
    EpochDone,
    EpochMetrics,
    Listener,
    PhaseDone,
    PhaseStarted,
    PlannedPhase,
    StepsDone,
    StopToken,
)
from engine.results.history import PhaseHistory
from engine.runtime import tf
from engine.storage.checkpoints import Checkpoints, PhaseState, optimizer_values, replay, restore_optimizer
from engine.training.keras_phase import epoch_order
from engine.training.optimizers import make_optimizer

CHUNK_SECONDS = 0.1  # how long one in-graph run of steps may last before Python looks at progress and stop


@dataclass(frozen=True)
class MemberData:
    """Training data of a population: shared by all members (x: (N, 784)) or one set each (x: (P, N, 784))."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray

    @property
    def shared(self) -> bool:
        return self.y_train.ndim == 1

    @property
    def n_train(self) -> int:
        return self.y_train.shape[-1]


def member_data(tasks_per_member: Sequence) -> MemberData:
    """Stack the members' TaskData; when all members train on the same arrays, keep one copy."""
    first = tasks_per_member[0]
    flat = lambda x: x.reshape(*x.shape[:-2], -1)  # noqa: E731 - (.., 28, 28) -> (.., 784)
    if all(task.x_train is first.x_train for task in tasks_per_member):
        x_train, y_train = flat(first.x_train), first.y_train
    else:
        x_train = np.stack([flat(task.x_train) for task in tasks_per_member])
        y_train = np.stack([task.y_train for task in tasks_per_member])
    return MemberData(x_train, y_train, flat(first.x_valid), first.y_valid)


class PopulationTrainer:
    """Trains a Population for one phase: loss, optimizer, which layers are frozen."""

    def __init__(
        self,
        population: Population,
        *,
        binary: bool,
        optimizer: str,
        learning_rate: float,
        frozen: int = 0,
        hyperparameters: dict | None = None,
    ) -> None:
        self.population = population
        self.binary = binary
        self.frozen = frozen  # how many hidden layers, from the input, do not train in this phase
        self.variables = population.trainable_variables(frozen)
        self.optimizer = make_optimizer(optimizer, learning_rate, hyperparameters)
        self.optimizer.build(self.variables)
        # XLA fuses a dense population's elementwise work (about 4x faster), but its CPU convolutions run at
        # half of oneDNN's speed, which TensorFlow's own kernels use: convolutional populations run without it
        convolutional = any(shape.kind == "conv" for shape in population.shapes)
        self._train_step = tf.function(self._step, jit_compile=not convolutional)
        self._run_steps = tf.function(self._steps, reduce_retracing=True)
        self._evaluate = tf.function(self._loss_and_correct, reduce_retracing=True)

    def _member_losses(self, logits: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
        """Each member's mean loss over its batch, shape (P,)."""
        if self.binary:
            per_example = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits[..., 0])
        else:
            per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        return tf.reduce_mean(per_example, axis=-1)

    def _correct(self, logits: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
        if self.binary:
            predicted = tf.cast(tf.sigmoid(logits[..., 0]) > 0.5, labels.dtype)
        else:
            predicted = tf.cast(tf.argmax(logits, axis=-1), labels.dtype)
        return tf.reduce_sum(tf.cast(tf.equal(predicted, labels), tf.float32), axis=-1)

    def _step(self, xb, yb):
        """One optimizer step for every member at once."""
        with tf.GradientTape() as tape:
            logits = self.population.logits(xb, training=True, frozen=self.frozen)
            losses = self._member_losses(logits, yb)
            total = tf.reduce_sum(losses)
        gradients = tape.gradient(total, [v.value for v in self.variables])
        self.optimizer.apply(gradients, self.variables)
        return losses, self._correct(logits, yb)

    def _steps(self, x, y, order, first_step, last_step, batch_size):
        """Train on steps [first_step, last_step) of an epoch; returns per-member summed loss and correct counts."""
        size = self.population.size
        # float64 sums of float32 losses are exact here, so how the epoch was cut into chunks cannot
        # change the reported loss by a single bit (chunk sizes follow wall time)
        loss_sum = tf.zeros([size], tf.float64)
        correct = tf.zeros([size])
        shared = len(x.shape) == 2
        for step in tf.range(first_step, last_step):
            index = order[:, step * batch_size : (step + 1) * batch_size]
            xb = tf.gather(x, index) if shared else tf.gather(x, index, batch_dims=1)
            yb = tf.gather(y, index) if shared else tf.gather(y, index, batch_dims=1)
            losses, step_correct = self._train_step(xb, yb)
            loss_sum += tf.cast(losses, tf.float64) * tf.cast(tf.shape(index)[1], tf.float64)
            correct += step_correct
        return loss_sum, correct

    def _loss_and_correct(self, x, y):
        """Validation: per-member summed loss and correct counts over one chunk of shared examples."""
        logits = self.population.logits(x, training=False)
        labels = tf.broadcast_to(y, [self.population.size, tf.shape(y)[0]])
        examples = tf.cast(tf.shape(y)[0], tf.float32)
        return self._member_losses(logits, labels) * examples, self._correct(logits, labels)

    def validate(self, x: np.ndarray, y: np.ndarray, batch: int = 1024) -> tuple[np.ndarray, np.ndarray]:
        """Per-member mean loss and accuracy on shared examples."""
        loss_sum = np.zeros(self.population.size)
        correct = np.zeros(self.population.size)
        for start in range(0, len(y), batch):
            chunk_loss, chunk_correct = self._evaluate(x[start : start + batch], y[start : start + batch])
            loss_sum += chunk_loss.numpy()
            correct += chunk_correct.numpy()
        return loss_sum / len(y), correct / len(y)

    def train(
        self,
        data: MemberData,
        *,
        seeds: Sequence[int],
        phase: str,
        epochs: int,
        batch_size: int,
        index: int,
        listener: Listener,
        stop: StopToken,
        start_epoch: int = 0,
        histories: list[PhaseHistory] | None = None,
        after_epoch: Callable[[int, list[PhaseHistory]], None] | None = None,
    ) -> list[PhaseHistory]:
        """Train every member for `epochs`, reporting each member's epoch; a member whose loss stops being
        finite is marked diverged and no longer reported. A resumed phase passes the epochs and histories
        it already has (weights and optimizer already restored). `after_epoch(epochs_done, histories)` runs
        after every finished epoch. Raises Cancelled when `stop` is requested."""
        histories = histories or [PhaseHistory() for _ in seeds]
        x_train = tf.constant(data.x_train)
        y_train = tf.constant(data.y_train)
        steps = math.ceil(data.n_train / batch_size)
        chunk = 8
        for epoch in range(start_epoch, epochs):
            started = time.perf_counter()
            order = tf.constant(np.stack([epoch_order(seed, phase, epoch, data.n_train) for seed in seeds]))
            loss_sum = np.zeros(len(seeds))
            correct = np.zeros(len(seeds))
            step = 0
            while step < steps:
                if stop.requested:
                    raise Cancelled
                last = min(steps, step + chunk)
                chunk_started = time.perf_counter()
                chunk_loss, chunk_correct = self._run_steps(
                    x_train, y_train, order, tf.constant(step), tf.constant(last), tf.constant(batch_size)
                )
                loss_sum += chunk_loss.numpy()
                correct += chunk_correct.numpy()
                chunk = _next_chunk(chunk, last - step, time.perf_counter() - chunk_started)
                step = last
                listener(StepsDone(index, epoch, step))
            val_loss, val_accuracy = self.validate(data.x_valid, data.y_valid)
            seconds = time.perf_counter() - started
            for member, history in enumerate(histories):
                if history.diverged:
                    continue
                metrics = EpochMetrics(
                    loss=float(loss_sum[member] / data.n_train),
                    accuracy=float(correct[member] / data.n_train),
                    val_loss=float(val_loss[member]),
                    val_accuracy=float(val_accuracy[member]),
                    seconds=seconds,
                )
                history.append(metrics)
                history.diverged = not math.isfinite(metrics.loss)
            if after_epoch is not None:
                after_epoch(epoch + 1, histories)
            for member, seed in enumerate(seeds):
                if len(histories[member].loss) == epoch + 1:
                    metrics = EpochMetrics(*(getattr(histories[member], n)[-1] for n in PhaseHistory.METRICS))
                    listener(EpochDone(index, phase, seed, epoch + 1, epochs, metrics))
            if all(history.diverged for history in histories):
                break
        return histories


def train_planned_phase(
    population: Population,
    data: MemberData,
    *,
    index: int,
    planned: PlannedPhase,
    binary: bool,
    optimizer: str,
    hyperparameters: dict,
    frozen: int,
    batch_size: int,
    listener: Listener,
    stop: StopToken,
    checkpoints: Checkpoints | None = None,
) -> list[PhaseHistory]:
    """Train one plan entry (all its seeds at once) between PhaseStarted and PhaseDone messages,
    continuing from its checkpoint if it has one and saving one after every epoch."""
    learning_rate, rest = split_learning_rate(hyperparameters)
    trainer = PopulationTrainer(
        population,
        binary=binary,
        optimizer=optimizer,
        learning_rate=learning_rate,
        frozen=frozen,
        hyperparameters=rest,
    )
    listener(PhaseStarted(index, planned))
    state = checkpoints.load(planned) if checkpoints else None
    if state is not None:
        for variable, value in zip(population.variables(), state.weights, strict=True):
            variable.assign(value)
        restore_optimizer(trainer.optimizer, trainer.variables, state.optimizer)
        replay(state, planned.seeds, index, planned.phase, planned.epochs, listener)

    def save(epochs_done: int, histories: list[PhaseHistory]) -> None:
        weights = [variable.numpy() for variable in population.variables()]
        checkpoints.save(planned, PhaseState(epochs_done, histories, weights, optimizer_values(trainer.optimizer)))

    histories = trainer.train(
        data,
        seeds=planned.seeds,
        phase=planned.phase,
        epochs=planned.epochs,
        batch_size=batch_size,
        index=index,
        listener=listener,
        stop=stop,
        start_epoch=state.epochs_done if state else 0,
        histories=state.histories if state else None,
        after_epoch=save if checkpoints else None,
    )
    listener(PhaseDone(index))
    return histories


def _next_chunk(chunk: int, done: int, seconds: float) -> int:
    """Steps for the next in-graph run, aiming at CHUNK_SECONDS so stop requests are seen promptly."""
    if done < chunk or seconds <= 0:
        return chunk
    return max(1, min(4096, int(chunk * CHUNK_SECONDS / seconds)))
