"""A population's training data packed for its trainer: the members' arrays shared (one copy when every member
trains on the same images) or stacked (one set each), or, for members of different tasks (class pairs), their
examples as positions in one shared copy of the images (engine.data.pair_index)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MemberData:
    """Training data of a population: shared by all members (x: (N, 784)) or one set each (x: (P, N, 784))."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray

    @property
    def shared(self) -> bool:
        return self.y_train.ndim == 1

    @property
    def n_train(self) -> int:
        return self.y_train.shape[-1]


def member_data(tasks_per_member: Sequence) -> MemberData:
    """Stack the members' TaskData; when all members train on the same arrays, keep one copy."""
    first = tasks_per_member[0]
    flat = lambda x: x.reshape(*x.shape[:-2], -1)  # noqa: E731 - (.., 28, 28) -> (.., 784)
    if all(task.x_train is first.x_train for task in tasks_per_member):
        x_train, y_train = flat(first.x_train), first.y_train
    else:
        x_train = np.stack([flat(task.x_train) for task in tasks_per_member])
        y_train = np.stack([task.y_train for task in tasks_per_member])
    return MemberData(x_train, y_train, flat(first.x_valid), first.y_valid)


@dataclass(frozen=True)
class IndexedData:
    """Training data of members that learn different tasks (class pairs): every image once in `images` (N, 784),
    and per member the positions of its examples in `images` and their labels, padded with position 0 to the
    longest member's count; `n_train[m]` and `n_valid[m]` say how many of member m's entries are real."""

    images: np.ndarray
    train: np.ndarray
    y_train: np.ndarray
    n_train: np.ndarray
    valid: np.ndarray
    y_valid: np.ndarray
    n_valid: np.ndarray


def indexed_data(images: np.ndarray, tasks_per_member: Sequence) -> IndexedData:
    """Per-member IndexedTasks (engine.data.pair_index) as one IndexedData over the shared training images."""

    def padded(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
        out = np.zeros((len(arrays), max(len(a) for a in arrays)), dtype)
        for member, values in enumerate(arrays):
            out[member, : len(values)] = values
        return out

    def counts(arrays: list[np.ndarray]) -> np.ndarray:
        return np.array([len(a) for a in arrays], np.int32)

    trains = [task.train for task in tasks_per_member]
    valids = [task.valid for task in tasks_per_member]
    label_type = tasks_per_member[0].y_train.dtype
    return IndexedData(
        images,
        padded(trains, np.int32),
        padded([task.y_train for task in tasks_per_member], label_type),
        counts(trains),
        padded(valids, np.int32),
        padded([task.y_valid for task in tasks_per_member], label_type),
        counts(valids),
    )
