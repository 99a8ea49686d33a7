"""The split: the notebook's relabelling exactly, generalised to any pair, with the notebook's sizes."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest

from engine.config import SplitConfig
from engine.data.fashion_mnist import Dataset
from engine.data.split import a_classes_for, b_train_indices, make_tasks, split_labels
from engine.errors import ConfigError


def test_default_relabelling_matches_the_notebook() -> None:
    y = np.arange(10, dtype=np.uint8)
    x = np.arange(10)
    (x_a, y_a), (x_b, y_b) = split_labels(x, y, (5, 6))
    assert x_a.tolist() == [0, 1, 2, 3, 4, 7, 8, 9]
    assert y_a.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]  # 7, 8, 9 -> 5, 6, 7
    assert x_b.tolist() == [5, 6]
    assert y_b.tolist() == [0.0, 1.0]  # is it a shirt (class 6)?
    assert y_b.dtype == np.float32


def test_notebook_formula_on_random_labels() -> None:
    y = np.random.default_rng(3).integers(0, 10, size=500).astype(np.uint8)
    (_, y_a), (_, y_b) = split_labels(np.zeros(500), y, (5, 6))
    in_b = (y == 5) | (y == 6)
    expected_a = y[~in_b].astype(np.int64)
    expected_a[expected_a > 6] -= 2
    np.testing.assert_array_equal(y_a, expected_a)
    np.testing.assert_array_equal(y_b, (y[in_b] == 6).astype(np.float32))


def test_other_pair_second_class_is_positive() -> None:
    y = np.array([0, 1, 2, 3, 9, 2, 0], dtype=np.uint8)
    (_, y_a), (x_b, y_b) = split_labels(np.arange(7), y, (2, 0))
    assert a_classes_for((2, 0)) == [1, 3, 4, 5, 6, 7, 8, 9]
    assert y_a.tolist() == [0, 1, 7]  # 1 -> 0, 3 -> 1, 9 -> 7
    assert x_b.tolist() == [0, 2, 5, 6]
    assert y_b.tolist() == [1.0, 0.0, 0.0, 1.0]  # class 0 is positive


def test_notebook_sizes_on_real_data(real_dataset: Dataset) -> None:
    tasks = make_tasks(real_dataset, SplitConfig(), seed=42)
    assert tasks.a.x_train.shape == (43_986, 28, 28)
    assert tasks.b.x_train.shape == (200, 28, 28)
    assert len(tasks.a.y_valid) + len(tasks.b.y_valid) == 5_000
    assert len(tasks.a.y_test) == 8_000 and len(tasks.b.y_test) == 2_000
    assert tasks.a_classes == (0, 1, 2, 3, 4, 7, 8, 9)
    assert set(np.unique(tasks.a.y_train)) == set(range(8))
    assert tasks.a.x_train.dtype == np.float32 and tasks.a.x_train.max() == 1.0
    # the first 200 B images of the training part (after the 5,000 validation images), in order
    train_labels = real_dataset.y_train[5_000:]
    first_b = train_labels[(train_labels == 5) | (train_labels == 6)][:200]
    np.testing.assert_array_equal(tasks.b.y_train, (first_b == 6).astype(np.float32))


def test_too_many_b_images(small_dataset: Dataset) -> None:
    with pytest.raises(ConfigError, match=r"n_train_b is 5000 but only \d+ training images of Sandal \(5\)"):
        make_tasks(small_dataset, SplitConfig(n_train_b=5_000), seed=1)


def test_random_b_sample_is_per_seed_and_reproducible() -> None:
    split = SplitConfig(n_train_b=20, b_sample="random")
    first = b_train_indices(1_000, split, seed=1)
    assert np.array_equal(first, b_train_indices(1_000, split, seed=1))
    assert not np.array_equal(first, b_train_indices(1_000, split, seed=2))
    assert len(set(first.tolist())) == 20 and np.all(np.diff(first) > 0)
    assert b_train_indices(1_000, msgspec.structs.replace(split, b_sample="first"), seed=1).tolist() == list(range(20))
