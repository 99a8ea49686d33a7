"""Every phase trains with its own learning rate and optimizer: the engine against the notebook's way in plain Keras.

The config gives the four phases four different learning rates and B a different optimizer than A, so
swapping any two rates, or ignoring `transfer.optimizer`, makes the engine's models differ from the oracle's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.config import apply_overrides
from engine.data.fashion_mnist import Dataset
from engine.data.split import make_tasks
from engine.runtime import keras
from engine.studies.experiment import run_experiment
from tests.conftest import tiny_config
from tests.notebook_oracle import NotebookRun, notebook_experiment

LINEAR = {"sgd", "momentum", "nesterov"}  # updates linear in the gradient: float32 rounding is all that differs


def distinct_settings(seeds: str, batch_norm: bool, b_optimizer: str):
    return apply_overrides(
        tiny_config(),
        [
            f"run.seeds={seeds}",
            "network.hidden=[24, 12]",
            f"network.batch_norm={'true' if batch_norm else 'false'}",
            "train_a.epochs=1",
            "train_a.optimizer='momentum'",
            "train_a.learning_rate=0.02",
            "transfer.frozen_epochs=1",
            "transfer.unfrozen_epochs=1",
            "transfer.frozen_learning_rate=0.01",
            "transfer.unfrozen_learning_rate=0.003",
            "transfer.scratch_learning_rate=0.005",
            f"transfer.optimizer='{b_optimizer}'",
        ],
    )


def assert_close(got: np.ndarray, want: np.ndarray, optimizer: str, alone: bool) -> None:
    """One seed trains through the same Keras calls as the oracle: equal to rounding. A population's batched
    matmuls round differently; adaptive optimizers may turn that rounding into steps of up to one lr."""
    if alone or optimizer in LINEAR:
        np.testing.assert_allclose(got, want, atol=5e-5 if not alone else 1e-6)
        return
    difference = np.abs(got - want)
    assert np.quantile(difference, 0.99) < 1e-4 and difference.max() < 0.01, difference.max()


ORACLE_RUNS: dict[tuple, NotebookRun] = {}


def oracle_run(dataset: Dataset, batch_norm: bool, b_optimizer: str, seed: int) -> NotebookRun:
    """The notebook's way, once per setting and seed (a seed alone and in a population share it)."""
    key = (batch_norm, b_optimizer, seed)
    if key not in ORACLE_RUNS:
        config = distinct_settings(f"[{seed}]", batch_norm, b_optimizer)
        ORACLE_RUNS[key] = notebook_experiment(config, make_tasks(dataset, config.split, seed), seed)
    return ORACLE_RUNS[key]


@pytest.mark.parametrize(
    ("seeds", "batch_norm", "b_optimizer"),
    [("[3]", False, "adam"), ("[3, 4]", True, "nesterov")],  # plain Keras and a population, each against the oracle
)
def test_each_phase_trains_with_its_own_rate_and_optimizer(
    small_dataset: Dataset, tmp_path: Path, seeds: str, batch_norm: bool, b_optimizer: str
) -> None:
    config = distinct_settings(seeds, batch_norm, b_optimizer)
    result = run_experiment(config, small_dataset, save_dir=tmp_path)
    alone = len(config.run.seeds) == 1
    for seed_result in result.seeds:
        expected = oracle_run(small_dataset, batch_norm, b_optimizer, seed_result.seed)
        for role, model in expected.models.items():
            optimizer = config.train_a.optimizer if role == "model_a" else b_optimizer
            saved = keras.models.load_model(seed_result.model_files[role])
            for got, want in zip(saved.get_weights(), model.get_weights(), strict=True):
                assert_close(got, want, optimizer, alone)
        for phase, history in expected.histories.items():
            np.testing.assert_allclose(seed_result.history[phase]["loss"], history["loss"], rtol=1e-3, atol=1e-4)
        n_test_b = len(make_tasks(small_dataset, config.split, 0).b.y_test)
        got_accuracies = (seed_result.test_acc_b_transfer, seed_result.test_acc_b_scratch)
        want_accuracies = (expected.accuracies["b_finetune"], expected.accuracies["b_scratch"])
        if alone:
            assert got_accuracies == want_accuracies
        else:
            assert np.max(np.abs(np.subtract(got_accuracies, want_accuracies))) <= 1 / n_test_b + 1e-12
