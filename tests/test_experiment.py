"""The experiment as a whole on small synthetic data: progress, determinism, cancelling, divergence, saved models."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import msgspec
import numpy as np
import pytest

from engine.config import apply_overrides
from engine.data.fashion_mnist import Dataset
from engine.execution.plan import plan_phases, training_sizes
from engine.networks.model_files import load_model_a
from engine.progress import EpochDone, PhaseDone, PhaseStarted, RunPlanned, SeedDone, StepsDone, StopToken
from engine.studies.experiment import run_experiment
from tests.conftest import tiny_config


def test_events_follow_the_plan(small_dataset: Dataset) -> None:
    config = tiny_config(run={"seeds": "[3, 4]"}, transfer={"unfrozen_epochs": 2})
    events = []
    result = run_experiment(config, small_dataset, listener=events.append)
    assert result.status == "finished" and [r.seed for r in result.seeds] == [3, 4]

    plan = events[0].plan
    assert isinstance(events[0], RunPlanned)
    # several seeds train together: one plan entry per phase, for both seeds
    assert [(p.phase, p.seeds, p.epochs, p.pair) for p in plan] == [
        (phase, (3, 4), epochs, (5, 6))
        for phase, epochs in (("model_a", 1), ("b_frozen", 1), ("b_finetune", 2), ("b_scratch", 3))
    ]
    started = [e.index for e in events if isinstance(e, PhaseStarted)]
    finished = [e.index for e in events if isinstance(e, PhaseDone)]
    assert started == finished == list(range(len(plan)))
    epochs = [e for e in events if isinstance(e, EpochDone)]
    assert len(epochs) == sum(p.epochs * len(p.seeds) for p in plan)
    assert {(e.seed, e.phase) for e in epochs if e.epoch == e.epochs} == {
        (seed, phase) for seed in (3, 4) for phase in ("model_a", "b_frozen", "b_finetune", "b_scratch")
    }
    assert all(0 <= e.step <= plan[e.index].steps_per_epoch for e in events if isinstance(e, StepsDone))
    assert [e.result.seed for e in events if isinstance(e, SeedDone)] == [3, 4]

    first = result.seeds[0]
    assert {k: len(v["loss"]) for k, v in first.history.items()} == {
        "model_a": 1,
        "b_frozen": 1,
        "b_finetune": 2,
        "b_scratch": 3,
    }
    assert first.test_acc_a > 0.5  # one epoch learns the synthetic classes far above chance (0.125)


def test_same_seed_same_numbers(small_dataset: Dataset) -> None:
    config = tiny_config(run={"seeds": "[7]"})
    first = run_experiment(config, small_dataset).seeds[0]
    second = run_experiment(config, small_dataset).seeds[0]
    assert without_seconds(first.history) == without_seconds(second.history)
    assert (first.test_acc_a, first.test_acc_b_scratch, first.test_acc_b_transfer) == (
        second.test_acc_a,
        second.test_acc_b_scratch,
        second.test_acc_b_transfer,
    )
    other = run_experiment(tiny_config(run={"seeds": "[8]"}), small_dataset).seeds[0]
    assert other.history["model_a"]["loss"] != first.history["model_a"]["loss"]


def without_seconds(history: dict) -> dict:
    return {phase: {k: v for k, v in metrics.items() if k != "seconds"} for phase, metrics in history.items()}


def test_cancel_keeps_the_pairs_that_finished(small_dataset: Dataset) -> None:
    """Pairs train in groups, each as one population; a stop keeps the groups that finished (here a pair each)."""
    stop = StopToken()
    run = {"seeds": "[1, 2, 3]", "population_memory_gb": "0.001"}
    config = tiny_config(run=run, split={"extra_pairs": "[[0, 2]]"})

    def listener(event) -> None:
        if isinstance(event, PhaseStarted) and event.planned.pair == (0, 2):
            assert event.planned.group == 1
            stop.request()

    result = run_experiment(config, small_dataset, listener=listener, stop=stop)
    assert result.status == "cancelled"
    assert [(r.b_classes, r.seed) for r in result.seeds] == [((5, 6), 1), ((5, 6), 2), ((5, 6), 3)]


def test_pairs_that_fit_train_as_one_population_and_a_cancel_keeps_none_of_it(small_dataset: Dataset) -> None:
    stop = StopToken()
    config = tiny_config(split={"extra_pairs": "[[0, 2]]"})
    started = []

    def listener(event) -> None:
        if isinstance(event, PhaseStarted):
            started.append((event.planned.pair, event.planned.phase, event.planned.group))
        if isinstance(event, EpochDone) and event.phase == "b_frozen":
            stop.request()

    result = run_experiment(config, small_dataset, listener=listener, stop=stop)
    assert result.status == "cancelled" and result.seeds == []
    assert started[:4] == [
        ((5, 6), "model_a", 0),
        ((0, 2), "model_a", 0),
        ((5, 6), "b_frozen", 0),
        ((0, 2), "b_frozen", 0),
    ]
    assert "b_scratch" not in {phase for _, phase, _ in started}


def test_cancel_stops_within_a_batch(small_dataset: Dataset) -> None:
    stop = StopToken()
    steps_after_stop = []

    def listener(event) -> None:
        if isinstance(event, StepsDone):
            if stop.requested:
                steps_after_stop.append(event.step)
            stop.request()

    config = tiny_config(train_a={"epochs": 50})
    result = run_experiment(config, small_dataset, listener=listener, stop=stop)
    assert result.status == "cancelled" and result.seeds == []
    assert steps_after_stop == []


def test_diverging_run_is_reported_not_raised(small_dataset: Dataset) -> None:
    config = tiny_config(
        run={"seeds": "[1, 2]"}, train_a={"learning_rate": 10.0}, network={"hidden": "[256, 256, 256]"}
    )
    result = run_experiment(config, small_dataset)
    assert result.status == "finished"
    assert [r.diverged for r in result.seeds] == ["model_a", "model_a"]
    assert result.seeds[0].history["model_a"]["loss"][0] != result.seeds[0].history["model_a"]["loss"][0]  # NaN
    summary = result.summaries()[(5, 6)]  # B on A reuses the diverged model A: it counts at chance level
    assert summary.n_seeds == 2 and summary.n_diverged == 2 and summary.acc_transfer_mean == 0.5
    assert "2 seeds diverged: the model that diverged counts at chance level (50%)" in summary.verdict


def test_models_are_saved_and_reusable(small_dataset: Dataset, tmp_path: Path) -> None:
    config = tiny_config(run={"seeds": "[5]"})
    first = run_experiment(config, small_dataset, save_dir=tmp_path / "run").seeds[0]
    assert set(first.model_files) == {"model_a", "b_finetune", "b_scratch"}
    assert Path(first.model_files["model_a"]) == tmp_path / "run" / "b5-6" / "seed5" / "model_a.keras"
    assert all(Path(path).is_file() and path.endswith(".keras") for path in first.model_files.values())

    events = []
    again = run_experiment(
        config, small_dataset, listener=events.append, model_a_file=Path(first.model_files["model_a"])
    ).seeds[0]
    assert "model_a" not in again.history
    assert all(p.phase != "model_a" for p in events[0].plan)
    assert again.test_acc_a == first.test_acc_a
    assert again.test_acc_b_transfer == first.test_acc_b_transfer
    assert again.test_acc_b_scratch == first.test_acc_b_scratch
    reloaded = load_model_a(Path(first.model_files["model_a"]))
    assert reloaded.output_shape == (None, 8)


def test_plan_skips_empty_phases() -> None:
    config = tiny_config(transfer={"frozen_epochs": 0, "unfrozen_epochs": 3})
    plan = plan_phases(config, {(5, 6): (100, 50)})
    assert [(p.phase, p.epochs, p.steps_per_epoch) for p in plan] == [
        ("model_a", 1, 4),
        ("b_finetune", 3, 2),
        ("b_scratch", 3, 2),
    ]
    assert np.sum([p.steps for p in plan]) == 4 + 6 + 6


def test_plan_of_a_study(small_dataset: Dataset) -> None:
    config = tiny_config(run={"seeds": "[1, 2]"}, split={"extra_pairs": "[[0, 2]]"})
    sizes = training_sizes(small_dataset, config)
    labels = small_dataset.y_train[5_000:]
    assert sizes[(0, 2)] == (int(np.sum(~np.isin(labels, [0, 2]))), 50)
    plan = plan_phases(config, sizes)
    # both pairs' members train as one population, phase by phase
    assert [(p.pair, p.phase) for p in plan] == [
        (pair, phase) for phase in ("model_a", "b_frozen", "b_finetune", "b_scratch") for pair in ((5, 6), (0, 2))
    ]
    assert {p.group for p in plan} == {0}


def test_plan_leaves_out_model_a_where_it_is_ready() -> None:
    one = tiny_config(run={"seeds": "[1]"})
    assert plan_phases(one, {(5, 6): (100, 50)}, {(5, 6): {1}})[0].phase == "b_frozen"
    several = tiny_config(run={"seeds": "[1, 2]"})
    # a population trains model A unless every seed has one
    assert plan_phases(several, {(5, 6): (100, 50)}, {(5, 6): {1}})[0].phase == "model_a"
    assert plan_phases(several, {(5, 6): (100, 50)}, {(5, 6): {1, 2}})[0].phase == "b_frozen"


@pytest.mark.parametrize("seeds", ["[6]", "[6, 7]"])
def test_model_a_is_reused_from_the_cache(small_dataset: Dataset, tmp_path: Path, seeds: str) -> None:
    from engine.storage.model_cache import ModelACache

    cache = ModelACache(tmp_path / "cache")
    config = tiny_config(run={"seeds": seeds}, train_a={"epochs": 2})
    first = run_experiment(config, small_dataset, model_a_cache=cache)
    assert len(list(cache.folder.glob("*.keras"))) == len(first.seeds)

    # a new experiment that changes only the B side reuses model A
    changed_b = tiny_config(run={"seeds": seeds}, train_a={"epochs": 2}, transfer={"unfrozen_learning_rate": 0.01})
    events = []
    second = run_experiment(changed_b, small_dataset, model_a_cache=cache, listener=events.append)
    assert all(p.phase != "model_a" for p in events[0].plan)
    for a, b in zip(first.seeds, second.seeds, strict=True):
        assert a.test_acc_a == b.test_acc_a and a.history["model_a"] == b.history["model_a"]

    # anything that shapes A (here its epochs) means a new model A
    events.clear()
    run_experiment(
        tiny_config(run={"seeds": seeds}, train_a={"epochs": 1}),
        small_dataset,
        model_a_cache=cache,
        listener=events.append,
    )
    assert events[0].plan[0].phase == "model_a"


def test_an_unreadable_cached_model_is_set_aside(small_dataset: Dataset, tmp_path: Path) -> None:
    from engine.storage.model_cache import ModelACache

    cache = ModelACache(tmp_path / "cache")
    config = tiny_config(run={"seeds": "[6]"})
    run_experiment(config, small_dataset, model_a_cache=cache)
    (cached,) = cache.folder.glob("*.keras")
    cached.write_bytes(b"garbage")
    events = []
    run_experiment(config, small_dataset, model_a_cache=cache, listener=events.append)
    assert events[0].plan[0].phase == "model_a"  # trained again
    assert len(list(cache.folder.glob("*.corrupt-*"))) == 2  # model and history, set aside, not deleted


@pytest.mark.parametrize("extra_pairs", ["[]", "[[0, 2]]"])
def test_a_cached_model_a_is_saved_with_the_run_whatever_the_number_of_pairs(
    small_dataset: Dataset, tmp_path: Path, extra_pairs: str
) -> None:
    """One pair's population kept the cached model A's file in the run folder and a population of several pairs
    dropped it (issue 20); both now train in one runner."""
    from engine.storage.model_cache import ModelACache

    cache = ModelACache(tmp_path / "cache")
    config = tiny_config(run={"seeds": "[6, 7]"}, split={"extra_pairs": extra_pairs})
    run_experiment(config, small_dataset, model_a_cache=cache)
    events = []
    cached = run_experiment(
        config, small_dataset, model_a_cache=cache, save_dir=tmp_path / "run", listener=events.append
    )
    assert all(p.phase != "model_a" for p in events[0].plan)  # A came from the cache
    assert all(set(seed.model_files) == {"model_a", "b_finetune", "b_scratch"} for seed in cached.seeds)
    assert all(Path(path).is_file() for seed in cached.seeds for path in seed.model_files.values())


def test_the_model_a_cache_key_tells_the_device_and_precision_apart(small_dataset: Dataset, monkeypatch) -> None:
    """A model A trained on a GPU, or in another precision, is not reused as if equal; a float32 model A on the CPU
    keeps the key it had before devices were told apart (its cache stays valid)."""
    import engine.storage.model_cache as model_cache

    config = tiny_config()
    cpu = model_cache.cache_key(config, (5, 6), 1, small_dataset)
    bfloat16 = model_cache.cache_key(apply_overrides(config, ["run.precision='bfloat16'"]), (5, 6), 1, small_dataset)
    monkeypatch.setattr(model_cache, "has_gpu", lambda: True)
    gpu = model_cache.cache_key(config, (5, 6), 1, small_dataset)
    assert len({cpu, bfloat16, gpu}) == 3
    shaping = {
        "network": msgspec.structs.asdict(config.network),
        "train_a": msgspec.structs.asdict(config.train_a),
        "pair": [5, 6],
        "validation": config.split.validation,
        "seed": 1,
        "batch_size": config.run.batch_size,
        "data": small_dataset.checksum,
        "format": 1,
    }  # the key as it was written before precisions and devices existed
    assert cpu == hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:24]
