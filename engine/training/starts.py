"""Each model as a run seed starts it: the initial weights depend only on (seed, role), never on history."""

from __future__ import annotations

from engine.config import NetworkConfig
from engine.networks.keras_models import build_model_a, build_scratch_b, transfer_model
from engine.phases import B_FROZEN, B_SCRATCH, MODEL_A
from engine.runtime import keras
from engine.training.seeding import model_seed


def initial_model_a(net: NetworkConfig, seed: int, n_classes: int = 8) -> keras.Sequential:
    """Model A as a run seed starts it: built right after keras.utils.set_random_seed(seed), as the notebook does."""
    keras.utils.set_random_seed(model_seed(seed, MODEL_A))
    return build_model_a(net, n_classes)


def initial_transfer(model_a: keras.Model, seed: int) -> keras.Sequential:
    """B on A as a run seed starts it; the new head's weights depend only on (seed, role), not on history."""
    keras.utils.set_random_seed(model_seed(seed, B_FROZEN))
    return transfer_model(model_a)


def initial_scratch(net: NetworkConfig, seed: int) -> keras.Sequential:
    """The scratch baseline as a run seed starts it."""
    keras.utils.set_random_seed(model_seed(seed, B_SCRATCH))
    return build_scratch_b(net)
