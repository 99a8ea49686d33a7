"""Population training: P copies of one dense network trained together, one batched matmul per layer.

Every weight carries a leading member axis: a Dense kernel is (P, in, out). The loss is the
sum of the members' mean losses, so each member receives exactly its own gradient, and with
elementwise optimizers (all of the notebook's) each member is mathematically an independent
model. Members start from the weights of plain Keras models (built per seed by the caller),
draw their own data order, and export back to plain Keras models.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.checkpoints import Checkpoints, PhaseState, optimizer_values, replay, restore_optimizer
from engine.config import NetworkConfig
from engine.models import build_network, predicted_labels
from engine.optimizers import make_optimizer, split_learning_rate
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
from engine.runtime import keras, tf
from engine.training import PhaseHistory, epoch_order

CHUNK_SECONDS = 0.1  # how long one in-graph run of steps may last before Python looks at progress and stop
BN_MOMENTUM = 0.99  # keras.layers.BatchNormalization's defaults
BN_EPSILON = 1e-3


@dataclass(frozen=True)
class LayerShape:
    """One hidden or output Dense layer of the population, and whether BatchNormalization follows it."""

    units: int
    activation: str | None
    batch_norm: bool


class Population:
    """P networks of identical shape, weights stacked on the member axis, as Keras variables."""

    def __init__(self, net: NetworkConfig, n_outputs: int, output_activation: str, members: Sequence[keras.Model]):
        self.net = net
        self.n_outputs = n_outputs
        self.output_activation = output_activation
        self.size = len(members)
        self.shapes = [LayerShape(units, net.activation, net.batch_norm) for units in net.hidden]
        self.shapes.append(LayerShape(n_outputs, None, False))  # logits; the activation is in the loss
        per_member = [_dense_and_norm_weights(model) for model in members]
        self.kernels, self.biases, self.norms = [], [], []
        for layer, shape in enumerate(self.shapes):
            stacked = [np.stack([weights[layer][part] for weights in per_member]) for part in range(2)]
            self.kernels.append(keras.Variable(stacked[0], name=f"kernel_{layer}"))
            self.biases.append(keras.Variable(stacked[1], name=f"bias_{layer}"))
            if shape.batch_norm:
                gamma, beta, mean, variance = (
                    np.stack([weights[layer][part] for weights in per_member]) for part in range(2, 6)
                )
                self.norms.append(
                    (
                        keras.Variable(gamma, name=f"gamma_{layer}"),
                        keras.Variable(beta, name=f"beta_{layer}"),
                        keras.Variable(mean, name=f"moving_mean_{layer}", trainable=False),
                        keras.Variable(variance, name=f"moving_variance_{layer}", trainable=False),
                    )
                )
            else:
                self.norms.append(None)

    def variables(self) -> list[keras.Variable]:
        """Every weight, moving statistics included, in a fixed order (for checkpoints)."""
        variables = [*self.kernels, *self.biases]
        for norm in self.norms:
            variables += list(norm or ())
        return variables

    def trainable_variables(self, train_hidden: bool) -> list[keras.Variable]:
        """All weights, or only the output layer's when the reused hidden layers are frozen."""
        layers = range(len(self.shapes)) if train_hidden else [len(self.shapes) - 1]
        variables = []
        for layer in layers:
            variables += [self.kernels[layer], self.biases[layer]]
            if self.norms[layer] is not None:
                variables += list(self.norms[layer][:2])
        return variables

    def logits(self, x: tf.Tensor, training: bool, train_hidden: bool = True) -> tf.Tensor:
        """x: (P, batch, 784) or (batch, 784) shared by all members -> logits (P, batch, n_outputs)."""
        h = x if len(x.shape) == 3 else x[None]  # shared examples broadcast over the member axis
        for layer, shape in enumerate(self.shapes):
            h = tf.matmul(h, self.kernels[layer].value) + self.biases[layer].value[:, None, :]
            if shape.activation is not None:
                h = keras.activations.get(shape.activation)(h)
            if self.norms[layer] is not None:
                # a frozen BatchNormalization layer runs in inference mode, as in Keras
                h = self._normalise(h, self.norms[layer], training and train_hidden)
        return h

    def _normalise(self, h: tf.Tensor, norm: tuple, training: bool) -> tf.Tensor:
        gamma, beta, moving_mean, moving_variance = norm
        if training:
            mean, variance = tf.nn.moments(h, axes=[1])
            moving_mean.assign(moving_mean * BN_MOMENTUM + mean * (1 - BN_MOMENTUM))
            moving_variance.assign(moving_variance * BN_MOMENTUM + variance * (1 - BN_MOMENTUM))
        else:
            mean, variance = moving_mean.value, moving_variance.value
        inverse = tf.math.rsqrt(variance + BN_EPSILON) * gamma.value
        return (h - mean[:, None, :]) * inverse[:, None, :] + beta.value[:, None, :]

    def member_model(self, member: int, name: str) -> keras.Sequential:
        """Member `member` as a plain Keras Sequential with exactly its weights."""
        model = build_network(self.net, self.n_outputs, self.output_activation, name=name)
        weights = []
        for layer in range(len(self.shapes)):
            weights += [self.kernels[layer].numpy()[member], self.biases[layer].numpy()[member]]
            if self.norms[layer] is not None:
                weights += [variable.numpy()[member] for variable in self.norms[layer]]
        model.set_weights(weights)
        return model


def _dense_and_norm_weights(model: keras.Model) -> list[list[np.ndarray]]:
    """Per Dense layer: [kernel, bias] plus [gamma, beta, moving_mean, moving_variance] of the norm after it."""
    layers: list[list[np.ndarray]] = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            layers.append([np.asarray(w) for w in layer.get_weights()])
        elif isinstance(layer, keras.layers.BatchNormalization):
            layers[-1] += [np.asarray(w) for w in layer.get_weights()]
    return layers


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
    """Trains a Population for one phase: loss, optimizer, frozen or not."""

    def __init__(
        self,
        population: Population,
        *,
        binary: bool,
        optimizer: str,
        learning_rate: float,
        train_hidden: bool,
        hyperparameters: dict | None = None,
    ) -> None:
        self.population = population
        self.binary = binary
        self.train_hidden = train_hidden
        self.variables = population.trainable_variables(train_hidden)
        self.optimizer = make_optimizer(optimizer, learning_rate, hyperparameters)
        self.optimizer.build(self.variables)
        self._train_step = tf.function(self._step, jit_compile=True)
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
        """One optimizer step for every member at once; compiled with XLA, which fuses the elementwise work."""
        with tf.GradientTape() as tape:
            logits = self.population.logits(xb, training=True, train_hidden=self.train_hidden)
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
    train_hidden: bool,
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
        train_hidden=train_hidden,
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


def member_accuracies(population: Population, x: np.ndarray, y: np.ndarray, batch: int = 1024) -> list[float]:
    """Exact test accuracy of every member, as engine.models.held_out_accuracy computes it for one model."""
    flat = x.reshape(len(x), -1)
    correct = np.zeros(population.size)
    for start in range(0, len(y), batch):
        logits = population.logits(tf.constant(flat[start : start + batch]), training=False)
        outputs = keras.activations.get(population.output_activation)(logits).numpy()
        correct += (predicted_labels(outputs) == y[start : start + batch]).sum(axis=-1)
    return [float(c / len(y)) for c in correct]
