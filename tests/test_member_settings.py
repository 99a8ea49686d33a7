"""Members of one population that differ in their settings (a tuning's trials) each train as Keras' own optimizer,
with those settings, trains that member alone: per-member learning rates and hyperparameters for all nine
optimizers, per-member epochs, per-member frozen layers, and each member's best validation epoch kept."""

from __future__ import annotations

import numpy as np
import pytest

from engine.config import DenseNetwork, SplitConfig
from engine.data.fashion_mnist import Dataset
from engine.data.packing import member_data
from engine.data.split import make_tasks
from engine.networks.keras_models import build_model_a, set_reused_trainable
from engine.networks.population import Population
from engine.progress import StopToken, ignore
from engine.runtime import keras
from engine.training.population_trainer import MemberSettings, PopulationTrainer
from tests.notebook_oracle import fit, notebook_optimizer
from tests.test_population import ATOL, assert_weights_agree

SMALL = DenseNetwork(hidden=(32, 16))
NORMED = DenseNetwork(hidden=(24, 12), batch_norm=True)

# three members per optimizer, each with its own learning rate and its own value of every hyperparameter the
# optimizer has (besides switches such as nesterov, which are the kind of update and shared)
SETTINGS: dict[str, list[dict]] = {
    "sgd": [{"learning_rate": lr} for lr in (0.02, 0.01, 0.005)],
    "momentum": [
        {"learning_rate": 0.01, "momentum": 0.9},
        {"learning_rate": 0.005, "momentum": 0.5},
        {"learning_rate": 0.02, "momentum": 0.0},
    ],
    "nesterov": [
        {"learning_rate": 0.01, "momentum": 0.9},
        {"learning_rate": 0.02, "momentum": 0.8},
        {"learning_rate": 0.005, "momentum": 0.95},
    ],
    "adagrad": [
        {"learning_rate": 0.01, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
        {"learning_rate": 0.02, "initial_accumulator_value": 0.5, "epsilon": 1e-4},
        {"learning_rate": 0.005, "initial_accumulator_value": 0.01, "epsilon": 1e-6},
    ],
    "rmsprop": [
        {"learning_rate": 1e-3, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7},
        {"learning_rate": 5e-4, "rho": 0.8, "momentum": 0.5, "epsilon": 1e-5},
        {"learning_rate": 2e-3, "rho": 0.95, "momentum": 0.9, "epsilon": 1e-6},
    ],
    "adam": [
        {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
        {"learning_rate": 5e-4, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-4},
        {"learning_rate": 2e-3, "beta_1": 0.95, "beta_2": 0.9999, "epsilon": 1e-6},
    ],
    "adamax": [
        {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
        {"learning_rate": 2e-3, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-5},
    ],
    "nadam": [
        {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
        {"learning_rate": 5e-4, "beta_1": 0.85, "beta_2": 0.99, "epsilon": 1e-5},
    ],
    "adamw": [
        {"learning_rate": 1e-3, "weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999},
        {"learning_rate": 2e-3, "weight_decay": 0.05, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-5},
    ],
}
LINEAR = ("sgd", "momentum", "nesterov")  # updates linear in the gradient: agree to float32 rounding


@pytest.fixture(scope="module")
def tasks(small_dataset: Dataset):
    return make_tasks(small_dataset, SplitConfig(n_train_b=60), seed=0)


def start(net, seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return build_model_a(net)


def keras_alone(net, seed, task, optimizer, settings, *, epochs=2, frozen=0):
    """The member's reference: Keras' own optimizer with the member's settings, trained alone, the notebook's way."""
    model = start(net, seed)
    set_reused_trainable(model, False, frozen) if frozen else None
    rest = {key: value for key, value in settings.items() if key != "learning_rate"}
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=notebook_optimizer(optimizer, settings["learning_rate"], **rest),
        metrics=["accuracy"],
    )
    history = fit(model, task, seed=seed, phase="model_a", epochs=epochs, batch_size=32)
    return model, history


def train_members(net, seeds, task, optimizer, members, *, epochs=2):
    population = Population(net, 8, "softmax", [start(net, seed) for seed in seeds])
    trainer = PopulationTrainer(
        population, binary=False, optimizer=optimizer, learning_rate=members[0].learning_rate, members=members
    )
    histories = trainer.train(
        member_data([task] * len(seeds)),
        seeds=seeds,
        phase="model_a",
        epochs=epochs,
        batch_size=32,
        index=0,
        listener=ignore,
        stop=StopToken(),
    )
    return population, trainer, histories


def agree(population, member, reference, histories, expected, optimizer, lr) -> None:
    atol = ATOL if optimizer in LINEAR else None
    for got, want in zip(population.member_model(member, "m").get_weights(), reference.get_weights(), strict=True):
        assert_weights_agree(got, want, atol, lr)
    for name in ("loss", "val_accuracy"):
        np.testing.assert_allclose(getattr(histories[member], name), expected[name], atol=atol or 5e-3)


@pytest.mark.parametrize("optimizer", list(SETTINGS))
def test_each_member_follows_its_own_hyperparameters(tasks, optimizer: str) -> None:
    settings = SETTINGS[optimizer]
    seeds = [3, 4, 5][: len(settings)]
    members = [MemberSettings.of(values) for values in settings]
    population, trainer, histories = train_members(SMALL, seeds, tasks.a, optimizer, members)
    assert trainer.per_member  # the settings differ: each member's own rule, not one Keras optimizer
    for member, (seed, values) in enumerate(zip(seeds, settings, strict=True)):
        reference, expected = keras_alone(SMALL, seed, tasks.a, optimizer, values)
        agree(population, member, reference, histories, expected, optimizer, values["learning_rate"])


def test_a_member_whose_phase_is_shorter_stops_moving_after_its_last_epoch(tasks) -> None:
    seeds, epochs = [3, 4, 5], [1, 3, 2]
    members = [MemberSettings(0.01, (("momentum", 0.9),), epochs=n) for n in epochs]
    population, _, histories = train_members(SMALL, seeds, tasks.a, "momentum", members, epochs=3)
    assert [len(h.loss) for h in histories] == epochs
    for member, (seed, n) in enumerate(zip(seeds, epochs, strict=True)):
        reference, expected = keras_alone(SMALL, seed, tasks.a, "momentum", {"learning_rate": 0.01}, epochs=n)
        agree(population, member, reference, histories, expected, "momentum", 0.01)


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_a_members_frozen_layers_stay_and_the_same_layer_trains_beside_it(tasks, optimizer: str) -> None:
    """Member 0 trains everything, member 1 keeps its first hidden layer frozen (BatchNormalization in inference
    mode), member 2 its first two: each as Keras trains that model with those layers not trainable."""
    seeds, frozen = [6, 7, 8], [0, 1, 2]
    lr = 0.01 if optimizer == "momentum" else 1e-3
    members = [MemberSettings(lr, frozen=n) for n in frozen]
    population, trainer, histories = train_members(NORMED, seeds, tasks.a, optimizer, members)
    assert trainer.per_member
    for member, (seed, n) in enumerate(zip(seeds, frozen, strict=True)):
        reference, expected = keras_alone(NORMED, seed, tasks.a, optimizer, {"learning_rate": lr}, frozen=n)
        agree(population, member, reference, histories, expected, optimizer, lr)
        initial = start(NORMED, seed).get_weights()
        for got, first in zip(population.member_model(member, "m").get_weights()[: 6 * n], initial, strict=False):
            np.testing.assert_array_equal(got, first)  # frozen: kernels, biases and norms exactly as they began


def test_each_member_keeps_its_best_validation_epoch_as_keras_early_stopping_does(tasks) -> None:
    """Task B at lr 0.02: seed 4's validation accuracy dips in its fourth epoch (0.998, then 0.997), so it keeps
    its third epoch's weights; seed 3 improves to the end and keeps its last. Keras' own EarlyStopping
    (restore_best_weights, no patience limit) is the reference, driven epoch by epoch over the same batches."""
    seeds, epochs, lr = [3, 4], 4, 0.02
    members = [MemberSettings(lr, keep_best=True), MemberSettings(lr, keep_best=True, epochs=epochs)]
    population = Population(SMALL, 1, "sigmoid", [scratch_start(seed) for seed in seeds])
    trainer = PopulationTrainer(population, binary=True, optimizer="sgd", learning_rate=lr, members=members)
    histories = trainer.train(
        member_data([tasks.b] * 2),
        seeds=seeds,
        phase="b_scratch",
        epochs=epochs,
        batch_size=32,
        index=0,
        listener=ignore,
        stop=StopToken(),
    )
    kept = []
    for member, seed in enumerate(seeds):
        reference = scratch_start(seed)
        reference.compile(loss="binary_crossentropy", optimizer=notebook_optimizer("sgd", lr), metrics=["accuracy"])
        stopping = keras.callbacks.EarlyStopping(
            monitor="val_accuracy", mode="max", patience=epochs + 1, restore_best_weights=True
        )
        stopping.set_model(reference)
        stopping.on_train_begin()
        validation = []
        for epoch in range(epochs):
            logs = fit(reference, tasks.b, seed=seed, phase="b_scratch", epochs=1, batch_size=32, first_epoch=epoch)
            stopping.on_epoch_end(epoch, {name: values[-1] for name, values in logs.items()})
            validation.append(logs["val_accuracy"][-1])
        stopping.on_train_end()
        np.testing.assert_allclose(histories[member].val_accuracy, validation, atol=2e-3)
        assert histories[member].best_epoch == stopping.best_epoch + 1
        kept.append(stopping.best_epoch + 1)
        for got, want in zip(population.member_model(member, "m").get_weights(), reference.get_weights(), strict=True):
            np.testing.assert_allclose(got, want, atol=ATOL)
    assert kept == [4, 3]  # one member kept an earlier epoch than its last


def scratch_start(seed: int) -> keras.Model:
    from engine.networks.keras_models import build_network

    keras.utils.set_random_seed(seed)
    return build_network(SMALL, 1, "sigmoid", name="b_scratch")
