"""Which layers transfer: reuse depth, frozen or fine-tuned, and the selffer control, in both training paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.config import CnnNetwork, DenseNetwork, apply_overrides
from engine.data.fashion_mnist import Dataset
from engine.errors import ConfigError, ModelFileError
from engine.networks.keras_models import build_model_a, layer_groups
from engine.networks.model_files import save_model
from engine.phases import B_FINETUNE, B_SCRATCH, MODEL_A
from engine.runtime import keras
from engine.studies.experiment import run_experiment
from engine.training.starts import initial_scratch, initial_transfer
from tests.conftest import tiny_config


def group_weights(model: keras.Model) -> list[list[np.ndarray]]:
    return [[w for layer in group for w in layer.get_weights()] for group in layer_groups(model)]


def same(first: list[np.ndarray], second: list[np.ndarray]) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


@pytest.mark.parametrize("net", [DenseNetwork(hidden=(12, 10, 8)), CnnNetwork(conv=(4, 6), hidden=(8,))])
@pytest.mark.parametrize("reused", [0, 1, 2, 3])
def test_b_on_a_starts_with_exactly_the_first_n_layers_of_a(net, reused: int) -> None:
    keras.utils.set_random_seed(3)
    model_a = build_model_a(net)
    model = initial_transfer(model_a, 5, net, reused)
    scratch = initial_scratch(net, 5)
    notebook = initial_transfer(model_a, 5)  # all layers: the notebook's clone
    for number, (got, from_a, from_scratch) in enumerate(
        zip(group_weights(model)[:-1], group_weights(model_a)[:-1], group_weights(scratch)[:-1], strict=True)
    ):
        assert same(got, from_a if number < reused else from_scratch)
        assert not same(got, from_scratch if number < reused else from_a)
    assert same(group_weights(model)[-1], group_weights(notebook)[-1])  # the same new head at any depth


def trained_models(config, dataset: Dataset, tmp_path: Path, seed: int) -> dict[str, keras.Model]:
    result = run_experiment(config, dataset, save_dir=tmp_path)
    (seed_result,) = [r for r in result.seeds if r.seed == seed]
    return {role: keras.models.load_model(path) for role, path in seed_result.model_files.items()}


@pytest.mark.parametrize("seeds", ["[4]", "[4, 5]"])  # one seed trains plain Keras models, two a population
def test_frozen_layers_do_not_move_without_fine_tuning(small_dataset: Dataset, tmp_path: Path, seeds: str) -> None:
    config = tiny_config(
        network={"hidden": "[16, 12]"}, transfer={"reuse_layers": 1, "fine_tune": "false"}, run={"seeds": seeds}
    )
    models = trained_models(config, small_dataset, tmp_path, seed=4)
    b_on_a, model_a = group_weights(models[B_FINETUNE]), group_weights(models[MODEL_A])
    assert same(b_on_a[0], model_a[0])  # reused and frozen through frozen + unfrozen epochs
    assert not same(b_on_a[1], model_a[1])
    keras.utils.set_random_seed(0)
    assert not same(b_on_a[1], group_weights(initial_scratch(config.network, 4))[1])  # the fresh layer trained

    fine_tuned = apply_overrides(config, ["transfer.fine_tune=true"])
    models = trained_models(fine_tuned, small_dataset, tmp_path / "fine", seed=4)
    assert not same(group_weights(models[B_FINETUNE])[0], group_weights(models[MODEL_A])[0])


@pytest.mark.parametrize("seeds", ["[4]", "[4, 5]"])
def test_the_selffer_control_reuses_this_seeds_scratch_model(
    small_dataset: Dataset, tmp_path: Path, seeds: str
) -> None:
    config = tiny_config(transfer={"source": "'b'", "fine_tune": "false"}, run={"seeds": seeds})
    for seed in (4, 5) if seeds == "[4, 5]" else (4,):
        models = trained_models(config, small_dataset, tmp_path / str(seed), seed=seed)
        selffer, scratch = group_weights(models[B_FINETUNE]), group_weights(models[B_SCRATCH])
        assert same(selffer[0], scratch[0])  # the trained scratch B's hidden layer, frozen
        assert not same(selffer[-1], scratch[-1])  # a new head


def test_reuse_beyond_the_network_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"transfer\.reuse_layers must be at most 1, the network's hidden layers"):
        tiny_config(transfer={"reuse_layers": 2})
    with pytest.raises(ConfigError, match=r"study\.layers must be at most 3"):
        apply_overrides(
            tiny_config(), ["network.kind='cnn'", "network.conv=[4, 4]", "network.hidden=[8]", "study.layers=[0, 4]"]
        )


def test_a_model_a_of_another_shape_is_refused(small_dataset: Dataset, tmp_path: Path) -> None:
    path = save_model(build_model_a(DenseNetwork(hidden=(16,))), tmp_path / "a.keras")
    deeper = tiny_config(network={"hidden": "[16, 8]"}, transfer={"reuse_layers": 2})
    with pytest.raises(ModelFileError, match=r"has 1 hidden layers; transfer\.reuse_layers asks for 2"):
        run_experiment(deeper, small_dataset, model_a_file=path)
    cnn = apply_overrides(tiny_config(), ["network.kind='cnn'", "network.conv=[4]", "transfer.reuse_layers=1"])
    with pytest.raises(ModelFileError, match=r"has hidden layers dense 16; \[network\] has conv 4, dense 80"):
        run_experiment(cnn, small_dataset, model_a_file=path)


@pytest.mark.parametrize("seeds", ["[4]", "[4, 5]"])
def test_a_cnn_experiment_saves_keras_files_that_run_reuses(small_dataset: Dataset, tmp_path: Path, seeds: str) -> None:
    config = apply_overrides(
        tiny_config(), ["network.kind='cnn'", "network.conv=[4, 6]", "network.hidden=[8]", f"run.seeds={seeds}"]
    )
    result = run_experiment(config, small_dataset, save_dir=tmp_path / "first")
    files = result.seeds[0].model_files
    model_a = keras.models.load_model(files[MODEL_A])
    assert [type(layer).__name__ for layer in model_a.layers][:4] == ["Reshape", "Conv2D", "MaxPooling2D", "Conv2D"]
    assert all(0 <= r.test_acc_b_transfer <= 1 for r in result.seeds)

    reuse_conv = apply_overrides(config, ["transfer.reuse_layers=2", "transfer.fine_tune=false"])
    again = run_experiment(reuse_conv, small_dataset, model_a_file=Path(files[MODEL_A]), save_dir=tmp_path / "again")
    b_on_a = keras.models.load_model(again.seeds[0].model_files[B_FINETUNE])
    for number in (0, 1):  # both conv blocks are A's, frozen throughout
        assert same(group_weights(b_on_a)[number], group_weights(model_a)[number])
    assert not same(group_weights(b_on_a)[2], group_weights(model_a)[2])
    fine_tuned = apply_overrides(reuse_conv, ["transfer.fine_tune=true"])
    tuned = run_experiment(fine_tuned, small_dataset, model_a_file=Path(files[MODEL_A]), save_dir=tmp_path / "tuned")
    b_on_a = keras.models.load_model(tuned.seeds[0].model_files[B_FINETUNE])
    assert not same(group_weights(b_on_a)[0], group_weights(model_a)[0])  # unfrozen conv blocks train
