"""Keras optimizers built by name, from the specs the config knows."""

from __future__ import annotations

from typing import Any

from engine.config.optimizers import OPTIMIZER_SPECS


def make_optimizer(name: str, learning_rate: float, overrides: dict[str, Any] | None = None) -> Any:
    """A fresh Keras optimizer: `name` from OPTIMIZER_SPECS, with `overrides` replacing its defaults."""
    from engine.runtime import keras

    class_name, defaults = OPTIMIZER_SPECS[name]
    optimizer_class = getattr(keras.optimizers, class_name)
    return optimizer_class(learning_rate=learning_rate, **{**defaults, **(overrides or {})})
