"""Each model as a run seed starts it: the initial weights depend only on (seed, role), never on history."""

from __future__ import annotations

from engine.config import NetworkConfig
from engine.networks.keras_models import (
    build_model_a,
    build_scratch_b,
    layer_groups,
    replace_layers_above,
    transfer_model,
)
from engine.phases import B_FROZEN, B_SCRATCH, MODEL_A
from engine.runtime import keras
from engine.training.seeding import model_seed


def initial_model_a(net: NetworkConfig, seed: int, n_classes: int = 8) -> keras.Sequential:
    """Model A as a run seed starts it: built right after keras.utils.set_random_seed(seed), as the notebook does."""
    keras.utils.set_random_seed(model_seed(seed, MODEL_A))
    return build_model_a(net, n_classes)


def initial_transfer(
    source: keras.Model, seed: int, net: NetworkConfig | None = None, reused: int | None = None
) -> keras.Sequential:
    """B on A as a run seed starts it: the first `reused` hidden layers (default: all) hold the source's weights,
    the layers above hold exactly the initial weights of this seed's B from scratch (`net` gives their shape),
    and the new head's weights depend only on (seed, role), so reusing all layers is the notebook's clone."""
    keras.utils.set_random_seed(model_seed(seed, B_FROZEN))
    model = transfer_model(source)
    if reused is not None and reused < len(layer_groups(model)) - 1:
        replace_layers_above(model, initial_scratch(net, seed), reused)
    return model


def initial_scratch(net: NetworkConfig, seed: int) -> keras.Sequential:
    """The scratch baseline as a run seed starts it."""
    keras.utils.set_random_seed(model_seed(seed, B_SCRATCH))
    return build_scratch_b(net)
