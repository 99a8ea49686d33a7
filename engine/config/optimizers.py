"""The optimizers the notebook lists, with its hyperparameters: names, defaults and ranges (no TensorFlow)."""

from __future__ import annotations

from typing import Any

# name -> (keras.optimizers class, hyperparameters besides the learning rate)
OPTIMIZER_SPECS: dict[str, tuple[str, dict[str, Any]]] = {
    "sgd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.9}),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", {"initial_accumulator_value": 0.1}),  # Keras' default
    "rmsprop": ("RMSprop", {"rho": 0.9}),
    "adam": ("Adam", {"beta_1": 0.9, "beta_2": 0.999}),
    "adamax": ("Adamax", {"beta_1": 0.9, "beta_2": 0.999}),
    "nadam": ("Nadam", {"beta_1": 0.9, "beta_2": 0.999}),
    "adamw": ("AdamW", {"weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999}),  # Keras' defaults
}
DEFAULT_LEARNING_RATE = 1e-3  # the notebook's, for every optimizer

# the range each hyperparameter may take; nesterov is a switch
HYPERPARAMETER_RANGES: dict[str, tuple[float, float]] = {
    "learning_rate": (0.0, 10.0),
    "momentum": (0.0, 1.0),
    "rho": (0.0, 1.0),
    "beta_1": (0.0, 1.0),
    "beta_2": (0.0, 1.0),
    "weight_decay": (0.0, 1.0),
    "initial_accumulator_value": (0.0, 10.0),
}


OPTIMIZERS: tuple[str, ...] = tuple(OPTIMIZER_SPECS)


def default_hyperparameters() -> dict[str, dict[str, Any]]:
    """Every optimizer's editable hyperparameters with the notebook's values (learning rate first)."""
    return {
        name: {"learning_rate": DEFAULT_LEARNING_RATE, **defaults} for name, (_, defaults) in OPTIMIZER_SPECS.items()
    }


def split_learning_rate(hyperparameters: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """(learning_rate, the rest) as make_optimizer takes them."""
    rest = dict(hyperparameters)
    return rest.pop("learning_rate", DEFAULT_LEARNING_RATE), rest
