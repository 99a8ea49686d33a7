"""Tuning trains every trial of an arm as one population: each trial equals its configuration trained alone with
plain Keras (its best validation epoch's weights included), a stopped tuning resumes to the same numbers, and the
command prints and stores it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.config import apply_overrides
from engine.config.arms import SCRATCH, TRANSFER
from engine.config.search import ONE_SHOT, arm_trials
from engine.data.fashion_mnist import Dataset
from engine.data.split import tasks_for_seeds
from engine.networks.keras_models import held_out_accuracy, set_reused_trainable
from engine.phases import B_FINETUNE, B_FROZEN, B_SCRATCH
from engine.progress import EpochDone, PartDone, StopToken
from engine.runtime import keras
from engine.storage.checkpoints import Checkpoints
from engine.storage.model_cache import ModelACache, cache_key
from engine.studies.tune import run_tune
from engine.training.keras_phase import epoch_order
from engine.training.starts import initial_scratch, initial_transfer
from tests.conftest import tiny_config
from tui.render.tune import tune_report

TUNING = [
    "run.seeds=[3,4]",
    "train_a.epochs=2",
    "tune.budget=3",
    "tune.epochs=4",
    "transfer.frozen_epochs=1",
    "transfer.unfrozen_epochs=2",
    'tune.space.transfer.frozen_epochs={dist="choice", values=[0,1,2]}',
    'tune.space.scratch.learning_rate={dist="log", low=0.003, high=0.3}',
    'tune.space.transfer.learning_rate={dist="log", low=0.003, high=0.3}',
]


def _alone(
    model, data, phases: list[tuple[str, float, int]], seed: int, batch: int, reused: int, fine_tune: bool = True
):
    """Plain Keras, the notebook's way (compile per phase, the reused layers frozen in B_FROZEN, and after it too
    unless `fine_tune`, fit epoch by epoch in the seed's data order), ending with the weights of the best validation
    epoch over every phase, as EarlyStopping(restore_best_weights=True) keeps them. Returns that accuracy and epoch
    (1-based, over phases)."""
    best, best_epoch, best_weights, epoch_number = -1.0, 0, None, 0
    for phase, rate, epochs in phases:
        set_reused_trainable(model, fine_tune and phase != B_FROZEN, reused)
        model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.SGD(rate), metrics=["accuracy"])
        for epoch in range(epochs):
            order = epoch_order(seed, phase, epoch, len(data.y_train))
            logs = model.fit(
                data.x_train[order],
                data.y_train[order],
                batch_size=batch,
                epochs=1,
                shuffle=False,
                verbose=0,
                validation_data=(data.x_valid, data.y_valid),
                validation_batch_size=1024,
            ).history
            epoch_number += 1
            if logs["val_accuracy"][-1] > best:
                best, best_epoch, best_weights = logs["val_accuracy"][-1], epoch_number, model.get_weights()
    model.set_weights(best_weights)
    return best, best_epoch


def test_each_trial_equals_its_configuration_trained_alone_with_keras(small_dataset: Dataset, tmp_path: Path) -> None:
    config = apply_overrides(tiny_config(), TUNING)
    cache = ModelACache(tmp_path / "cache")
    result = run_tune(config, small_dataset, model_a_cache=cache)
    assert result.status == "finished"
    assert len(result.trials) == 2 * (3 + 1) * 2  # arms x (budget + one shot) x seeds
    seed, batch, net = 4, config.run.batch_size, config.network
    tasks = tasks_for_seeds(small_dataset, config.split, [seed])[seed]
    for arm in (SCRATCH, TRANSFER):
        for trial in result.trials_of(arm, (5, 6), seed):
            values = trial.values
            rate = values["learning_rate"]
            if arm == SCRATCH:
                model = initial_scratch(net, seed)
                phases = [(B_SCRATCH, rate, 4)]
            else:
                model_a = cache.load(cache_key(config, (5, 6), seed, small_dataset)).model
                model = initial_transfer(model_a, seed, net, config.reused_layers)
                frozen = int(values["frozen_epochs"])
                phases = [(B_FROZEN, rate, frozen), (B_FINETUNE, rate * values["fine_tune_ratio"], 4 - frozen)]
            best, best_epoch = _alone(model, tasks.b, [p for p in phases if p[2]], seed, batch, config.reused_layers)
            assert trial.best_epoch == best_epoch, (arm, trial.number)
            assert trial.val_accuracy == pytest.approx(best, abs=2e-3)
            expected = held_out_accuracy(model, tasks.b.x_test, tasks.b.y_test)
            assert trial.test_accuracy == pytest.approx(expected, abs=2e-3), (arm, trial.number)
    # each seed tuned its own draws (tune.draws = "per_seed"), as the plan drew them
    for arm in (SCRATCH, TRANSFER):
        for seed in (3, 4):
            drawn = dict(arm_trials(config, arm, seed))
            assert all(t.values == drawn[t.number] for t in result.trials_of(arm, (5, 6), seed))
    rates = [{t.values["learning_rate"] for t in result.trials_of(SCRATCH, (5, 6), s)} for s in (3, 4)]
    assert rates[0] != rates[1]


def _one_shot_scratch(config, data, seed: int):
    """The notebook's B from scratch, trained alone with plain Keras: the selffer arms' source."""
    model = initial_scratch(config.network, seed)
    model.compile(
        loss="binary_crossentropy",
        optimizer=keras.optimizers.SGD(config.transfer.scratch_learning_rate),
        metrics=["accuracy"],
    )
    for epoch in range(config.transfer.frozen_epochs + config.transfer.unfrozen_epochs):
        order = epoch_order(seed, B_SCRATCH, epoch, len(data.y_train))
        model.fit(data.x_train[order], data.y_train[order], batch_size=config.run.batch_size, shuffle=False, verbose=0)
    return model


def test_treatment_arms_and_a_searched_reuse_depth_each_equal_keras_alone(
    small_dataset: Dataset, tmp_path: Path
) -> None:
    """A3B (frozen throughout) from model A, B1B+ from the seed's one-shot scratch B, and B on A with its reuse
    depth searched: every trial as its configuration trained alone."""
    config = apply_overrides(
        tiny_config(),
        [
            *TUNING,
            "run.seeds=[4]",
            "tune.budget=2",
            "network.hidden=[16,12,8]",
            'tune.arms=["scratch", "transfer", "AnB:3", "BnB+:1"]',
            'tune.space.transfer.reused_layers={dist="choice", values=[1,2]}',
        ],
    )
    cache = ModelACache(tmp_path / "cache")
    result = run_tune(config, small_dataset, model_a_cache=cache)
    assert result.contenders == ["transfer", "AnB:3", "BnB+:1"]
    seed, batch, net = 4, config.run.batch_size, config.network
    tasks = tasks_for_seeds(small_dataset, config.split, [seed])[seed]
    model_a = cache.load(cache_key(config, (5, 6), seed, small_dataset)).model
    drawn_depths = {t.values["reused_layers"] for t in result.trials_of(TRANSFER, (5, 6), seed)}
    assert drawn_depths == {1.0, 2.0}
    for arm in ("transfer", "AnB:3", "BnB+:1"):
        for trial in result.trials_of(arm, (5, 6), seed):
            values = trial.values
            depth = {"transfer": int(values.get("reused_layers", 0)), "AnB:3": 3, "BnB+:1": 1}[arm]
            source = _one_shot_scratch(config, tasks.b, seed) if arm == "BnB+:1" else model_a
            model = initial_transfer(source, seed, net, depth)
            frozen, rate = int(values["frozen_epochs"]), values["learning_rate"]
            phases = [(B_FROZEN, rate, frozen), (B_FINETUNE, rate * values["fine_tune_ratio"], 4 - frozen)]
            fine_tune = arm != "AnB:3"
            best, best_epoch = _alone(model, tasks.b, [p for p in phases if p[2]], seed, batch, depth, fine_tune)
            assert trial.best_epoch == best_epoch, (arm, trial.number)
            assert trial.val_accuracy == pytest.approx(best, abs=2e-3), (arm, trial.number)
            expected = held_out_accuracy(model, tasks.b.x_test, tasks.b.y_test)
            assert trial.test_accuracy == pytest.approx(expected, abs=2e-3), (arm, trial.number)
    reading = " ".join(result.reading((5, 6)))
    assert "A3B against B from scratch. At equal budget:" in reading
    assert "B1B+ against B from scratch. At equal budget:" in reading


def test_a_stopped_tuning_resumes_to_the_same_numbers(small_dataset: Dataset, tmp_path: Path) -> None:
    config = apply_overrides(tiny_config(), TUNING)
    never_stopped = run_tune(config, small_dataset)
    checkpoints = Checkpoints(tmp_path / "checkpoints")
    stop = StopToken()

    live = []

    def stop_in_fine_tuning(event) -> None:  # after the best epochs of the frozen phase are kept
        if isinstance(event, PartDone):
            live.append(str(tune_report(event.result)[0]))
        if isinstance(event, EpochDone) and event.phase == B_FINETUNE and event.epoch == 2:
            stop.request()

    first = run_tune(config, small_dataset, listener=stop_in_fine_tuning, stop=stop, checkpoints=checkpoints)
    assert first.status == "cancelled"
    assert [t.arm for t in first.trials] == [SCRATCH] * 8  # the finished arm is kept
    # while B on A trained, its pair read as training; once stopped, as stopped
    assert live == [
        "Sandal vs Shirt: 1 of 2 arms finished, the others training; the reading comes once all have finished."
    ]
    stopped, sources = tune_report(first)
    assert str(stopped) == "Sandal vs Shirt: stopped before its arms finished (1 of 2 arms finished)."
    assert "the tuning's 3 draws (drawn per seed)" in str(sources)
    resumed = run_tune(config, small_dataset, checkpoints=checkpoints)

    def numbers(result):
        return [(t.arm, t.number, t.seed, t.val_accuracy, t.test_accuracy, t.best_epoch) for t in result.trials]

    assert numbers(resumed) == numbers(never_stopped)


def test_the_tune_command_prints_the_verdict_and_stores_every_trial(real_data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "tune.json"
    command = [
        sys.executable,
        "-m",
        "tui",
        "tune",
        "--data-dir",
        str(real_data_dir),
        "--seeds",
        "1-2",
        "--budget",
        "2",
        "--epochs",
        "3",
        "--set",
        "network.hidden=[16]",
        "--set",
        "train_a.epochs=1",
        "--set",
        "transfer.frozen_epochs=1",
        "--set",
        "transfer.unfrozen_epochs=1",
        "--set",
        'tune.space.transfer.frozen_epochs={dist="choice", values=[0,1]}',
        "--json",
        str(out),
        "--plot",
        str(tmp_path / "curves.svg"),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    assert "picked on validation" in finished.stdout and "(oracle" in finished.stdout
    assert "Cherry-pick meter" in finished.stdout
    assert "<svg" in (tmp_path / "curves.svg").read_text()
    assert "each picked on 986 validation images" in " ".join(finished.stdout.split())
    stored = json.loads(out.read_text())
    assert len(stored["trials"]) == 2 * (2 + 1) * 2
    one_shot = [t for t in stored["trials"] if t["number"] == ONE_SHOT and t["arm"] == TRANSFER]
    assert {t["values"]["frozen_epochs"] for t in one_shot} == {1.0}
    assert np.isfinite([t["test_accuracy"] for t in stored["trials"]]).all()
    listed = subprocess.run([sys.executable, "-m", "tui", "runs", "list"], capture_output=True, text=True, timeout=60)
    words = " ".join(listed.stdout.split())
    assert "tune finished 2 Sandal vs Shirt at 2 trials: scratch" in words
