"""Cloning, freezing and model files: B on A never touches A, frozen layers stay put, bad files get clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.config import DenseNetwork
from engine.data.fashion_mnist import Dataset
from engine.data.split import SplitConfig, make_tasks
from engine.errors import ModelFileError
from engine.networks.keras_models import (
    build_model_a,
    build_network,
    build_scratch_b,
    held_out_accuracy,
    set_reused_trainable,
    transfer_model,
)
from engine.networks.model_files import load_model_a, save_model
from engine.progress import StopToken, ignore
from engine.runtime import keras
from engine.training.keras_phase import compile_model, epoch_order, train_phase

SMALL = DenseNetwork(hidden=(32, 16))


@pytest.fixture(scope="module")
def tasks(small_dataset: Dataset):
    return make_tasks(small_dataset, SplitConfig(n_train_b=60), seed=0)


def weights_of(layers) -> list[np.ndarray]:
    return [np.array(w) for layer in layers for w in layer.get_weights()]


def train(model, data, phase: str, epochs: int = 2) -> None:
    train_phase(
        model, data, phase=phase, seed=0, epochs=epochs, batch_size=16, index=0, listener=ignore, stop=StopToken()
    )


def test_network_shape_follows_config() -> None:
    net = DenseNetwork(hidden=(300, 100, 50, 50, 50), activation="selu", initializer="lecun_normal")
    model = build_model_a(net)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [300, 100, 50, 50, 50, 8]
    assert all(layer.activation.__name__ == "selu" for layer in dense[:-1])
    assert dense[-1].activation.__name__ == "softmax"
    assert type(dense[0].kernel_initializer).__name__ == "LecunNormal"
    assert model.count_params() == 784 * 300 + 300 + 300 * 100 + 100 + 100 * 50 + 50 + 2 * (50 * 50 + 50) + 50 * 8 + 8
    with_bn = build_network(DenseNetwork(hidden=(10, 10), batch_norm=True), 1, "sigmoid", name="bn")
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in with_bn.layers) == 2


def test_transfer_model_is_a_clone_with_a_new_head(tasks) -> None:
    keras.utils.set_random_seed(1)
    model_a = build_model_a(SMALL)
    a_before = weights_of(model_a.layers)
    b_on_a = transfer_model(model_a)
    assert b_on_a.output_shape == (None, 1) and b_on_a.layers[-1].activation.__name__ == "sigmoid"
    reused = b_on_a.layers[:-1]
    for original, copy in zip(model_a.layers[:-1], reused, strict=True):
        assert original is not copy
        for w_a, w_b in zip(original.weights, copy.weights, strict=True):
            assert w_a is not w_b
            np.testing.assert_array_equal(w_a.numpy(), w_b.numpy())
    compile_model(b_on_a, "binary_crossentropy", "sgd", 0.05)
    train(b_on_a, tasks.b, "b_finetune")
    for before, after in zip(a_before, weights_of(model_a.layers), strict=True):
        np.testing.assert_array_equal(before, after)  # training B on A left A unchanged
    assert not all(np.array_equal(a, b) for a, b in zip(a_before, weights_of(reused), strict=False))


def test_frozen_layers_do_not_move_then_do(tasks) -> None:
    keras.utils.set_random_seed(2)
    b_on_a = transfer_model(build_model_a(SMALL))
    set_reused_trainable(b_on_a, False)
    compile_model(b_on_a, "binary_crossentropy", "sgd", 0.05)
    reused_start, head_start = weights_of(b_on_a.layers[:-1]), weights_of(b_on_a.layers[-1:])
    train(b_on_a, tasks.b, "b_frozen")
    for before, after in zip(reused_start, weights_of(b_on_a.layers[:-1]), strict=True):
        np.testing.assert_array_equal(before, after)
    assert any(not np.array_equal(a, b) for a, b in zip(head_start, weights_of(b_on_a.layers[-1:]), strict=True))

    set_reused_trainable(b_on_a, True)
    compile_model(b_on_a, "binary_crossentropy", "sgd", 0.05)
    train(b_on_a, tasks.b, "b_finetune")
    moved = [not np.array_equal(a, b) for a, b in zip(reused_start, weights_of(b_on_a.layers[:-1]), strict=True)]
    assert all(moved)


def test_epoch_order_is_a_reproducible_permutation() -> None:
    order = epoch_order(42, "model_a", 0, 1000)
    assert sorted(order.tolist()) == list(range(1000))
    np.testing.assert_array_equal(order, epoch_order(42, "model_a", 0, 1000))
    assert not np.array_equal(order, epoch_order(42, "model_a", 1, 1000))
    assert not np.array_equal(order, epoch_order(42, "b_scratch", 0, 1000))


def test_save_and_load_model_a(tmp_path: Path, tasks) -> None:
    keras.utils.set_random_seed(3)
    model = build_model_a(SMALL)
    path = save_model(model, tmp_path / "sub" / "model_a.keras")
    assert [p.name for p in path.parent.iterdir()] == ["model_a.keras"]  # no temporary file left behind
    loaded = load_model_a(path)
    np.testing.assert_allclose(
        loaded.predict(tasks.a.x_test[:20], verbose=0), model.predict(tasks.a.x_test[:20], verbose=0)
    )


def test_legacy_h5_model_a(tmp_path: Path, tasks) -> None:
    keras.utils.set_random_seed(4)
    model = build_model_a(SMALL)
    path = tmp_path / "my_model_A.h5"
    model.save(path)
    loaded = load_model_a(path)
    np.testing.assert_allclose(
        loaded.predict(tasks.a.x_test[:5], verbose=0), model.predict(tasks.a.x_test[:5], verbose=0)
    )


def test_model_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not found"):
        load_model_a(tmp_path / "missing.keras")
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"definitely not a zip archive")
    with pytest.raises(ModelFileError, match=r"corrupt\.keras is not a readable Keras model file"):
        load_model_a(corrupt)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match=r"expected a \.keras or \.h5 model file"):
        load_model_a(text)
    wrong_head = tmp_path / "binary.keras"
    save_model(build_scratch_b(SMALL), wrong_head)
    with pytest.raises(ModelFileError, match=r"outputs shape \(1,\), task A has 8 classes"):
        load_model_a(wrong_head)
    wrong_input = tmp_path / "wide.keras"
    save_model(keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(8)]), wrong_input)
    with pytest.raises(ModelFileError, match=r"input of shape \(784,\), expected \(28, 28\)"):
        load_model_a(wrong_input)


def test_held_out_accuracy_is_exact(tasks) -> None:
    keras.utils.set_random_seed(5)
    model = build_scratch_b(SMALL)
    outputs = model.predict(tasks.b.x_test, verbose=0)[:, 0]
    expected = np.mean((outputs > 0.5) == tasks.b.y_test)
    assert held_out_accuracy(model, tasks.b.x_test, tasks.b.y_test) == expected
