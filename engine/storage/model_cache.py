"""Trained model A, cached by what determines it: (network, training, class pair, seed, batch, data checksum).

Training model A is most of an experiment's time, and a new experiment that only changes the B side
(learning rates, epochs of B, n_train_b) would train the very same A again. With everything that
shapes A in the key, a cached A is the model training would produce, so reusing it changes nothing
but the wait. An unreadable cache file is set aside and A is trained again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec

from engine.config import ExperimentConfig
from engine.data.fashion_mnist import Dataset
from engine.fileio import atomic_write_text
from engine.networks.model_files import load_model_a, save_model
from engine.paths import home_dir
from engine.results.history import PhaseHistory
from engine.runtime import has_gpu, keras

log = logging.getLogger(__name__)


def cache_key(config: ExperimentConfig, pair: tuple[int, int], seed: int, dataset: Dataset) -> str:
    shaping = {
        "network": msgspec.structs.asdict(config.network),
        "train_a": msgspec.structs.asdict(config.train_a),
        "pair": list(pair),
        "validation": config.split.validation,
        "seed": seed,
        "batch_size": config.run.batch_size,
        "data": dataset.checksum,
        "format": 1,
    }
    if config.run.precision != "float32":  # float32's keys stay as they were before precisions existed
        shaping["precision"] = config.run.precision
    if has_gpu():  # a model A trained on a GPU is not the CPU's (other kernels, other sums); CPU keys stay as before
        shaping["device"] = "gpu"
    return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class CachedA:
    model: keras.Model
    history: PhaseHistory


class ModelACache:
    """A folder of <key>.keras models with their <key>.json training histories."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or home_dir() / "cache" / "model_a"

    def has(self, key: str) -> bool:
        return (self.folder / f"{key}.keras").is_file() and (self.folder / f"{key}.json").is_file()

    def load(self, key: str) -> CachedA | None:
        if not self.has(key):
            return None
        try:
            history = PhaseHistory.from_dict(json.loads((self.folder / f"{key}.json").read_text()))
            return CachedA(load_model_a(self.folder / f"{key}.keras"), history)
        except Exception as exc:
            stamp = int(time.time())
            for suffix in (".keras", ".json"):
                path = self.folder / f"{key}{suffix}"
                if path.exists():
                    path.rename(path.with_name(f"{path.name}.corrupt-{stamp}"))
            log.warning("cached model A %s unreadable (%s); set aside, it will be trained again", key, exc)
            return None

    def store(self, key: str, model: keras.Model, history: PhaseHistory) -> None:
        save_model(model, self.folder / f"{key}.keras")
        atomic_write_text(self.folder / f"{key}.json", json.dumps(history.to_dict()))
