"""The networks of the experiment, in plain Keras: model A, B on A (a clone), B from scratch; dense or convolutional.

`transfer.reuse_layers` counts a network's hidden layers as `layer_groups` does: each conv block (Conv2D with its
BatchNormalization and pooling), then each Dense layer (with its BatchNormalization).
"""

from __future__ import annotations

import numpy as np

from engine.config import NetworkConfig
from engine.data.fashion_mnist import IMAGE_SHAPE
from engine.runtime import keras


def build_network(net: NetworkConfig, n_outputs: int, output_activation: str, name: str) -> keras.Sequential:
    """The network's hidden layers as its specs say (conv blocks: Conv2D, optional BatchNormalization,
    MaxPooling; Dense layers, each optionally followed by BatchNormalization), Flatten before the first Dense
    layer, then the output layer."""
    layers: list = [keras.Input(shape=IMAGE_SHAPE)]
    specs = net.hidden_layers()
    if specs and specs[0].kind == "conv":
        layers.append(keras.layers.Reshape((*IMAGE_SHAPE, 1)))
    flat = False
    for spec in specs:
        if spec.kind == "dense" and not flat:
            layers.append(keras.layers.Flatten())
            flat = True
        layer_type = keras.layers.Conv2D if spec.kind == "conv" else keras.layers.Dense
        shape = {"kernel_size": 3, "padding": "same"} if spec.kind == "conv" else {}
        layers.append(layer_type(spec.units, activation=spec.activation, kernel_initializer=spec.initializer, **shape))
        if spec.batch_norm:
            layers.append(keras.layers.BatchNormalization())
        if spec.kind == "conv":
            layers.append(keras.layers.MaxPooling2D(2))
    if not flat:
        layers.append(keras.layers.Flatten())
    layers.append(keras.layers.Dense(n_outputs, activation=output_activation))
    return keras.Sequential(layers, name=name)


def in_precision(model: keras.Model, precision: str) -> keras.Model:
    """`model` as it trains in `precision`: itself in float32; for bfloat16 or float16 a copy with the same
    weights under Keras' mixed_bfloat16 or mixed_float16 policy (float32 variables, each layer computing in the
    lower precision). Under float16 the output layer computes in float32, as Keras' mixed precision guide keeps
    a model's outputs: a softmax in float16 overflows its gradient long before the loss scale is lowered."""
    if precision == "float32":
        return model
    output = model.layers[-1].name

    def mixed(layer: keras.layers.Layer) -> keras.layers.Layer:
        policy = "float32" if precision == "float16" and layer.name == output else f"mixed_{precision}"
        return layer.__class__.from_config({**layer.get_config(), "dtype": policy})

    copy = keras.models.clone_model(model, clone_function=mixed)
    copy.set_weights(model.get_weights())
    return copy


def build_model_a(net: NetworkConfig, n_classes: int = 8) -> keras.Sequential:
    return build_network(net, n_classes, "softmax", name="model_a")


def build_scratch_b(net: NetworkConfig) -> keras.Sequential:
    return build_network(net, 1, "sigmoid", name="b_scratch")


def layer_groups(model: keras.Model) -> list[list[keras.layers.Layer]]:
    """The model's layers as reuse counts them, the output layer last: a Conv2D or Dense layer with the
    BatchNormalization and pooling after it. Weightless reshaping layers belong to none."""
    groups: list[list[keras.layers.Layer]] = []
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            groups.append([layer])
        elif groups and isinstance(layer, (keras.layers.BatchNormalization, keras.layers.MaxPooling2D)):
            groups[-1].append(layer)
    return groups


def layer_signature(model: keras.Model) -> list[str]:
    """Each hidden layer in words ('conv 32', 'dense 300'), to compare a user's model A with [network]."""
    return [
        f"conv {group[0].filters}" if isinstance(group[0], keras.layers.Conv2D) else f"dense {group[0].units}"
        for group in layer_groups(model)[:-1]
    ]


def transfer_model(source: keras.Model) -> keras.Sequential:
    """B on A: a clone of `source` with its weights, its output layer replaced by Dense(1, sigmoid).
    The source is left untouched."""
    clone = keras.models.clone_model(source)
    clone.set_weights(source.get_weights())
    reused = [layer for layer in clone.layers[:-1] if not isinstance(layer, keras.layers.InputLayer)]
    head = keras.layers.Dense(1, activation="sigmoid", name="b_output")
    return keras.Sequential([keras.Input(shape=source.input_shape[1:]), *reused, head], name="b_on_a")


def replace_layers_above(model: keras.Model, fresh: keras.Model, n: int) -> None:
    """Give `model` the weights of `fresh` (same shape) in every hidden layer above the first `n`."""
    for group, fresh_group in zip(layer_groups(model)[n:-1], layer_groups(fresh)[n:-1], strict=True):
        for layer, fresh_layer in zip(group, fresh_group, strict=True):
            layer.set_weights(fresh_layer.get_weights())


def set_reused_trainable(model: keras.Model, trainable: bool, reused: int | None = None) -> None:
    """Freeze or unfreeze the first `reused` hidden layers (default: all of them); the others always train."""
    groups = layer_groups(model)[:-1]
    reused = len(groups) if reused is None else reused
    for number, group in enumerate(groups):
        for layer in group:
            layer.trainable = trainable or number >= reused


def predicted_labels(outputs: np.ndarray) -> np.ndarray:
    """Labels from a network's outputs: argmax of softmax outputs, > 0.5 for one sigmoid output."""
    return outputs.argmax(axis=-1) if outputs.shape[-1] > 1 else outputs[..., 0] > 0.5


def held_out_accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """Exact fraction of `x` classified right."""
    outputs = model.predict(x, batch_size=1024, verbose=0)
    return float(np.mean(predicted_labels(outputs) == y))
