"""Named starting points: the notebook as given, and the two handson-ml editions it descends from."""

from dataclasses import replace

from engine.config import ExperimentConfig, NetworkConfig, SplitConfig
from engine.errors import ConfigError

DEFAULT_PRESET = "seed"


def _handson_ml2() -> ExperimentConfig:
    base = ExperimentConfig()
    return replace(
        base,
        network=replace(base.network, initializer="glorot_uniform"),
        transfer=replace(base.transfer, unfrozen_learning_rate=1e-3),
    )


def _handson_ml3() -> ExperimentConfig:
    base = ExperimentConfig()
    return replace(
        base,
        split=SplitConfig(b_classes=(0, 2)),
        network=NetworkConfig(hidden=(100, 100, 100), activation="relu", initializer="he_normal"),
        transfer=replace(base.transfer, frozen_learning_rate=1e-3, unfrozen_learning_rate=1e-3),
    )


PRESETS = {
    "seed": ExperimentConfig,
    "handson-ml2": _handson_ml2,
    "handson-ml3": _handson_ml3,
}

PRESET_DESCRIPTIONS = {
    "seed": "the notebook as given: Sandal vs Shirt, SELU + lecun_normal, fine-tune lr 1e-4",
    "handson-ml2": "glorot_uniform (no initializer argument), fine-tune lr 1e-3",
    "handson-ml3": "T-shirt/top vs Pullover, 100-100-100 ReLU + he_normal, lr 1e-3 throughout",
}


def preset(name: str) -> ExperimentConfig:
    """The preset called `name`; a clear error lists the known ones."""
    try:
        return PRESETS[name]()
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None
