"""The optimizers the notebook lists, with its hyperparameters, built by name."""

from __future__ import annotations

from typing import Any

# name -> (keras.optimizers class, hyperparameters besides the learning rate)
OPTIMIZER_SPECS: dict[str, tuple[str, dict[str, Any]]] = {
    "sgd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.9}),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", {}),
    "rmsprop": ("RMSprop", {"rho": 0.9}),
    "adam": ("Adam", {"beta_1": 0.9, "beta_2": 0.999}),
    "adamax": ("Adamax", {"beta_1": 0.9, "beta_2": 0.999}),
    "nadam": ("Nadam", {"beta_1": 0.9, "beta_2": 0.999}),
    "adamw": ("AdamW", {}),
}


def make_optimizer(name: str, learning_rate: float, overrides: dict[str, Any] | None = None) -> Any:
    """A fresh Keras optimizer: `name` from OPTIMIZER_SPECS, with `overrides` replacing its defaults."""
    from engine.runtime import keras

    class_name, defaults = OPTIMIZER_SPECS[name]
    optimizer_class = getattr(keras.optimizers, class_name)
    return optimizer_class(learning_rate=learning_rate, **{**defaults, **(overrides or {})})


OPTIMIZERS: tuple[str, ...] = tuple(OPTIMIZER_SPECS)
