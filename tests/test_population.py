"""Population training is only faster, never different: members match plain Keras models trained one by one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.config import CnnNetwork, DenseNetwork, NetworkConfig, SplitConfig
from engine.data.fashion_mnist import Dataset
from engine.data.packing import member_data
from engine.data.split import make_tasks
from engine.networks.keras_models import build_model_a
from engine.networks.population import Population, member_accuracies
from engine.progress import EpochDone, StopToken, ignore
from engine.runtime import keras, tf
from engine.studies.experiment import run_experiment
from engine.training.keras_phase import train_phase
from engine.training.population_trainer import PopulationTrainer
from engine.training.starts import initial_transfer
from tests.conftest import tiny_config
from tests.notebook_oracle import b_on_a_start, fit, notebook_optimizer

SMALL = DenseNetwork(hidden=(32, 16))
CNN = CnnNetwork(conv=(4, 8), hidden=(16,))
ATOL = 2e-5  # float32: batched and unbatched matmuls round differently


@pytest.fixture(scope="module")
def tasks(small_dataset: Dataset):
    return make_tasks(small_dataset, SplitConfig(n_train_b=60), seed=0)


def keras_models(net: NetworkConfig, seeds: list[int]) -> list[keras.Model]:
    models = []
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        models.append(build_model_a(net))
    return models


def keras_model_a_trained(reference: keras.Model, data, seed: int, optimizer: str, lr: float, epochs: int = 2):
    """`reference` trained alone as model A with plain Keras, in the engine's data order for `seed`."""
    reference.compile(
        loss="sparse_categorical_crossentropy", optimizer=notebook_optimizer(optimizer, lr), metrics=["accuracy"]
    )
    return train_phase(
        reference,
        data,
        phase="model_a",
        seed=seed,
        epochs=epochs,
        batch_size=32,
        index=0,
        listener=ignore,
        stop=StopToken(),
    )


def train_population(population, data, seeds, *, binary, optimizer, lr, phase, frozen=0, epochs=2):
    trainer = PopulationTrainer(population, binary=binary, optimizer=optimizer, learning_rate=lr, frozen=frozen)
    return trainer.train(
        member_data([data] * len(seeds)),
        seeds=seeds,
        phase=phase,
        epochs=epochs,
        batch_size=32,
        index=0,
        listener=ignore,
        stop=StopToken(),
    )


# SGD-family updates are linear in the gradient, so members agree with plain Keras to float32 rounding.
# Adam-family updates divide by sqrt(v) + 1e-7: gradients that nearly cancel (BatchNormalization's do, by
# design) turn rounding noise into steps of up to lr, and the trajectories drift apart chaotically, slowly.
# They run at the notebook's lr 1e-3; 99% of the weights must agree to 1e-4 and none may be off by more than
# two steps (2 x lr). A real bug (a shared moment, a wrong member) moves most weights by O(lr x steps).
ADAPTIVE_ATOL = None


def assert_weights_agree(got: np.ndarray, want: np.ndarray, atol: float | None, lr: float) -> None:
    if atol is not None:
        np.testing.assert_allclose(got, want, atol=atol)
        return
    difference = np.abs(got - want)
    assert np.quantile(difference, 0.99) < 1e-4 and difference.max() <= 2 * lr


@pytest.mark.parametrize("seeds", [[7], [1, 2, 3]])
@pytest.mark.parametrize(
    ("net", "optimizer", "lr", "atol"),
    [
        (SMALL, "sgd", 1e-2, ATOL),
        (DenseNetwork(hidden=(24, 12), batch_norm=True), "sgd", 1e-2, ATOL),
        (DenseNetwork(hidden=(24, 12), batch_norm=True), "nesterov", 1e-2, ATOL),
        (SMALL, "momentum", 1e-2, ATOL),
        (SMALL, "adagrad", 1e-2, ADAPTIVE_ATOL),
        (SMALL, "rmsprop", 1e-3, ADAPTIVE_ATOL),
        (SMALL, "adam", 1e-3, ADAPTIVE_ATOL),
        (SMALL, "adamax", 1e-3, ADAPTIVE_ATOL),
        (SMALL, "nadam", 1e-3, ADAPTIVE_ATOL),
        (SMALL, "adamw", 1e-3, ADAPTIVE_ATOL),
        (CNN, "momentum", 1e-2, ATOL),
    ],
)
def test_members_equal_plain_keras_trained_one_by_one(tasks, seeds, net, optimizer, lr, atol) -> None:
    population = Population(net, 8, "softmax", keras_models(net, seeds))
    histories = train_population(
        population,
        tasks.a,
        seeds,
        binary=False,
        optimizer=optimizer,
        lr=lr,
        frozen=0,
        phase="model_a",
    )
    for member, (seed, reference) in enumerate(zip(seeds, keras_models(net, seeds), strict=True)):
        expected = keras_model_a_trained(reference, tasks.a, seed, optimizer, lr)
        exported = population.member_model(member, "member")
        for got, want in zip(exported.get_weights(), reference.get_weights(), strict=True):
            assert_weights_agree(got, want, atol, lr)
        for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
            np.testing.assert_allclose(getattr(histories[member], name), getattr(expected, name), atol=atol or 5e-3)


@pytest.mark.parametrize(
    "net", [SMALL, DenseNetwork(hidden=(24, 12), batch_norm=True), CnnNetwork(conv=(4,), hidden=(8,), batch_norm=True)]
)
def test_frozen_population_matches_frozen_keras(tasks, net) -> None:
    """Frozen means every reused layer, BatchNormalization included: its statistics stay A's and it normalises
    with them (Keras runs a frozen BatchNormalization layer in inference mode)."""
    seeds = [4, 5]
    models_a = keras_models(net, seeds)
    if net.batch_norm:  # give A moving statistics that differ from a batch's, as a trained A has
        for model in models_a:
            for layer in model.layers:
                if isinstance(layer, keras.layers.BatchNormalization):
                    gamma, beta, mean, variance = layer.get_weights()
                    layer.set_weights([gamma, beta, mean + 0.3, variance * 2.0])
    transfer = [initial_transfer(model, seed) for model, seed in zip(models_a, seeds, strict=True)]
    population = Population(net, 1, "sigmoid", transfer)
    before = [population.member_model(m, "b").get_weights() for m in range(2)]
    train_population(
        population, tasks.b, seeds, binary=True, optimizer="sgd", lr=0.05, frozen=net.n_hidden_layers, phase="b_frozen"
    )
    for member, seed in enumerate(seeds):
        reference = b_on_a_start(models_a[member], seed)  # the notebook's way: clone, new head, freeze, compile
        for layer in reference.layers[:-1]:
            layer.trainable = False
        reference.compile(loss="binary_crossentropy", optimizer=notebook_optimizer("sgd", 0.05), metrics=["accuracy"])
        fit(reference, tasks.b, seed=seed, phase="b_frozen", epochs=2, batch_size=32)
        got = population.member_model(member, "b").get_weights()
        for layer in range(len(got) - 2):  # reused layers did not move
            np.testing.assert_array_equal(got[layer], before[member][layer])
        assert not np.array_equal(got[-2], before[member][-2])  # the new head did
        for got_w, want_w in zip(got, reference.get_weights(), strict=True):
            np.testing.assert_allclose(got_w, want_w, atol=ATOL)


def test_conv_batch_norm_gradients_match_keras(tasks) -> None:
    """Conv + BatchNormalization, one step: every member's gradient is its Keras model's. Trajectories are not
    compared: ReLU, then BatchNormalization, then MaxPooling makes exact ties (every dead unit of a window maps to
    the same value), and a 1e-8 rounding difference that breaks one sends a step's gradient elsewhere: seen as
    4e-8 becoming 7e-5 in one step between a member trained alone and the same member trained second of two."""
    net = CnnNetwork(conv=(4, 6), hidden=(), batch_norm=True)
    seeds = [1, 2, 3]
    population = Population(net, 8, "softmax", keras_models(net, seeds))
    trainer = PopulationTrainer(population, binary=False, optimizer="sgd", learning_rate=1e-3)
    x, y = tasks.a.x_train[:32], tasks.a.y_train[:32]

    @tf.function
    def population_gradients():
        with tf.GradientTape() as tape:
            logits = population.logits(tf.constant(x.reshape(32, -1)), training=True)
            total = tf.reduce_sum(trainer._member_losses(logits, tf.constant(np.broadcast_to(y, (3, 32)))))
        return tape.gradient(total, [v.value for v in trainer.variables])

    got = population_gradients()
    for member, reference in enumerate(keras_models(net, seeds)):
        with tf.GradientTape() as tape:
            loss = keras.losses.sparse_categorical_crossentropy(y, reference(x, training=True))
            loss = tf.reduce_mean(loss)
        for want, stacked in zip(tape.gradient(loss, reference.trainable_variables), got, strict=True):
            np.testing.assert_allclose(stacked.numpy()[member], want.numpy(), atol=2e-5)


def test_exported_member_predicts_like_the_population(tasks, tmp_path: Path) -> None:
    seeds = [1, 2, 3]
    population = Population(SMALL, 8, "softmax", keras_models(SMALL, seeds))
    train_population(population, tasks.a, seeds, binary=False, optimizer="sgd", lr=0.05, phase="model_a", epochs=1)
    logits = population.logits(keras.ops.convert_to_tensor(tasks.a.x_test.reshape(-1, 784)), training=False)
    probabilities = keras.activations.softmax(logits).numpy()
    accuracies = member_accuracies(population, tasks.a.x_test, tasks.a.y_test)
    for member in range(3):
        path = tmp_path / f"member{member}.keras"
        population.member_model(member, "model_a").save(path)
        loaded = keras.models.load_model(path)
        np.testing.assert_allclose(loaded.predict(tasks.a.x_test, verbose=0), probabilities[member], atol=1e-6)
        assert accuracies[member] == np.mean(loaded.predict(tasks.a.x_test, verbose=0).argmax(1) == tasks.a.y_test)


def test_a_diverging_member_does_not_touch_the_others(tasks) -> None:
    seeds = [1, 2]
    models = keras_models(SMALL, seeds)
    models[0].set_weights([w * 1e20 for w in models[0].get_weights()])  # member 0 overflows at once
    population = Population(SMALL, 8, "softmax", models)
    histories = train_population(population, tasks.a, seeds, binary=False, optimizer="sgd", lr=0.05, phase="model_a")
    alone = Population(SMALL, 8, "softmax", keras_models(SMALL, [2]))
    (expected,) = train_population(alone, tasks.a, [2], binary=False, optimizer="sgd", lr=0.05, phase="model_a")
    assert histories[0].diverged and len(histories[0].loss) == 1
    assert not histories[1].diverged
    np.testing.assert_allclose(histories[1].loss, expected.loss, atol=ATOL)


def test_one_seed_path_and_population_path_agree(small_dataset: Dataset) -> None:
    """Seed 3 run alone (plain Keras) and inside a population of two gives the same numbers."""
    alone = run_experiment(tiny_config(run={"seeds": "[3]"}), small_dataset).seeds[0]
    together = run_experiment(tiny_config(run={"seeds": "[3, 4]"}), small_dataset).seeds[0]
    assert together.seed == 3
    for phase, metrics in alone.history.items():
        for name in ("loss", "val_loss", "accuracy"):
            np.testing.assert_allclose(together.history[phase][name], metrics[name], atol=1e-4)
    n_test_b = 2 * 100  # synthetic test set: 100 images per class
    for name in ("test_acc_a", "test_acc_b_scratch", "test_acc_b_transfer"):
        assert abs(getattr(together, name) - getattr(alone, name)) <= 1 / n_test_b + 1e-12


def test_progress_is_reported_per_member(small_dataset: Dataset) -> None:
    events = []
    run_experiment(tiny_config(run={"seeds": "[1, 2, 3]"}), small_dataset, listener=events.append)
    firsts = [(e.phase, e.seed) for e in events if isinstance(e, EpochDone) and e.phase == "model_a"]
    assert firsts == [("model_a", 1), ("model_a", 2), ("model_a", 3)]
