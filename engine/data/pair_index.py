"""Tasks as positions in one shared copy of the images, so that a population whose members learn different class
pairs holds every image once, not once per pair (45 pairs' task A would take over 6 GB as copies)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.config import SplitConfig
from engine.data.fashion_mnist import Dataset
from engine.data.split import b_train_indices, check_b_size, split_labels, train_and_valid


@dataclass(frozen=True)
class SharedImages:
    """Every image once, flattened to 784 floats in [0, 1]: the training file (its validation images
    included) and the test file."""

    train: np.ndarray
    test: np.ndarray

    @classmethod
    def of(cls, dataset: Dataset) -> SharedImages:
        flat = lambda x: (x.astype(np.float32) / 255.0).reshape(len(x), -1)  # noqa: E731
        return cls(flat(dataset.x_train), flat(dataset.x_test))


@dataclass(frozen=True)
class IndexedTask:
    """One task as positions and labels: `train` and `valid` index SharedImages.train, `test` SharedImages.test.
    The positions come in the order make_tasks puts the images, so the same seed sees the same batches."""

    train: np.ndarray
    y_train: np.ndarray
    valid: np.ndarray
    y_valid: np.ndarray
    test: np.ndarray
    y_test: np.ndarray


def indexed_tasks(
    dataset: Dataset, split: SplitConfig, pair: tuple[int, int], seed: int
) -> tuple[IndexedTask, IndexedTask]:
    """Task A and task B of `pair` for `seed`, exactly the images and labels make_tasks gives, as positions."""
    positions = np.arange(len(dataset.y_train), dtype=np.int32)
    (train, y_train), (valid, y_valid) = train_and_valid(positions, dataset.y_train, split.validation)
    (a_train, ya_train), (b_train, yb_train) = split_labels(train, y_train, pair)
    (a_valid, ya_valid), (b_valid, yb_valid) = split_labels(valid, y_valid, pair)
    test = np.arange(len(dataset.y_test), dtype=np.int32)
    (a_test, ya_test), (b_test, yb_test) = split_labels(test, dataset.y_test, pair)
    check_b_size(split, pair, len(yb_train))
    keep = b_train_indices(len(yb_train), split, seed)
    task_a = IndexedTask(a_train, ya_train, a_valid, ya_valid, a_test, ya_test)
    task_b = IndexedTask(b_train[keep], yb_train[keep], b_valid, yb_valid, b_test, yb_test)
    return task_a, task_b
