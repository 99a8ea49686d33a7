"""Named starting points: the notebook as given, and the two handson-ml editions it descends from.

Each preset is what it changes from the defaults, as a TOML file would say it.
"""

from __future__ import annotations

from typing import Any

from engine.config.codec import config_from_dict
from engine.config.schema import DenseNetwork, ExperimentConfig, NetworkConfig
from engine.errors import ConfigError

DEFAULT_PRESET = "seed"

PRESET_VALUES: dict[str, dict[str, dict[str, Any]]] = {
    "seed": {},
    "handson-ml2": {
        "network": {"initializer": "glorot_uniform"},
        "transfer": {"unfrozen_learning_rate": 1e-3},
    },
    "handson-ml3": {
        "split": {"b_classes": [0, 2], "validation": "last"},
        "network": {"hidden": [100, 100, 100], "activation": "relu", "initializer": "he_normal"},
        "transfer": {"frozen_learning_rate": 1e-3, "unfrozen_learning_rate": 1e-3},
        # its optimizer comparison: all ten classes, 10 epochs, every optimizer at 1e-3 with the notebook's
        # hyperparameters (momentum 0.9, RMSProp rho 0.9, betas 0.9/0.999), AdamW's weight decay 1e-5
        "leaderboard": {"task": "full", "epochs": 10, "hyperparameters": {"adamw": {"weight_decay": 1e-5}}},
    },
    # a small CNN with about the dense network's parameters (270,424 against 276,158 for model A), on the
    # seed's split and schedule: the notebook's untested claim that convolutional layers transfer better
    "cnn": {"network": {"kind": "cnn", "conv": [32, 64], "hidden": [80], "activation": "relu"}},
}
PRESETS = tuple(PRESET_VALUES)

PRESET_DESCRIPTIONS = {
    "seed": "the notebook as given: Sandal vs Shirt, SELU + lecun_normal, fine-tune lr 1e-4",
    "handson-ml2": "glorot_uniform (no initializer argument), fine-tune lr 1e-3",
    "handson-ml3": "T-shirt/top vs Pullover, 100-100-100 ReLU + he_normal, lr 1e-3, validates on the last 5,000; "
    "its leaderboard races on all ten classes",
    "cnn": "the seed's split and schedule with a small CNN: conv 32-64 (3x3, ReLU, max-pool), dense 80; "
    "270,424 parameters against the dense network's 276,158",
}


def preset(name: str) -> ExperimentConfig:
    """The preset called `name`; a clear error lists the known ones."""
    if name not in PRESET_VALUES:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return config_from_dict(PRESET_VALUES[name])


def study_networks(config: ExperimentConfig) -> list[tuple[str, NetworkConfig]]:
    """The networks a map compares, named: [study] networks resolved (a preset's network, "dense" for the
    default one, or a table), or the config's own network alone. Names repeat only with a number added."""
    entries = config.study.networks or (config.network,)
    named: list[tuple[str, NetworkConfig]] = []
    for entry in entries:
        if isinstance(entry, str):
            if entry == "dense":
                network: NetworkConfig = DenseNetwork()
            elif entry in PRESET_VALUES:
                network = preset(entry).network
            else:
                known = ", ".join(["dense", *PRESETS])
                raise ConfigError.about("study.networks", f"has {entry!r}; give a preset or dense ({known})")
            name = entry
        else:
            network, name = entry, entry.kind
        taken = [n for n, _ in named]
        named.append((name if name not in taken else f"{name}-{len(taken) + 1}", network))
    return named
