"""Loading Fashion-MNIST: from a folder of the four official IDX .gz files, or through Keras.

The folder reader exists because GPU boxes and CI are often offline, and because a
silently corrupt download should fail loudly, naming the file, instead of training on junk.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from engine.classes import N_CLASSES
from engine.errors import DataError

DATA_ENV_VAR = "TRANSFER_TUI_DATA"
IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
IMAGE_SHAPE = (28, 28)

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
IDX_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
N_TRAIN = 60_000
N_TEST = 10_000


@dataclass(frozen=True)
class Dataset:
    """Raw Fashion-MNIST: uint8 images (N, 28, 28) and uint8 labels (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    @cached_property
    def checksum(self) -> str:
        """SHA-256 of every image and label: what a cached model was trained on."""
        digest = hashlib.sha256()
        for array in (self.x_train, self.y_train, self.x_test, self.y_test):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()


def resolve_data_dir(configured: str | None) -> Path | None:
    """The folder to read from: the configured one, else $TRANSFER_TUI_DATA, else None (Keras download)."""
    value = configured or os.environ.get(DATA_ENV_VAR)
    return Path(value).expanduser() if value else None


def load_dataset(data_dir: str | os.PathLike | None) -> Dataset:
    """Load from `data_dir` if given, else via keras.datasets (downloads once into the Keras cache)."""
    if data_dir is None:
        return _load_with_keras()
    return load_idx_folder(Path(data_dir))


def load_idx_folder(folder: Path) -> Dataset:
    """Read and check the four IDX .gz files in `folder`."""
    if not folder.is_dir():
        raise DataError(f"data folder {folder} does not exist; give a folder holding the four Fashion-MNIST .gz files")
    x_train = read_idx_images(folder / TRAIN_IMAGES, N_TRAIN)
    y_train = read_idx_labels(folder / TRAIN_LABELS, N_TRAIN)
    x_test = read_idx_images(folder / TEST_IMAGES, N_TEST)
    y_test = read_idx_labels(folder / TEST_LABELS, N_TEST)
    return Dataset(x_train, y_train, x_test, y_test, source=str(folder))


def read_idx_images(path: Path, expected_count: int) -> np.ndarray:
    """An IDX3 image file as a uint8 array (count, 28, 28)."""
    payload = _read_gzip(path)
    magic, count, rows, cols = _header(path, payload, 4)
    _expect(path, magic == IMAGE_MAGIC, f"magic number {magic}, expected {IMAGE_MAGIC} (an image file)")
    _expect(path, count == expected_count, f"{count} images, expected {expected_count}")
    _expect(path, (rows, cols) == IMAGE_SHAPE, f"images of {rows}x{cols}, expected 28x28")
    pixels = payload[16:]
    expected_bytes = count * rows * cols
    _expect(path, len(pixels) == expected_bytes, f"{len(pixels)} pixel bytes, expected {expected_bytes}: truncated")
    return np.frombuffer(pixels, dtype=np.uint8).reshape(count, rows, cols)


def read_idx_labels(path: Path, expected_count: int) -> np.ndarray:
    """An IDX1 label file as a uint8 array (count,), every label in 0..9."""
    payload = _read_gzip(path)
    magic, count = _header(path, payload, 2)
    _expect(path, magic == LABEL_MAGIC, f"magic number {magic}, expected {LABEL_MAGIC} (a label file)")
    _expect(path, count == expected_count, f"{count} labels, expected {expected_count}")
    labels = np.frombuffer(payload[8:], dtype=np.uint8)
    _expect(path, len(labels) == count, f"{len(labels)} label bytes, expected {count}: truncated")
    _expect(path, int(labels.max()) < N_CLASSES, f"label {int(labels.max())} is outside 0..9")
    return labels


def _read_gzip(path: Path) -> bytes:
    if not path.is_file():
        raise DataError(f"{path}: file not found; download it from the Fashion-MNIST repository into {path.parent}")
    try:
        with gzip.open(path, "rb") as stream:
            return stream.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: not a readable gzip file ({exc}); download it again") from None


def _header(path: Path, payload: bytes, n_fields: int) -> tuple[int, ...]:
    size = 4 * n_fields
    _expect(path, len(payload) >= size, f"only {len(payload)} bytes, too short for an IDX header")
    return struct.unpack(f">{n_fields}I", payload[:size])


def _expect(path: Path, condition: bool, problem: str) -> None:
    if not condition:
        raise DataError(f"{path}: {problem}; download it again")


def _load_with_keras() -> Dataset:
    from engine.runtime import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    except Exception as exc:
        raise DataError(
            f"could not load Fashion-MNIST through Keras ({type(exc).__name__}: {exc}); "
            "offline? give a folder with the four IDX .gz files"
        ) from None
    return Dataset(x_train, y_train, x_test, y_test, source="keras.datasets.fashion_mnist")
