"""A run stopped mid-way and resumed from its checkpoints ends with the numbers of a run never stopped."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from engine.config import apply_overrides
from engine.data.fashion_mnist import Dataset
from engine.progress import EpochDone, StepsDone, StopToken
from engine.storage.checkpoints import Checkpoints
from engine.studies.experiment import run_experiment
from engine.studies.leaderboard import run_leaderboard
from tests.conftest import tiny_config
from tui.cli.reporter import ConsoleReporter


def stop_at(stop: StopToken, phase: str, epoch: int):
    def listener(event) -> None:
        if isinstance(event, EpochDone) and event.phase == phase and event.epoch == epoch:
            stop.request()

    return listener


def comparable(result) -> list[tuple]:
    return [
        (
            r.b_classes,
            r.seed,
            r.test_acc_a,
            r.test_acc_b_scratch,
            r.test_acc_b_transfer,
            {phase: {k: v for k, v in h.items() if k != "seconds"} for phase, h in r.history.items()},
        )
        for r in result.seeds
    ]


@pytest.mark.parametrize(("seeds", "phase"), [("[3]", "b_finetune"), ("[3, 4]", "model_a"), ("[3, 4]", "b_scratch")])
def test_experiment_resumes_to_the_same_numbers(small_dataset: Dataset, tmp_path: Path, seeds: str, phase: str) -> None:
    config = apply_overrides(
        tiny_config(),
        [f"run.seeds={seeds}", "train_a.epochs=3", "transfer.unfrozen_epochs=3", "train_a.optimizer='adam'"],
    )
    never_stopped = run_experiment(config, small_dataset)

    checkpoints = Checkpoints(tmp_path / "checkpoints")
    stop = StopToken()
    before = []
    stopper = stop_at(stop, phase, 2)
    first = run_experiment(
        config, small_dataset, listener=lambda e: (before.append(e), stopper(e)), stop=stop, checkpoints=checkpoints
    )
    assert first.status == "cancelled"
    assert any(checkpoints.folder.iterdir())

    replayed = []
    resumed = run_experiment(config, small_dataset, listener=replayed.append, checkpoints=checkpoints)
    assert resumed.status == "finished"
    assert comparable(resumed) == comparable(never_stopped)
    # the epochs finished before the stop are reported again, so a view of the run is complete
    assert sum(isinstance(e, EpochDone) for e in replayed) == sum(
        len(h["loss"]) for r in resumed.seeds for h in r.history.values()
    )
    # ...but not trained again: no batch of theirs runs, and they keep the seconds they took before the stop
    plan = replayed[0].plan
    finished_before = {(e.phase, e.seed, e.epoch): e.metrics.seconds for e in before if isinstance(e, EpochDone)}
    trained_before = {(phase, epoch) for phase, _seed, epoch in finished_before}
    trained_after = {(plan[e.index].phase, e.epoch + 1) for e in replayed if isinstance(e, StepsDone)}
    everything = {(p.phase, epoch) for p in plan for epoch in range(1, p.epochs + 1)}
    assert trained_after == everything - trained_before
    for r in resumed.seeds:
        for (phase, seed, epoch), seconds in finished_before.items():
            if seed == r.seed:
                assert r.history[phase]["seconds"][epoch - 1] == seconds
    # and they say so: the epochs read back are marked, the ones trained now are not
    restored = {(plan[e.index].phase, e.seed, e.epoch) for e in replayed if isinstance(e, EpochDone) and e.restored}
    assert restored == set(finished_before)
    shown = []
    reporter = ConsoleReporter(Console(file=io.StringIO(), width=100), rows="all")
    reporter._print = shown.append
    for event in replayed:
        reporter(event)
    notes = [n for n, line in enumerate(shown) if line.startswith("(")]
    assert shown[notes[0]].startswith("(resumed: the epochs below were read back from the checkpoints")
    assert shown[notes[1]].startswith("(training resumes here: ")
    kept_rows = [line for line in shown[notes[0] : notes[1]] if line.endswith("kept")]
    assert len(kept_rows) == len(finished_before) and not any(line.endswith("kept") for line in shown[notes[1] :])


@pytest.mark.parametrize("seeds", ["[3]", "[3, 4]"])
def test_a_float16_run_resumes_with_its_loss_scales(small_dataset: Dataset, tmp_path: Path, seeds: str) -> None:
    """float16's loss scale and each member's own step count travel in the checkpoints (Keras' LossScaleOptimizer
    for one seed, the population's per-member scales for two), so a resumed run ends as one never stopped."""
    config = apply_overrides(
        tiny_config(),
        [f"run.seeds={seeds}", "train_a.epochs=3", "train_a.optimizer='adam'", "run.precision='float16'"],
    )
    never_stopped = run_experiment(config, small_dataset)
    checkpoints = Checkpoints(tmp_path / "checkpoints")
    stop = StopToken()
    first = run_experiment(
        config, small_dataset, listener=stop_at(stop, "model_a", 2), stop=stop, checkpoints=checkpoints
    )
    assert first.status == "cancelled"
    resumed = run_experiment(config, small_dataset, checkpoints=checkpoints)
    assert resumed.status == "finished" and comparable(resumed) == comparable(never_stopped)


def test_leaderboard_resumes_to_the_same_numbers(small_dataset: Dataset, tmp_path: Path) -> None:
    config = apply_overrides(
        tiny_config(), ["run.seeds=[1, 2]", "leaderboard.epochs=3", "leaderboard.optimizers=['sgd', 'adam', 'rmsprop']"]
    )
    never_stopped = run_leaderboard(config, small_dataset)
    checkpoints = Checkpoints(tmp_path / "checkpoints")
    stop = StopToken()

    def listener(event) -> None:  # stop in adam's second epoch
        if isinstance(event, EpochDone) and event.index == 1 and event.epoch == 2:
            stop.request()

    first = run_leaderboard(config, small_dataset, listener=listener, stop=stop, checkpoints=checkpoints)
    assert first.status == "cancelled" and [e.status for e in first.entries] == ["finished", "cancelled", "cancelled"]
    events = []
    resumed = run_leaderboard(config, small_dataset, listener=events.append, checkpoints=checkpoints)
    plan = events[0].plan
    # sgd and adam's first two epochs are not trained again
    assert {(plan[e.index].optimizer, e.epoch + 1) for e in events if isinstance(e, StepsDone)} == {
        ("adam", 3),
        ("rmsprop", 1),
        ("rmsprop", 2),
        ("rmsprop", 3),
    }
    assert resumed.entries[0].epoch_seconds == first.entries[0].epoch_seconds
    for a, b in zip(resumed.entries, never_stopped.entries, strict=True):
        assert a.status == b.status == "finished"
        for seed in (1, 2):
            np.testing.assert_array_equal(a.histories[seed]["val_loss"], b.histories[seed]["val_loss"])


def test_a_corrupt_checkpoint_is_set_aside_and_the_phase_starts_over(small_dataset: Dataset, tmp_path: Path) -> None:
    config = apply_overrides(tiny_config(), ["train_a.epochs=3"])
    never_stopped = run_experiment(config, small_dataset)
    checkpoints = Checkpoints(tmp_path / "checkpoints")
    stop = StopToken()
    run_experiment(config, small_dataset, listener=stop_at(stop, "model_a", 2), stop=stop, checkpoints=checkpoints)
    (first_phase,) = checkpoints.folder.glob("phase_b5-6_model_a_*.npz")
    first_phase.write_bytes(b"not a checkpoint")
    resumed = run_experiment(config, small_dataset, checkpoints=checkpoints)
    assert comparable(resumed) == comparable(never_stopped)
    assert [p.name.split(".corrupt-")[0] for p in checkpoints.folder.glob("*.corrupt-*")] == [first_phase.name]
