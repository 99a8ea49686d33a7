"""Task A (8 classes) and task B (binary, the 2 held-out classes), generalising the notebook's split_dataset."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.classes import N_CLASSES, class_label
from engine.config import SplitConfig
from engine.data.fashion_mnist import Dataset
from engine.errors import ConfigError

N_VALID = 5_000


@dataclass(frozen=True)
class TaskData:
    """One task's images (float32 in [0, 1], shape (N, 28, 28)) and labels, in the three usual splits."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@dataclass(frozen=True)
class Tasks:
    """Both tasks of one split; `a_classes[i]` is the original class of A's label i."""

    a: TaskData
    b: TaskData
    a_classes: tuple[int, ...]
    b_classes: tuple[int, int]


def split_labels(
    x: np.ndarray, y: np.ndarray, b_classes: tuple[int, int]
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Split (x, y) into A (the other 8 classes relabelled 0..7 in order) and B (1.0 for the second class)."""
    negative, positive = b_classes
    in_b = (y == negative) | (y == positive)
    relabel = np.full(N_CLASSES, -1, dtype=np.int64)
    relabel[a_classes_for(b_classes)] = np.arange(N_CLASSES - 2)
    y_a = relabel[y[~in_b]]
    y_b = (y[in_b] == positive).astype(np.float32)
    return (x[~in_b], y_a), (x[in_b], y_b)


def a_classes_for(b_classes: tuple[int, int]) -> list[int]:
    """The original classes of task A, in label order."""
    return [c for c in range(N_CLASSES) if c not in b_classes]


def train_and_valid(x: np.ndarray, y: np.ndarray, validation: str) -> tuple[tuple, tuple]:
    """((x_train, y_train), (x_valid, y_valid)): 5,000 training images set aside to validate on, the first
    (the seed notebook) or the last (the third edition: X_train_full[:-5000] trains, [-5000:] validates)."""
    if validation == "last":
        return (x[:-N_VALID], y[:-N_VALID]), (x[-N_VALID:], y[-N_VALID:])
    return (x[N_VALID:], y[N_VALID:]), (x[:N_VALID], y[:N_VALID])


def training_labels(dataset: Dataset, split: SplitConfig) -> np.ndarray:
    """The labels of the images that train (validation set aside), without copying any image."""
    return train_and_valid(dataset.y_train, dataset.y_train, split.validation)[0][1]


def full_task(dataset: Dataset, split: SplitConfig) -> TaskData:
    """All ten classes, as the third edition's optimizer comparison trains them."""
    x_full = dataset.x_train.astype(np.float32) / 255.0
    y_full = dataset.y_train.astype(np.int64)
    (x_train, y_train), (x_valid, y_valid) = train_and_valid(x_full, y_full, split.validation)
    x_test = dataset.x_test.astype(np.float32) / 255.0
    return TaskData(x_train, y_train, x_valid, y_valid, x_test, dataset.y_test.astype(np.int64))


def make_tasks(dataset: Dataset, split: SplitConfig, seed: int) -> Tasks:
    """Both tasks for one seed; 5,000 training images validate (`split.validation`), B keeps `n_train_b`."""
    return tasks_for_seeds(dataset, split, [seed])[seed]


def tasks_for_seeds(dataset: Dataset, split: SplitConfig, seeds: Sequence[int]) -> dict[int, Tasks]:
    """The tasks of every seed, sharing one copy of everything but the B training images (which may differ
    per seed); with the notebook's first-N sampling every seed gets the very same Tasks object."""
    b_classes = (split.b_classes[0], split.b_classes[1])
    x_full = dataset.x_train.astype(np.float32) / 255.0
    x_test = dataset.x_test.astype(np.float32) / 255.0
    (x_train, y_train), (x_valid, y_valid) = train_and_valid(x_full, dataset.y_train, split.validation)

    (xa_train, ya_train), (xb_train, yb_train) = split_labels(x_train, y_train, b_classes)
    (xa_valid, ya_valid), (xb_valid, yb_valid) = split_labels(x_valid, y_valid, b_classes)
    (xa_test, ya_test), (xb_test, yb_test) = split_labels(x_test, dataset.y_test, b_classes)
    check_b_size(split, b_classes, len(yb_train))
    task_a = TaskData(xa_train, ya_train, xa_valid, ya_valid, xa_test, ya_test)

    def tasks_keeping(keep: np.ndarray) -> Tasks:
        task_b = TaskData(xb_train[keep], yb_train[keep], xb_valid, yb_valid, xb_test, yb_test)
        return Tasks(a=task_a, b=task_b, a_classes=tuple(a_classes_for(b_classes)), b_classes=b_classes)

    if not split.b_per_seed:
        shared = tasks_keeping(np.arange(split.n_train_b))
        return dict.fromkeys(seeds, shared)
    return {seed: tasks_keeping(b_train_indices(len(yb_train), split, seed)) for seed in seeds}


def check_pairs_fit(split: SplitConfig, dataset: Dataset) -> None:
    """Refuse, before anything trains or is recorded, a B training set larger than some pair's training images."""
    counts = np.bincount(training_labels(dataset, split), minlength=N_CLASSES)
    for negative, positive in split.pairs:
        check_b_size(split, (negative, positive), int(counts[negative] + counts[positive]))


def check_b_size(split: SplitConfig, b_classes: tuple[int, int], available: int) -> None:
    """Refuse a B training set larger than the pair's training images."""
    if split.n_train_b > available:
        names = " and ".join(class_label(c) for c in b_classes)
        raise ConfigError.about(
            "split.n_train_b", f"is {split.n_train_b} but only {available} training images of {names} exist"
        )


def b_train_indices(available: int, split: SplitConfig, seed: int) -> np.ndarray:
    """Which B training images to keep: the first N (the notebook) or N drawn for this seed, in data order."""
    n = min(split.n_train_b, available)
    if not split.b_per_seed:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(available, size=n, replace=False))
