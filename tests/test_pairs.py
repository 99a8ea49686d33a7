"""Several class pairs in one population: pair expansion, per-member index gathering, grouping by memory."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest

from engine.classes import ALL_PAIRS
from engine.config import ExperimentConfig, parse_pairs
from engine.data.fashion_mnist import Dataset
from engine.data.pair_index import SharedImages, indexed_tasks
from engine.data.split import make_tasks
from engine.execution.plan import training_sizes
from engine.studies.experiment import run_experiment
from tests.conftest import synthetic_dataset, tiny_config


def test_all_means_the_45_unordered_pairs_with_the_second_class_positive() -> None:
    pairs = parse_pairs(["all"])
    assert len(pairs) == 45 == len(set(pairs))
    assert all(first < second for first, second in pairs)
    assert pairs[:3] == ((0, 1), (0, 2), (0, 3)) and pairs[-1] == (8, 9)
    assert parse_pairs(["5,6", "ALL"])[0] == (5, 6) and len(parse_pairs(["5,6", "all"])) == 45
    assert pairs == ALL_PAIRS


@pytest.mark.parametrize("validation,sample", [("first", "first"), ("last", "random")])
def test_indexed_tasks_are_make_tasks_as_positions(small_dataset: Dataset, validation: str, sample: str) -> None:
    split = tiny_config(split={"validation": f'"{validation}"', "b_sample": f'"{sample}"'}).split
    images = SharedImages.of(small_dataset)
    for pair in [(0, 9), (5, 6)]:
        tasks = make_tasks(small_dataset, split.for_pair(pair), seed=3)
        indexed_a, indexed_b = indexed_tasks(small_dataset, split, pair, seed=3)
        for task, indexed in ((tasks.a, indexed_a), (tasks.b, indexed_b)):
            np.testing.assert_array_equal(images.train[indexed.train], task.x_train.reshape(len(task.x_train), -1))
            np.testing.assert_array_equal(indexed.y_train, task.y_train)
            np.testing.assert_array_equal(images.train[indexed.valid], task.x_valid.reshape(len(task.x_valid), -1))
            np.testing.assert_array_equal(indexed.y_valid, task.y_valid)
            np.testing.assert_array_equal(images.test[indexed.test], task.x_test.reshape(len(task.x_test), -1))
            np.testing.assert_array_equal(indexed.y_test, task.y_test)


def with_pairs(config: ExperimentConfig, pairs: list[tuple[int, int]]) -> ExperimentConfig:
    return msgspec.structs.replace(config, split=config.split.for_pairs(pairs))


def _uneven_dataset() -> Dataset:
    """Class sizes that differ, so pairs' task A differ in length and some members run out of batches first."""
    full = synthetic_dataset(n_train=7_000)
    keep = ~((full.y_train == 0) & (np.arange(len(full.y_train)) % 3 == 0))
    return Dataset(full.x_train[keep], full.y_train[keep], full.x_test, full.y_test, "uneven")


@pytest.mark.parametrize(
    "extra",
    [
        {},  # SGD, the notebook's
        {  # optimizers with slots, which must not move for members that ran out of examples
            "train_a": {"optimizer": '"momentum"'},
            "transfer": {"optimizer": '"rmsprop"'},
            "network": {"batch_norm": "true"},
        },
    ],
    ids=["sgd", "momentum-rmsprop-batch-norm"],
)
def test_each_member_of_a_pairs_population_trains_as_its_pair_alone(extra: dict) -> None:
    """Pairs with task A of different lengths (the tail steps mask the finished members) against each pair
    trained alone as a population of its seeds."""
    dataset = _uneven_dataset()
    pairs = [(0, 1), (5, 6), (2, 9)]
    config = tiny_config(run={"seeds": "[1, 2]"}, **extra)
    together_config = with_pairs(config, pairs)
    steps_a = {n_a // 32 for n_a, _ in training_sizes(dataset, together_config).values()}
    assert len(steps_a) > 1  # the members really differ in steps per epoch
    together = run_experiment(together_config, dataset)
    by_member = {(r.b_classes, r.seed): r for r in together.seeds}
    assert len(by_member) == 6
    for pair in pairs:
        alone = run_experiment(with_pairs(config, [pair]), dataset)
        for expected in alone.seeds:
            got = by_member[(pair, expected.seed)]
            for phase, history in expected.history.items():
                for metric, values in history.items():
                    if metric == "seconds":
                        continue
                    np.testing.assert_allclose(got.history[phase][metric], values, atol=2e-5, err_msg=f"{pair} {phase}")
            for name in ("test_acc_a", "test_acc_b_scratch", "test_acc_b_transfer"):
                assert getattr(got, name) == pytest.approx(getattr(expected, name), abs=2e-3), (pair, name)


def test_the_documented_cause_of_a_pair_differing_alone_and_in_a_map_holds() -> None:
    """docs/studies.md: XLA compiles a population's step for its size and, at another size, adds up a bias
    gradient (a sum over the batch) in another order. If TensorFlow stops doing so, the docs are wrong: say so."""
    from engine.runtime import tf

    rng = np.random.default_rng(0)
    gradient = rng.standard_normal((9, 32, 300)).astype(np.float32)  # 9 members' output gradients of a batch
    summed = tf.function(lambda g: tf.reduce_sum(g, axis=1), jit_compile=True)
    three, nine = summed(gradient[:3]).numpy(), summed(gradient).numpy()[:3]
    assert not np.array_equal(three, nine)  # the same members, another population size: other last bits
    np.testing.assert_allclose(three, nine, rtol=0, atol=1e-5)  # and nothing more than rounding
