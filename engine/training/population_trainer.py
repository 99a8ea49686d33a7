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
from typing import Any

import numpy as np

from engine.config.optimizers import split_learning_rate
from engine.data.packing import IndexedData, MemberData
from engine.networks.population import Population
from engine.progress import Cancelled, EpochMetrics, Listener, PlannedPhase, StopToken
from engine.results.history import PhaseHistory
from engine.runtime import tf
from engine.storage.checkpoints import optimizer_values, restore_optimizer
from engine.training.keras_phase import epoch_order
from engine.training.member_optimizers import MemberOptimizer
from engine.training.on_device import on_device
from engine.training.optimizers import make_optimizer
from engine.training.phase_loop import Entry, EpochOutcome, PhaseHook, PhaseRun, Progress, Session, State, run_phase

CHUNK_SECONDS = 0.1  # how long one in-graph run of steps may last before Python looks at progress and stop


@dataclass(frozen=True)
class MemberSettings:
    """One member's own schedule in a phase, where the members of a population differ (a tuning's trials): its
    learning rate and optimizer hyperparameters, its epochs (None: the phase's), how many hidden layers it keeps
    frozen, and whether it ends with the weights of its best validation epoch (as Keras' EarlyStopping with
    restore_best_weights=True and no patience limit)."""

    learning_rate: float
    hyperparameters: tuple[tuple[str, Any], ...] = ()
    epochs: int | None = None
    frozen: int = 0
    keep_best: bool = False

    @classmethod
    def of(cls, hyperparameters: dict[str, Any], **rest: Any) -> MemberSettings:
        """From an optimizer's hyperparameters as the config holds them (learning_rate among them)."""
        learning_rate, others = split_learning_rate(hyperparameters)
        return cls(learning_rate, tuple(sorted(others.items())), **rest)


def compiles_with_xla(population: Population) -> bool:
    """Whether a population's steps run under XLA, as measured (docs/populations.md, "Precision"): XLA fuses a
    dense float32 population's elementwise work, but on the CPU its convolutions run at half of oneDNN's speed
    (TensorFlow's own kernels) and a dense bfloat16 step under it takes 1.2x to 1.3x as long as without."""
    convolutional = any(shape.kind == "conv" for shape in population.shapes)
    return not convolutional and population.compute_dtype == tf.float32


class PopulationTrainer:
    """Trains a Population for one phase: loss, optimizer, which layers are frozen; where `members` give each
    member settings of its own that differ, each member follows its own (engine.training.member_optimizers)."""

    def __init__(
        self,
        population: Population,
        *,
        binary: bool,
        optimizer: str,
        learning_rate: float,
        frozen: int = 0,
        hyperparameters: dict | None = None,
        members: Sequence[MemberSettings] | None = None,
    ) -> None:
        self.population = population
        self.binary = binary
        self.members = list(members) if members is not None else None
        ways = {(m.learning_rate, m.hyperparameters, m.frozen, m.epochs) for m in members or ()}
        # float16: each member scales its own loss (engine.training.member_optimizers), so each has its own optimizer
        loss_scaled = population.compute_dtype == tf.float16
        self.per_member = len(ways) > 1 or loss_scaled  # Keras' own optimizer where every member trains alike
        if members is not None:
            frozen = min(member.frozen for member in members)
        self.frozen = frozen  # how many hidden layers, from the input, do not train in this phase (for any member)
        layers = population.trainable_layers(frozen)
        self.variables = [variable for variable, _ in layers]
        self.variable_layers = tf.constant([layer for _, layer in layers], tf.int32)
        if self.per_member:
            if self.members is None:
                alike = MemberSettings.of({"learning_rate": learning_rate, **(hyperparameters or {})}, frozen=frozen)
                self.members = [alike] * population.size
            settings = [{"learning_rate": m.learning_rate, **dict(m.hyperparameters)} for m in self.members]
            self.optimizer = MemberOptimizer(optimizer, settings, loss_scaled=loss_scaled)
        else:
            if self.members:
                learning_rate, hyperparameters = self.members[0].learning_rate, dict(self.members[0].hyperparameters)
            self.optimizer = make_optimizer(optimizer, learning_rate, hyperparameters)
        self.optimizer.build(self.variables)
        self.member_frozen = np.array([m.frozen for m in self.members] if self.members else [frozen] * population.size)
        xla = compiles_with_xla(population)
        self._train_step = tf.function(self._step, jit_compile=xla)
        self._run_steps = tf.function(self._steps, reduce_retracing=True)
        self._evaluate = tf.function(self._loss_and_correct, reduce_retracing=True)
        # members of different tasks: a weighted step (padding weighs 0), and for the steps where some members
        # have no examples left, one that also puts back those members' weights and optimizer state
        self._member_train_step = tf.function(self._step_member, jit_compile=xla)
        self._weighted_step = tf.function(self._step_weighted, jit_compile=xla)
        self._masked_step = tf.function(self._step_masked, jit_compile=xla)
        self._run_indexed_steps = tf.function(self._indexed_steps, reduce_retracing=True)
        self._evaluate_indexed = tf.function(self._indexed_loss_and_correct, reduce_retracing=True)

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
            total = self._total_loss(losses)
        gradients = tape.gradient(total, [v.value for v in self.variables])
        self.optimizer.apply(gradients, self.variables)
        return losses, self._correct(logits, yb)

    def _total_loss(self, losses: tf.Tensor) -> tf.Tensor:
        """What the step differentiates: the members' losses summed, each scaled by its own loss scale under
        float16."""
        return self.optimizer.total_loss(losses) if self.per_member else tf.reduce_sum(losses)

    def _step_member(self, xb, yb, frozen, weights=None):
        """One step for members that train each in their own way: `frozen` (P,) how many hidden layers each keeps
        frozen this step (all of them for a member whose epochs are done); a frozen layer keeps its weights and
        slots and runs BatchNormalization in inference mode. `weights` (P, batch) as for _step_weighted."""
        with tf.GradientTape() as tape:
            logits = self.population.logits(xb, training=True, frozen=frozen, weights=weights)
            losses = self._member_losses(logits, yb) if weights is None else self._weighted_losses(logits, yb, weights)
            total = self._total_loss(losses)
        gradients = tape.gradient(total, [v.value for v in self.variables])
        trains = frozen[None, :] <= self.variable_layers[:, None]  # (variables, P)
        if weights is not None:  # members out of examples do not move
            trains = trains & (tf.reduce_sum(weights, axis=-1) > 0)[None, :]
        self.optimizer.apply(gradients, self.variables, trains=lambda index: trains[index])
        correct = self._correct(logits, yb) if weights is None else self._correct_weighted(logits, yb, weights)
        return losses, correct

    def _steps(self, x, y, order, first_step, last_step, batch_size, frozen=None):
        """Train on steps [first_step, last_step) of an epoch; returns per-member summed loss and correct counts.
        `frozen` (P,): each member's frozen layers, for members that train each in their own way."""
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
            if frozen is None:
                losses, step_correct = self._train_step(xb, yb)
            else:
                losses, step_correct = self._member_train_step(xb, yb, frozen)
            loss_sum += tf.cast(losses, tf.float64) * tf.cast(tf.shape(index)[1], tf.float64)
            correct += step_correct
        return loss_sum, correct

    def _weighted_losses(self, logits: tf.Tensor, labels: tf.Tensor, weights: tf.Tensor) -> tf.Tensor:
        """Each member's mean loss over its real examples (weight 1; padding 0), shape (P,): a member's last,
        short batch is averaged over what it holds, as Keras does."""
        if self.binary:
            per_example = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits[..., 0])
        else:
            per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        return tf.reduce_sum(per_example * weights, axis=-1) / tf.maximum(tf.reduce_sum(weights, axis=-1), 1.0)

    def _step_weighted(self, xb, yb, weights):
        with tf.GradientTape() as tape:
            logits = self.population.logits(xb, training=True, frozen=self.frozen, weights=weights)
            losses = self._weighted_losses(logits, yb, weights)
            total = self._total_loss(losses)
        gradients = tape.gradient(total, [v.value for v in self.variables])
        self.optimizer.apply(gradients, self.variables)
        return losses, self._correct_weighted(logits, yb, weights)

    def _step_masked(self, xb, yb, weights):
        """A step in which the members without examples (all weights 0) must not move: a zero gradient still moves
        weights under momentum or Adam, so their weights and optimizer slots are put back afterwards."""
        active = tf.reduce_sum(weights, axis=-1) > 0
        kept = self._member_state()
        before = [tf.identity(variable.value) for variable in kept]
        losses, correct = self._step_weighted(xb, yb, weights)
        for variable, old in zip(kept, before, strict=True):
            where = tf.reshape(active, [-1] + [1] * (len(variable.shape) - 1))
            variable.assign(tf.where(where, variable.value, old))
        return losses, correct

    def _member_state(self) -> list:
        """Every variable with a member axis: weights, moving statistics and optimizer slots (not the step count,
        which all members share: Adam-like optimizers see one more step there than alone)."""
        size = self.population.size
        slots = [v for v in self.optimizer.variables if len(v.shape) >= 1 and v.shape[0] == size]
        return [*self.population.variables(), *slots]

    def _correct_weighted(self, logits: tf.Tensor, labels: tf.Tensor, weights: tf.Tensor) -> tf.Tensor:
        if self.binary:
            predicted = tf.cast(tf.sigmoid(logits[..., 0]) > 0.5, labels.dtype)
        else:
            predicted = tf.cast(tf.argmax(logits, axis=-1), labels.dtype)
        return tf.reduce_sum(tf.cast(tf.equal(predicted, labels), tf.float32) * weights, axis=-1)

    def _indexed_steps(
        self, images, positions, labels, counts, order, first_step, last_step, batch_size, masked, frozen=None
    ):
        """Steps [first_step, last_step) for members of different tasks: `order` (P, n_max) holds each member's
        shuffled entries, then its padding; the images are gathered from the one shared copy per batch."""
        size = self.population.size
        loss_sum = tf.zeros([size], tf.float64)
        correct = tf.zeros([size])
        for step in tf.range(first_step, last_step):
            entries = order[:, step * batch_size : (step + 1) * batch_size]
            weights = tf.cast(entries < tf.cast(counts, entries.dtype)[:, None], tf.float32)
            xb = tf.gather(images, tf.gather(positions, entries, batch_dims=1))
            yb = tf.gather(labels, entries, batch_dims=1)
            if frozen is not None:
                losses, step_correct = self._member_train_step(xb, yb, frozen, weights)
            elif masked:
                losses, step_correct = self._masked_step(xb, yb, weights)
            else:
                losses, step_correct = self._weighted_step(xb, yb, weights)
            real = tf.cast(tf.reduce_sum(weights, axis=-1), tf.float64)
            loss_sum += tf.cast(losses, tf.float64) * real
            correct += step_correct
        return loss_sum, correct

    def _indexed_loss_and_correct(self, x, y, weights):
        """Validation of members of different tasks: x (P, chunk, 784), summed loss and correct counts."""
        logits = self.population.logits(x, training=False)
        return self._weighted_losses(logits, y, weights) * tf.reduce_sum(weights, axis=-1), self._correct_weighted(
            logits, y, weights
        )

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
        x_held, y_held = on_device(x), on_device(y)
        for start in range(0, len(y), batch):
            chunk_loss, chunk_correct = self._evaluate(x_held[start : start + batch], y_held[start : start + batch])
            loss_sum += chunk_loss.numpy()
            correct += chunk_correct.numpy()
        return loss_sum / len(y), correct / len(y)

    def validate_indexed(self, data: IndexedData, batch: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Per-member mean loss and accuracy, each member on its own validation examples."""
        return indexed_evaluation(self._evaluate_indexed, data.images, data.valid, data.y_valid, data.n_valid, batch)

    def train(
        self,
        data: MemberData | IndexedData,
        *,
        seeds: Sequence[int],
        phase: str,
        epochs: int,
        batch_size: int,
        index: int,
        listener: Listener,
        stop: StopToken,
    ) -> list[PhaseHistory]:
        """Train every member for `epochs` outside any plan (benchmarks and tests), reporting each member's epoch;
        a member whose loss stops being finite is marked diverged and no longer reported. Raises Cancelled when
        `stop` is requested."""
        trainer = PopulationEpochs(self, data, seeds, phase, epochs, batch_size, stop)
        entries = (Entry(index, None, slice(0, len(seeds))),)
        run = PhaseRun(trainer, phase, tuple(seeds), trainer.epochs, entries, [PhaseHistory() for _ in seeds])
        return run_phase(run, [self.best_epochs(), Progress(listener)])

    def best_epochs(self) -> BestEpochs:
        """The hook that gives each member asking for it the weights of its best validation epoch."""
        return BestEpochs(self.population, [m.keep_best for m in self.members] if self.members else [])


class PopulationEpochs:
    """A PopulationTrainer as the phase loop's trainer: one epoch of every member at once, in chunks of steps run
    in the graph (about CHUNK_SECONDS each, so progress and the stop request are seen between them), then each
    member's validation. A member whose epochs are done keeps every layer as it is."""

    def __init__(
        self,
        trainer: PopulationTrainer,
        data: MemberData | IndexedData,
        seeds: Sequence[int],
        phase: str,
        epochs: int,
        batch_size: int,
        stop: StopToken,
    ) -> None:
        self.trainer, self.data, self.seeds, self.phase = trainer, data, list(seeds), phase
        self.batch_size, self.stop = batch_size, stop
        members = trainer.members
        own = [epochs if m.epochs is None else m.epochs for m in members] if members else [epochs] * len(seeds)
        self.member_epochs = np.array(own)
        self.epochs = int(self.member_epochs.max())
        self.indexed = isinstance(data, IndexedData)
        if self.indexed:
            self.counts = data.n_train
            self.tensors = [on_device(a) for a in (data.images, data.train, data.y_train, data.n_train)]
        else:
            self.counts = np.full(len(seeds), data.n_train)
            self.tensors = [on_device(data.x_train), on_device(data.y_train)]
        self.member_steps = [math.ceil(n / batch_size) for n in self.counts]
        self.chunk = 8

    def train_epoch(self, epoch: int, on_steps: Callable[[int], None]) -> list[EpochOutcome | None]:
        trainer, batch_size = self.trainer, self.batch_size
        steps, steps_all_members = max(self.member_steps), min(self.member_steps)
        started = time.perf_counter()
        order = tf.constant(_epoch_orders(self.seeds, self.phase, epoch, self.counts))
        active = self.member_epochs > epoch
        frozen = None  # members that all train every layer above trainer.frozen need no mask (the faster step)
        if trainer.per_member and (len(set(trainer.member_frozen)) > 1 or not active.all()):
            everything = len(trainer.population.shapes)
            frozen = tf.constant(np.where(active, trainer.member_frozen, everything), tf.int32)
        loss_sum = np.zeros(len(self.seeds))
        correct = np.zeros(len(self.seeds))
        step = 0
        while step < steps:
            if self.stop.requested:
                raise Cancelled
            last = min(steps, step + self.chunk)
            if step < steps_all_members:
                last = min(last, steps_all_members)
            chunk_started = time.perf_counter()
            bounds = (tf.constant(step), tf.constant(last), tf.constant(batch_size))
            if self.indexed:
                masked = step >= steps_all_members
                chunk_loss, chunk_correct = trainer._run_indexed_steps(*self.tensors, order, *bounds, masked, frozen)
            else:
                chunk_loss, chunk_correct = trainer._run_steps(*self.tensors, order, *bounds, frozen)
            loss_sum += chunk_loss.numpy()
            correct += chunk_correct.numpy()
            self.chunk = _next_chunk(self.chunk, last - step, time.perf_counter() - chunk_started)
            step = last
            on_steps(step)
        if self.indexed:
            val_loss, val_accuracy = trainer.validate_indexed(self.data)
        else:
            val_loss, val_accuracy = trainer.validate(self.data.x_valid, self.data.y_valid)
        seconds = time.perf_counter() - started
        return [
            EpochOutcome(
                EpochMetrics(
                    loss=float(loss_sum[member] / self.counts[member]),
                    accuracy=float(correct[member] / self.counts[member]),
                    val_loss=float(val_loss[member]),
                    val_accuracy=float(val_accuracy[member]),
                    seconds=seconds,
                )
            )
            if active[member]
            else None
            for member in range(len(self.seeds))
        ]

    def states(self, parts: Sequence[slice]) -> list[State]:
        """Each part's share: weights and optimizer slots carry the member axis, the step count does not."""
        size = self.trainer.population.size
        weights = [variable.numpy() for variable in self.trainer.population.variables()]
        optimizer_state = optimizer_values(self.trainer.optimizer)
        return [([w[part] for w in weights], [_member_part(v, part, size) for v in optimizer_state]) for part in parts]

    def restore(self, states: Sequence[State]) -> None:
        trainer = self.trainer
        for variable, *values in zip(trainer.population.variables(), *(w for w, _ in states), strict=True):
            variable.assign(np.concatenate(values))
        saved = zip(*(optimizer for _, optimizer in states), strict=True)
        joined = [_join_members(values, trainer.population.size) for values in saved]
        restore_optimizer(trainer.optimizer, trainer.variables, joined)


class BestEpochs(PhaseHook):
    """Each member that asks keeps the weights of its epoch with the best validation accuracy (the first such,
    as Keras' EarlyStopping keeps it), and ends the phase with them. One object may span two phases of the same
    population (a tuning's frozen and fine-tuning epochs, counted on from `offsets`): the first with
    `restore=False`. What it keeps travels in the phase's checkpoints, so a resumed phase keeps the same best."""

    def __init__(self, population: Population, keep: Sequence[bool]) -> None:
        self.population = population
        self.keep = np.array(keep, bool) if len(keep) else np.zeros(population.size, bool)
        self.score = np.full(population.size, -np.inf)
        self.epoch = np.zeros(population.size, np.int64)  # 0: none yet
        self.weights: list[np.ndarray] | None = None
        self.restore = True
        self.offsets = np.zeros(population.size, np.int64)  # epochs of this member before this phase
        self._checked_restored = False

    def _take_restored(self, run: PhaseRun) -> None:
        """After a resume, what the checkpoints kept (once per phase; the Resume hook runs after this one)."""
        if self._checked_restored:
            return
        self._checked_restored = True
        kept = run.restored_extras or {}
        if "best_score" in kept:
            self.score, self.epoch = kept["best_score"].astype(np.float64), kept["best_epoch"].astype(np.int64)
            count = sum(name.startswith("best_w") for name in kept)
            self.weights = [kept[f"best_w{number}"] for number in range(count)]

    def on_phase_begin(self, run: PhaseRun) -> None:
        self._checked_restored = False

    def on_epoch_end(self, run: PhaseRun, epoch: int) -> None:
        if not self.keep.any():
            return
        self._take_restored(run)
        histories = run.histories
        improved = [
            member
            for member in np.flatnonzero(self.keep)
            if len(histories[member].val_accuracy) == epoch + 1
            and not histories[member].diverged
            and histories[member].val_accuracy[-1] > self.score[member]
        ]
        if improved:
            values = [variable.numpy() for variable in self.population.variables()]
            if self.weights is None:
                self.weights = [np.zeros_like(value) for value in values]
            for member in improved:
                self.score[member] = histories[member].val_accuracy[-1]
                self.epoch[member] = self.offsets[member] + epoch + 1
                for kept, value in zip(self.weights, values, strict=True):
                    kept[member] = value[member]
        if self.weights is not None:
            run.extras |= {"best_score": self.score, "best_epoch": self.epoch}
            run.extras |= {f"best_w{number}": kept for number, kept in enumerate(self.weights)}

    def on_phase_end(self, run: PhaseRun) -> None:
        if not self.keep.any():
            return
        self._take_restored(run)
        if not self.restore or self.weights is None:
            return
        chosen = np.flatnonzero(self.epoch > 0)
        for variable, kept in zip(self.population.variables(), self.weights, strict=True):
            value = variable.numpy()
            value[chosen] = kept[chosen]
            variable.assign(value)
        for member in chosen:
            run.histories[member].best_epoch = int(self.epoch[member])


def train_planned_phase(
    trainer: PopulationTrainer,
    data: MemberData | IndexedData,
    *,
    index: int,
    planned: PlannedPhase,
    session: Session,
) -> list[PhaseHistory]:
    """Train one plan entry (all its seeds at once); see train_planned_group."""
    return train_planned_group(trainer, data, [(index, planned)], session)


def train_planned_group(
    trainer: PopulationTrainer,
    data: MemberData | IndexedData,
    entries: Sequence[tuple[int, PlannedPhase]],
    session: Session,
    best: BestEpochs | None = None,
) -> list[PhaseHistory]:
    """Train plan entries that form one population (their seeds' members in entry order; one class pair each)
    with the session's hooks: between PhaseStarted and PhaseDone messages, each entry saving its members' part
    of the state after every epoch and continuing from it (engine.training.phase_loop.Resume). `best`: a
    BestEpochs that spans phases, instead of the trainer's own for this phase."""
    run_entries, first = [], 0
    for index, planned in entries:
        run_entries.append(Entry(index, planned, slice(first, first + len(planned.seeds))))
        first += len(planned.seeds)
    seeds = tuple(seed for _, planned in entries for seed in planned.seeds)
    phase = entries[0][1].phase
    epochs = PopulationEpochs(trainer, data, seeds, phase, entries[0][1].epochs, session.batch_size, session.stop)
    run = PhaseRun(epochs, phase, seeds, epochs.epochs, tuple(run_entries), [PhaseHistory() for _ in seeds])
    return run_phase(run, [best or trainer.best_epochs(), *session.hooks()])


def _member_part(value: np.ndarray, part: slice, size: int) -> np.ndarray:
    """An optimizer variable's share for some members: slots carry the member axis, the step count does not."""
    return value[part] if value.ndim >= 1 and value.shape[0] == size else value


def _join_members(values: tuple[np.ndarray, ...], size: int) -> np.ndarray:
    """The inverse of _member_part over a group's entries."""
    joined = np.concatenate(values) if values[0].ndim >= 1 else values[0]
    return joined if joined.ndim >= 1 and joined.shape[0] == size else values[0]


def _epoch_orders(seeds: Sequence[int], phase: str, epoch: int, counts: Sequence[int]) -> np.ndarray:
    """Each member's data order for an epoch, (P, longest count): its own shuffle of its own examples, exactly as
    if it trained alone, then its padding entries."""
    longest = max(counts)
    return np.stack(
        [
            np.concatenate([epoch_order(seed, phase, epoch, n), np.arange(n, longest)]).astype(np.int64)
            for seed, n in zip(seeds, counts, strict=True)
        ]
    )


def indexed_evaluation(
    evaluate: Callable, images: np.ndarray, positions: np.ndarray, labels: np.ndarray, counts: np.ndarray, batch: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-member mean loss and accuracy of members on examples of their own, in chunks of `batch` per member; the
    images and labels stay on the device (engine.training.on_device) and each chunk is gathered there."""
    loss_sum = np.zeros(len(counts))
    correct = np.zeros(len(counts))
    images_held, labels_held = on_device(images), on_device(labels)
    for start in range(0, positions.shape[1], batch):
        chunk = positions[:, start : start + batch]
        weights = (np.arange(start, start + chunk.shape[1]) < counts[:, None]).astype(np.float32)
        chunk_loss, chunk_correct = evaluate(
            tf.gather(images_held, chunk), labels_held[:, start : start + batch], weights
        )
        loss_sum += chunk_loss.numpy()
        correct += chunk_correct.numpy()
    return loss_sum / counts, correct / counts


def _next_chunk(chunk: int, done: int, seconds: float) -> int:
    """Steps for the next in-graph run, aiming at CHUNK_SECONDS so stop requests are seen promptly."""
    if done < chunk or seconds <= 0:
        return chunk
    return max(1, min(4096, int(chunk * CHUNK_SECONDS / seconds)))
