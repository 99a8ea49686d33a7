"""The dense networks of the experiment, in plain Keras: model A, B on A (a clone), B from scratch."""

from __future__ import annotations

import numpy as np

from engine.config import NetworkConfig
from engine.runtime import keras

IMAGE_SHAPE = (28, 28)


def build_network(net: NetworkConfig, n_outputs: int, output_activation: str, name: str) -> keras.Sequential:
    """Flatten, the hidden Dense layers (each optionally followed by BatchNormalization), then the output layer."""
    layers = [keras.Input(shape=IMAGE_SHAPE), keras.layers.Flatten()]
    for units in net.hidden:
        layers.append(keras.layers.Dense(units, activation=net.activation, kernel_initializer=net.initializer))
        if net.batch_norm:
            layers.append(keras.layers.BatchNormalization())
    layers.append(keras.layers.Dense(n_outputs, activation=output_activation))
    return keras.Sequential(layers, name=name)


def build_model_a(net: NetworkConfig, n_classes: int = 8) -> keras.Sequential:
    return build_network(net, n_classes, "softmax", name="model_a")


def build_scratch_b(net: NetworkConfig) -> keras.Sequential:
    return build_network(net, 1, "sigmoid", name="b_scratch")


def transfer_model(model_a: keras.Model) -> keras.Sequential:
    """B on A: a clone of A with A's weights, its output layer replaced by Dense(1, sigmoid). A is left untouched."""
    clone = keras.models.clone_model(model_a)
    clone.set_weights(model_a.get_weights())
    reused = [layer for layer in clone.layers[:-1] if not isinstance(layer, keras.layers.InputLayer)]
    head = keras.layers.Dense(1, activation="sigmoid", name="b_output")
    return keras.Sequential([keras.Input(shape=model_a.input_shape[1:]), *reused, head], name="b_on_a")


def set_reused_trainable(model: keras.Model, trainable: bool) -> None:
    """Freeze or unfreeze every layer but the new output layer."""
    for layer in model.layers[:-1]:
        layer.trainable = trainable


def predicted_labels(outputs: np.ndarray) -> np.ndarray:
    """Labels from a network's outputs: argmax of softmax outputs, > 0.5 for one sigmoid output."""
    return outputs.argmax(axis=-1) if outputs.shape[-1] > 1 else outputs[..., 0] > 0.5


def held_out_accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """Exact fraction of `x` classified right."""
    outputs = model.predict(x, batch_size=1024, verbose=0)
    return float(np.mean(predicted_labels(outputs) == y))
