"""Trained models as files: saved in Keras' native format atomically, and a user's model A read back and checked."""

from __future__ import annotations

from pathlib import Path

from engine.config import NetworkConfig
from engine.data.fashion_mnist import IMAGE_SHAPE
from engine.errors import ModelFileError
from engine.fileio import atomic_path
from engine.networks.keras_models import build_model_a, layer_signature
from engine.runtime import keras

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


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
    except Exception:  # Keras' own messages mislead here (a file of random bytes is "File not found")
        raise ModelFileError(
            f"{path} is not a readable Keras model file (one saved with model.save, as this tool saves model A)"
        ) from None
    input_shape = tuple(model.input_shape[1:])
    output_shape = tuple(model.output_shape[1:])
    if input_shape != IMAGE_SHAPE:
        raise ModelFileError(f"{path}: model takes input of shape {input_shape}, expected (28, 28)")
    if output_shape != (n_classes,):
        raise ModelFileError(f"{path}: model outputs shape {output_shape}, task A has {n_classes} classes")
    return model


def check_reusable(model: keras.Model, path: Path, net: NetworkConfig, reuse: int | str, seeds: int) -> None:
    """A user's model A must hold the layers B on A reuses. Below all of them, [network] builds the fresh
    layers above, and several seeds train as one population of [network]'s shape: then its layers must be
    [network]'s."""
    layers = layer_signature(model)
    expected = layer_signature(build_model_a(net))
    if isinstance(reuse, int) and reuse > len(layers):
        raise ModelFileError(f"{path} has {len(layers)} hidden layers; transfer.reuse_layers asks for {reuse}")
    if layers != expected and (reuse != "all" or seeds > 1):
        why = "several seeds train as one population" if reuse == "all" else "B on A reuses only part of it"
        raise ModelFileError(
            f"{path} has hidden layers {', '.join(layers)}; [network] has {', '.join(expected)}, "
            f"and they must match when {why}"
        )
