"""How big one member of a population is, so that a study can put as many members in one population as memory
allows without guessing per network, and how much computing a member-epoch takes (no TensorFlow here)."""

from __future__ import annotations

import itertools

from engine.config import NetworkConfig
from engine.data.fashion_mnist import IMAGE_SHAPE
from engine.hardware import CPU_POPULATION_GB

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


def members_per_population(net: NetworkConfig, batch_size: int, memory_gb: float = 0.0) -> int:
    """How many members one population may hold within `memory_gb` GiB (at least one); 0, not yet chosen by the
    device (an estimate before the run), counts as the CPU's budget."""
    budget = memory_gb if memory_gb > 0 else CPU_POPULATION_GB
    return max(1, int(budget * 2**30) // member_bytes(net, batch_size))


def multiply_adds(net: NetworkConfig, n_outputs: int) -> list[int]:
    """Multiply-adds per image of each layer with weights: a 3x3 'same' convolution costs 9 x in x out per
    pixel (pooling halves the maps after it), a Dense layer fan-in x fan-out."""
    convolutions = [side * side * 9 * c_in * c_out for side, c_in, c_out in _conv_blocks(net)]
    return convolutions + [fan_in * fan_out for fan_in, fan_out in itertools.pairwise(dense_sizes(net, n_outputs))]


def dense_sizes(net: NetworkConfig, n_outputs: int) -> list[int]:
    """The widths the Dense layers map between: the image or the last maps flattened, each Dense layer, the
    outputs."""
    blocks = _conv_blocks(net)
    if blocks:
        side, _, filters = blocks[-1]
        flattened = (side // 2) ** 2 * filters
    else:
        flattened = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
    dense = [spec.units for spec in net.hidden_layers() if spec.kind == "dense"]
    return [flattened, *dense, n_outputs]


def _conv_blocks(net: NetworkConfig) -> list[tuple[int, int, int]]:
    """(side of the maps it reads, input channels, filters) of each convolution block in order; each block's
    pooling halves the side."""
    side, channels, blocks = IMAGE_SHAPE[0], 1, []
    for filters in (spec.units for spec in net.hidden_layers() if spec.kind == "conv"):
        blocks.append((side, channels, filters))
        side, channels = side // 2, filters
    return blocks


def training_flops(products: list[int], n_train: int, n_valid: int) -> float:
    """FLOPs one member-epoch needs: forward, weight gradients and input gradients (none for the first
    layer, whose input is the data) on the training images, plus a forward pass over the validation images.
    `products` are each layer's multiply-adds per image."""
    forward = 2 * sum(products)
    backward = 2 * sum(products) + 2 * sum(products[1:])
    return n_train * (forward + backward) + n_valid * forward
