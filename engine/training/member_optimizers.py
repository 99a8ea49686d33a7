"""The notebook's nine optimizers with hyperparameters of each member's own, for populations whose members differ
in their settings (a tuning's trials): Keras' update rules, written again with every hyperparameter a per-member
value broadcast along the member axis, and each member's update applied only where it trains (`where`).

Each rule follows Keras' own arithmetic operation for operation, in the same precision: where Keras computes
`1 - beta_1` from a Python float (double precision, then float32) so does this, and where it computes it from a
float32 tensor so does this; so a member gets Keras' update for its gradient. A population whose members share
their settings keeps Keras' optimizer itself (engine.training.optimizers).

Under float16 every member scales its own loss, as Keras' LossScaleOptimizer scales a model's: a member whose
gradients overflow skips its step (its weights, slots and step count stay) and halves its own scale, while the
others step on; after LOSS_SCALE_GROWTH_STEPS finite steps in a row a member doubles its scale. One scale for
the whole population would skip every member's step for one member's overflow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.config.optimizers import OPTIMIZER_SPECS
from engine.runtime import keras, tf

EPSILON = 1e-7  # every Keras optimizer's default
NADAM_DECAY = 0.96
# the hyperparameters each rule reads, and Keras' defaults for those the specs leave out
DEFAULTS: dict[str, dict[str, float]] = {
    "SGD": {"momentum": 0.0},
    "Adagrad": {"initial_accumulator_value": 0.1, "epsilon": EPSILON},
    "RMSprop": {"rho": 0.9, "momentum": 0.0, "epsilon": EPSILON},
    "Adam": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": EPSILON},
    "Adamax": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": EPSILON},
    "Nadam": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": EPSILON},
    "AdamW": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": EPSILON, "weight_decay": 0.004},
}
SHARED_SWITCHES = ("nesterov", "centered", "amsgrad")  # a kind of update, the same for every member
INITIAL_LOSS_SCALE = 2.0**15  # keras.optimizers.LossScaleOptimizer's defaults
LOSS_SCALE_GROWTH_STEPS = 2000


class MemberOptimizer:
    """An optimizer of `name` (one of OPTIMIZER_SPECS) whose learning rate and hyperparameters are each member's
    own: `settings[m]` holds member m's, learning_rate included. Variables carry the member axis first.
    `loss_scaled`: each member keeps its own loss scale and its own step count (see the module's docstring)."""

    def __init__(self, name: str, settings: Sequence[dict[str, Any]], *, loss_scaled: bool = False) -> None:
        class_name, spec = OPTIMIZER_SPECS[name]
        self.kind = class_name
        self.size = len(settings)
        merged = [{**DEFAULTS[class_name], **spec, **member} for member in settings]
        for switch in SHARED_SWITCHES:
            if len({bool(member.get(switch, False)) for member in merged}) > 1:
                raise ValueError(f"{switch} is a kind of {name} update and must be the same for every member")
        self.nesterov = bool(merged[0].get("nesterov", False))
        names = ["learning_rate", *DEFAULTS[class_name]]
        # float64, as Keras holds Python floats; each rule casts where Keras casts
        self.values = {key: np.array([float(member[key]) for member in merged]) for key in names}
        self.loss_scaled = loss_scaled
        steps = np.zeros(self.size, np.int64) if loss_scaled else 0  # a member that skips a step does not count it
        self.iterations = keras.Variable(steps, dtype="int64", name="iterations", trainable=False)
        self.loss_scale: keras.Variable | None = None
        self.finite_steps: keras.Variable | None = None  # each member's finite steps since its scale last changed
        if loss_scaled:
            scale = np.full(self.size, INITIAL_LOSS_SCALE, np.float32)
            self.loss_scale = keras.Variable(scale, name="loss_scale", trainable=False)
            self.finite_steps = keras.Variable(np.zeros(self.size, np.int64), name="finite_steps", trainable=False)
        self.built = False
        self.slots: list[list[keras.Variable]] = []
        self.u_product: keras.Variable | None = None

    @property
    def variables(self) -> list[keras.Variable]:
        """The whole state in a fixed order, as checkpoints save it: the step count, then the slots."""
        slots = [slot for group in self.slots for slot in group]
        scaling = [self.loss_scale, self.finite_steps] if self.loss_scaled else []
        return [self.iterations, *slots, *([self.u_product] if self.u_product is not None else []), *scaling]

    def total_loss(self, losses: tf.Tensor) -> tf.Tensor:
        """The sum of the members' losses (P,) to differentiate: each scaled by its member's loss scale where the
        members scale their losses (Keras' LossScaleOptimizer.scale_loss, member by member)."""
        return tf.reduce_sum(losses * self.loss_scale if self.loss_scaled else losses)

    def _slot_count(self) -> int:
        if self.kind == "SGD":
            return 1 if self.values["momentum"].any() else 0
        if self.kind == "RMSprop":
            return 2 if self.values["momentum"].any() else 1
        return 1 if self.kind == "Adagrad" else 2

    def build(self, variables: Sequence[keras.Variable]) -> None:
        count = self._slot_count()
        for number in range(count):
            group = []
            for variable in variables:
                if self.kind == "Adagrad":
                    initial = self._member_constant("initial_accumulator_value", variable, np.float32)
                    value = np.broadcast_to(initial, variable.shape).astype(np.float32)
                else:
                    value = np.zeros(variable.shape, np.float32)
                group.append(keras.Variable(value, name=f"slot{number}_{variable.name}", trainable=False))
            self.slots.append(group)
        if self.kind == "Nadam":
            self.u_product = keras.Variable(np.ones(self.size, np.float32), name="u_product", trainable=False)
        self.built = True

    def _member_constant(self, key: str, variable: Any, dtype=np.float32, *, one_minus: bool = False) -> np.ndarray:
        """Member values of `key` shaped to broadcast against `variable` (P, ...); `one_minus`: 1 - value, taken
        in double precision as Keras takes it from its Python floats."""
        values = 1 - self.values[key] if one_minus else self.values[key]
        return values.astype(dtype).reshape((self.size,) + (1,) * (len(variable.shape) - 1))

    def apply(self, gradients: Sequence[tf.Tensor], variables: Sequence[keras.Variable], trains=None) -> None:
        """One step for every member; `trains(index)` gives a (P,) bool tensor for variable `index`, True where the
        member's variable (and its slots) may change this step (None: everywhere)."""
        if not self.built:
            self.build(variables)
        finite = None
        if self.loss_scaled:
            finite = self._finite(gradients)
            gradients = [g / self._per_member(self.loss_scale.value, g) for g in gradients]
            trains = _where_finite(trains, finite)
        step = tf.cast(self.iterations.value + 1, tf.float32)
        if self.kind == "Nadam":  # Keras updates the product of the momentum schedule once per step, first
            beta_1 = self.values["beta_1"].astype(np.float32)
            schedule = 1.0 - 0.5 * tf.pow(tf.constant(NADAM_DECAY, tf.float32), step)
            product = self.u_product.value * beta_1 * schedule
            self.u_product.assign(product if finite is None else tf.where(finite, product, self.u_product.value))
        for index, (gradient, variable) in enumerate(zip(gradients, variables, strict=True)):
            where = None if trains is None else trains(index)
            member_step = step if finite is None else self._per_member(step, variable)
            updates = self._rule(gradient, variable, index, member_step)
            for target, new in updates:
                if where is not None:
                    mask = tf.reshape(where, [self.size] + [1] * (len(target.shape) - 1))
                    new = tf.where(mask, new, target.value)
                target.assign(new)
        if finite is None:
            self.iterations.assign_add(1)
        else:
            self.iterations.assign_add(tf.cast(finite, tf.int64))
            self._rescale(finite)

    def _per_member(self, values: tf.Tensor, like: Any) -> tf.Tensor:
        """Member values (P,) shaped to broadcast against `like` (P, ...)."""
        return tf.reshape(values, [self.size] + [1] * (len(like.shape) - 1))

    def _finite(self, gradients: Sequence[tf.Tensor]) -> tf.Tensor:
        """(P,) True where every gradient of the member is finite (Keras' LossScaleOptimizer.check_finite)."""
        per_variable = [tf.reduce_all(tf.math.is_finite(tf.reshape(g, [self.size, -1])), axis=1) for g in gradients]
        return tf.reduce_all(tf.stack(per_variable), axis=0)

    def _rescale(self, finite: tf.Tensor) -> None:
        """Each member's scale after its step, as Keras' LossScaleOptimizer: halved after an overflow, doubled
        after LOSS_SCALE_GROWTH_STEPS finite steps in a row."""
        scale, counted = self.loss_scale.value, self.finite_steps.value
        grows = finite & tf.equal(counted, LOSS_SCALE_GROWTH_STEPS - 1)
        self.loss_scale.assign(tf.where(finite, tf.where(grows, scale * 2.0, scale), scale * 0.5))
        self.finite_steps.assign(tf.where(finite & ~grows, counted + 1, tf.zeros_like(counted)))

    def _rule(self, g: tf.Tensor, var: keras.Variable, index: int, t: tf.Tensor) -> list[tuple[Any, tf.Tensor]]:
        """(target, new value) pairs for one variable: Keras' update_step for this kind, member by member."""
        c = lambda key, **kw: tf.constant(self._member_constant(key, var, **kw))  # noqa: E731
        lr, eps = c("learning_rate"), c("epsilon") if "epsilon" in self.values else None
        slot = lambda number: self.slots[number][index]  # noqa: E731
        v = var.value
        if self.kind == "SGD":
            if not self.slots:
                return [(var, v - g * lr)]
            m = slot(0)
            momentum = c("momentum")
            new_m = m.value * momentum - g * lr
            step = new_m * momentum - g * lr if self.nesterov else new_m
            return [(m, new_m), (var, v + step)]
        if self.kind == "Adagrad":
            accumulator = slot(0)
            new_acc = accumulator.value + tf.square(g)
            return [(accumulator, new_acc), (var, v - (lr * g) / tf.sqrt(new_acc + eps))]
        if self.kind == "RMSprop":
            velocity = slot(0)
            rho = c("rho")
            new_velocity = rho * velocity.value + c("rho", one_minus=True) * tf.square(g)
            increment = (lr * g) / tf.sqrt(new_velocity + eps)
            if len(self.slots) == 1:
                return [(velocity, new_velocity), (var, v - increment)]
            momentum = slot(1)
            new_momentum = c("momentum") * momentum.value + increment
            return [(velocity, new_velocity), (momentum, new_momentum), (var, v - new_momentum)]
        m, second = slot(0), slot(1)
        beta_1, beta_2 = c("beta_1"), c("beta_2")
        if self.kind in ("Adam", "AdamW"):
            if self.kind == "AdamW":  # decoupled weight decay, before the update, as Keras applies it
                v = v - v * c("weight_decay") * lr
            alpha = lr * tf.sqrt(1 - tf.pow(beta_2, t)) / (1 - tf.pow(beta_1, t))
            new_m = m.value + (g - m.value) * c("beta_1", one_minus=True)
            new_v = second.value + (tf.square(g) - second.value) * c("beta_2", one_minus=True)
            return [(m, new_m), (second, new_v), (var, v - (new_m * alpha) / (tf.sqrt(new_v) + eps))]
        if self.kind == "Adamax":
            new_m = m.value + (g - m.value) * c("beta_1", one_minus=True)
            new_u = tf.maximum(beta_2 * second.value, tf.abs(g))
            return [(m, new_m), (second, new_u), (var, v - (lr * new_m) / ((1 - tf.pow(beta_1, t)) * (new_u + eps)))]
        # Nadam
        decay = tf.constant(NADAM_DECAY, tf.float32)
        u_t = beta_1 * (1.0 - 0.5 * tf.pow(decay, t))
        u_t_1 = beta_1 * (1.0 - 0.5 * tf.pow(decay, t + 1))
        u_product_t = tf.reshape(self.u_product.value, [self.size] + [1] * (len(var.shape) - 1))
        u_product_t_1 = u_product_t * u_t_1
        new_m = m.value + (g - m.value) * (1 - beta_1)
        new_v = second.value + (tf.square(g) - second.value) * (1 - beta_2)
        m_hat = (u_t_1 * new_m) / (1 - u_product_t_1) + ((1 - u_t) * g) / (1 - u_product_t)
        v_hat = new_v / (1 - tf.pow(beta_2, t))
        return [(m, new_m), (second, new_v), (var, v - (m_hat * lr) / (tf.sqrt(v_hat) + eps))]


def _where_finite(trains, finite: tf.Tensor):
    """`trains` (see MemberOptimizer.apply) narrowed to the members whose gradients are finite."""
    if trains is None:
        return lambda index: finite
    return lambda index: finite & trains(index)
