"""Range checks shared by the config's sections; each message names the key and what it accepts."""

from __future__ import annotations

import math
from typing import Any

from engine.classes import N_CLASSES
from engine.config.optimizers import HYPERPARAMETER_RANGES, OPTIMIZER_SPECS, OPTIMIZERS
from engine.errors import ConfigError


def check_class_pair(key: str, pair: tuple[int, ...]) -> None:
    if len(pair) != 2:
        raise ConfigError.about(key, f"must hold exactly two classes, got {list(pair)}")
    if any(not 0 <= c < N_CLASSES for c in pair):
        raise ConfigError.about(key, f"must be classes 0..9, got {list(pair)}")
    if pair[0] == pair[1]:
        raise ConfigError.about(key, f"must be two different classes, got {list(pair)}")


def check_text(key: str, value: str) -> None:
    """Text that can be saved (TOML, JSON, the run store are UTF-8): a file name's undecodable bytes, as Python
    reads them from the command line, cannot."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError.about(key, f"holds {value!r}, which is not valid text (UTF-8): rename it") from None


def check_one_of(key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError.about(key, f"must be one of {', '.join(allowed)}; got {value!r}")


def check_epochs(key: str, value: int, minimum: int) -> None:
    if not minimum <= value <= 10_000:
        raise ConfigError.about(key, f"must be between {minimum} and 10000, got {value}")


def check_learning_rate(key: str, rate: float) -> None:
    if not (math.isfinite(rate) and 0 < rate <= 10):
        raise ConfigError.about(key, f"must be a number in (0, 10], got {rate}")


def check_hyperparameters(key: str, hyperparameters: dict[str, dict[str, Any]]) -> None:
    """Known optimizers, each with only the hyperparameters it takes, each in its range."""
    for name, values in hyperparameters.items():
        if name not in OPTIMIZER_SPECS:
            raise ConfigError.about(key, f"names an unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}")
        table = f"{key}.{name}"
        allowed = {"learning_rate", *OPTIMIZER_SPECS[name][1]}
        for parameter, value in values.items():
            if parameter not in allowed:
                raise ConfigError.about(table, f"has no {parameter!r}; {name} takes {', '.join(sorted(allowed))}")
            if parameter == "nesterov":
                if not isinstance(value, bool):
                    raise ConfigError.about(f"{table}.nesterov", f"must be true or false, got {value!r}")
                continue
            low, high = HYPERPARAMETER_RANGES[parameter]
            valid_number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            if not (valid_number and low <= value <= high and (parameter != "learning_rate" or value > 0)):
                raise ConfigError.about(f"{table}.{parameter}", f"must be a number in [{low}, {high}], got {value!r}")
