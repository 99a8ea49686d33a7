"""Arrays copied to the training device once and reused while they live: a run's shared images and validation sets
went to the GPU again in every phase and every epoch's validation, gathered on the host. Arrays held here are
read-only by convention: nothing in the engine changes a task's arrays after it is made."""

from __future__ import annotations

import weakref

import numpy as np

from engine.runtime import tf

_held: dict[int, tf.Tensor] = {}


def on_device(array: np.ndarray) -> tf.Tensor:
    """`array` as a tensor on the default device, made on first use and dropped when the array is collected."""
    key = id(array)
    tensor = _held.get(key)
    if tensor is None:
        tensor = tf.constant(array)
        _held[key] = tensor
        weakref.finalize(array, _held.pop, key, None)
    return tensor
