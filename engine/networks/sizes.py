"""How big one member of a population is, so that a study can put as many members in one population as memory
allows without guessing per network."""

from __future__ import annotations

from engine.config import NetworkConfig
from engine.networks.keras_models import IMAGE_SHAPE

EVALUATION_CHUNK = 256  # images per member evaluated at once (engine.training.population_trainer)


def member_bytes(net: NetworkConfig, batch_size: int, n_outputs: int = 8) -> int:
    """A rough upper bound of one member's memory while training: its weights about eight times over
    (weights, gradients, optimizer slots, XLA's temporaries) and the activations of a training batch and of
    an evaluation chunk, forward and backward."""
    side, channels, weights, activations = IMAGE_SHAPE[0], 1, 0, IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
    specs = net.hidden_layers()
    for filters in (spec.units for spec in specs if spec.kind == "conv"):
        weights += 9 * channels * filters + filters
        activations += side * side * filters
        side, channels = side // 2, filters
    fan_in = side * side * channels
    for units in (*(spec.units for spec in specs if spec.kind == "dense"), n_outputs):
        weights += fan_in * units + units
        activations += units
        fan_in = units
    return 4 * (8 * weights + 8 * batch_size * activations + 2 * EVALUATION_CHUNK * activations)


def members_per_population(net: NetworkConfig, batch_size: int, memory_gb: float = 3.0) -> int:
    """How many members one population may hold within `memory_gb` GiB (at least one)."""
    return max(1, int(memory_gb * 2**30) // member_bytes(net, batch_size))
