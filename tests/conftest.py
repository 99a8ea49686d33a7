"""Shared fixtures: an isolated home folder for every test, the real data folder, small synthetic data."""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from engine.config import ExperimentConfig, apply_overrides
from engine.data.fashion_mnist import Dataset

REPO = Path(__file__).resolve().parents[1]
DEFAULT_REAL_DATA = REPO.parent / "shared" / "data" / "fashion-mnist"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test writes its models, runs and logs under its own temporary home, never into the repo."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("TRANSFER_TUI_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The real Fashion-MNIST folder; a missing folder fails the test rather than skipping it."""
    folder = Path(os.environ.get("TRANSFER_TUI_DATA") or DEFAULT_REAL_DATA).resolve()
    if not (folder / "train-images-idx3-ubyte.gz").is_file():
        pytest.fail(f"real Fashion-MNIST not found at {folder}; set TRANSFER_TUI_DATA")
    return folder


@pytest.fixture(scope="session")
def real_dataset(real_data_dir: Path) -> Dataset:
    from engine.data.fashion_mnist import load_idx_folder

    return load_idx_folder(real_data_dir)


def synthetic_dataset(n_train: int = 5_600, n_test: int = 1_000, seed: int = 0) -> Dataset:
    """Learnable fake Fashion-MNIST: each class lights up its own band of rows, plus noise."""
    rng = np.random.default_rng(seed)

    def images(labels: np.ndarray) -> np.ndarray:
        noise = rng.integers(0, 120, size=(len(labels), 28, 28))
        band = np.zeros((len(labels), 28, 28), dtype=np.int64)
        for index, label in enumerate(labels):
            band[index, 2 * label + 4 : 2 * label + 6, 4:24] = 120
        return np.clip(noise + band, 0, 255).astype(np.uint8)

    y_train = (np.arange(n_train) % 10).astype(np.uint8)
    rng.shuffle(y_train)
    y_test = (np.arange(n_test) % 10).astype(np.uint8)
    return Dataset(images(y_train), y_train, images(y_test), y_test, source="synthetic")


@pytest.fixture(scope="session")
def small_dataset() -> Dataset:
    return synthetic_dataset()


def tiny_config(**sections: dict) -> ExperimentConfig:
    """A config that trains in a second: one small hidden layer, 1 epoch per phase, 50 B images, lr 0.03."""
    overrides = [
        "network.hidden=[16]",
        "train_a.learning_rate=0.03",
        "transfer.frozen_learning_rate=0.03",
        "transfer.unfrozen_learning_rate=0.03",
        "transfer.scratch_learning_rate=0.03",
        "split.n_train_b=50",
        "train_a.epochs=1",
        "transfer.frozen_epochs=1",
        "transfer.unfrozen_epochs=1",
        "run.batch_size=32",
    ]
    for section, values in sections.items():
        overrides += [f"{section}.{key}={value}" for key, value in values.items()]
    return apply_overrides(ExperimentConfig(), overrides)


def write_idx(folder: Path, dataset: Dataset) -> None:
    """Write `dataset` as the four official IDX .gz files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, array, magic in (
        ("train-images-idx3-ubyte.gz", dataset.x_train, 2051),
        ("train-labels-idx1-ubyte.gz", dataset.y_train, 2049),
        ("t10k-images-idx3-ubyte.gz", dataset.x_test, 2051),
        ("t10k-labels-idx1-ubyte.gz", dataset.y_test, 2049),
    ):
        header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
        with gzip.open(folder / name, "wb", compresslevel=1) as stream:
            stream.write(header + array.tobytes())
