"""The dense networks of the experiment, in plain Keras: model A, B on A (a clone), B from scratch."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.config import NetworkConfig
from engine.errors import ModelFileError
from engine.fileio import atomic_path
from engine.optimizers import make_optimizer
from engine.phases import B_FROZEN, B_SCRATCH, MODEL_A
from engine.runtime import keras
from engine.seeding import model_seed

IMAGE_SHAPE = (28, 28)
MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


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


def set_reused_trainable(model: keras.Model, trainable: bool) -> None:
    """Freeze or unfreeze every layer but the new output layer."""
    for layer in model.layers[:-1]:
        layer.trainable = trainable


def compile_model(model: keras.Model, loss: str, optimizer: str, learning_rate: float) -> None:
    model.compile(loss=loss, optimizer=make_optimizer(optimizer, learning_rate), metrics=["accuracy"])


def predicted_labels(outputs: np.ndarray) -> np.ndarray:
    """Labels from a network's outputs: argmax of softmax outputs, > 0.5 for one sigmoid output."""
    return outputs.argmax(axis=-1) if outputs.shape[-1] > 1 else outputs[..., 0] > 0.5


def held_out_accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """Exact fraction of `x` classified right."""
    outputs = model.predict(x, batch_size=1024, verbose=0)
    return float(np.mean(predicted_labels(outputs) == y))


def save_model(model: keras.Model, path: Path) -> Path:
    """Save in Keras' native format, atomically."""
    with atomic_path(path) as temp:
        model.save(temp)
    return path


def load_model_a(path: Path, n_classes: int = 8) -> keras.Model:
    """Load a saved model A (.keras, or legacy .h5) and check it fits task A: 28x28 in, `n_classes` out."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file {path} not found")
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise ModelFileError(f"{path}: expected a .keras or .h5 model file")
    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as exc:
        raise ModelFileError(f"{path}: cannot be read as a Keras model ({type(exc).__name__}: {exc})") from None
    input_shape = tuple(model.input_shape[1:])
    output_shape = tuple(model.output_shape[1:])
    if input_shape != IMAGE_SHAPE:
        raise ModelFileError(f"{path}: model takes input of shape {input_shape}, expected (28, 28)")
    if output_shape != (n_classes,):
        raise ModelFileError(f"{path}: model outputs shape {output_shape}, task A has {n_classes} classes")
    return model
