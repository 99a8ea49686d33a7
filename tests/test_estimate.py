"""How long a run takes, said before it starts: its FLOPs from the config, this machine's rate from its own
finished runs, the words, and the warning when it is long."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from engine.config import ExperimentConfig, apply_overrides, config_to_dict
from engine.execution.cost import (
    UNMEASURED_FLOPS_PER_SECOND,
    about,
    entry_flops,
    measured_rate,
    member_epoch_flops,
    run_flops,
)
from engine.kinds import EXPERIMENT, KINDS
from engine.networks.sizes import multiply_adds, training_flops
from engine.progress import PlannedPhase
from engine.storage.store import RunRecord
from tui.state.stored import estimate


def record(config: ExperimentConfig, seconds: float, status: str = "finished", **options) -> RunRecord:
    number = len(options) + int(seconds * 1000)
    return RunRecord(
        f"run-{number}", "experiment", status, config_to_dict(config), 1000.0, 1000.0 + seconds, {}, "CPU", "/r",
        None, options,
    )  # fmt: skip


def test_a_runs_flops_count_every_phase_of_every_seed_and_pair() -> None:
    config = apply_overrides(ExperimentConfig(), ["run.seeds=[1, 2]", "split.extra_pairs=[[0, 2]]"])
    net = config.network
    a = training_flops(multiply_adds(net, 8), 8 * 5_500, 8 * 500)
    b = training_flops(multiply_adds(net, 1), 200, 1_000)
    assert member_epoch_flops(net, "a") == a and member_epoch_flops(net, "b") == b
    assert run_flops(config, "experiment") == pytest.approx(2 * 2 * (20 * a + 2 * (4 + 16) * b))
    tuned = run_flops(config, "tune")  # 2 arms x (16 trials x 40 epochs, and the one-shot's 20)
    assert tuned == pytest.approx(2 * 2 * (20 * a + 2 * (16 * 40 + 20) * b))
    assert all(run_flops(config, kind) > 0 for kind in KINDS)
    planned = PlannedPhase("model_a", (1, 2), 20, 1375)
    assert entry_flops(planned, net) == pytest.approx(2 * 20 * a)


def test_the_rate_is_this_machines_from_runs_like_this_one() -> None:
    seed = ExperimentConfig()
    tiny = apply_overrides(seed, ["network.hidden=[16]"])
    assert measured_rate([], seed) is None
    flops = run_flops(seed, "experiment")
    runs = [record(tiny, 100.0), record(seed, flops / 60e9), record(seed, flops / 50e9), record(seed, flops / 70e9)]
    assert measured_rate(runs, seed) == pytest.approx(60e9)  # the same network's runs, not the tiny one's
    assert measured_rate(runs[:1], seed) == pytest.approx(run_flops(tiny, "experiment") / 100)  # else any
    skipped = [
        record(seed, 10.0, "cancelled"),
        record(seed, 10.0, merged_from=["a", "b"]),
        record(apply_overrides(seed, ["run.precision='bfloat16'"]), 10.0),
    ]
    assert measured_rate(skipped, seed) is None


def test_an_estimate_says_how_it_was_made_and_when_it_is_long() -> None:
    seed = ExperimentConfig()
    flops = run_flops(seed, "experiment")
    guessed = estimate(seed, "experiment", [])
    assert guessed.seconds == pytest.approx(flops / UNMEASURED_FLOPS_PER_SECOND) and not guessed.measured
    assert guessed.words.endswith("(a guess: no run like it has timed this machine yet)")
    measured = estimate(seed, "experiment", [record(seed, 120.0)])
    assert measured.seconds == pytest.approx(120.0) and measured.words == "about 2 min on this machine"
    huge = estimate(apply_overrides(seed, [f"run.seeds={list(range(1, 1001))}"]), "experiment", [record(seed, 120.0)])
    assert huge.words == "about 33.3 h on this machine" and huge.long  # 1,000 seeds of 2 min
    assert not measured.long
    assert [about(s) for s in (3, 44, 200, 5400, 7 * 86400)] == [
        "about 5 s",
        "about 45 s",
        "about 3 min",
        "about 1.5 h",
        "about 7 days",
    ]


def test_the_cli_says_so_before_tensorflow_loads(isolated_home) -> None:
    from tui.cli.execute import _say_how_long

    console = Console(file=io.StringIO(), width=200)
    seeds = apply_overrides(ExperimentConfig(), [f"run.seeds={list(range(1, 3001))}"])
    _say_how_long(console, EXPERIMENT, seeds, resume=False)
    said = console.file.getvalue().splitlines()
    assert said[0].startswith("Estimated time: about ") and said[0].endswith(
        "(a guess: no run like it has timed this machine yet)."
    )
    assert said[1].startswith("That is long: about ") and "Ctrl-C stops it" in said[1]
    console = Console(file=io.StringIO(), width=200)
    _say_how_long(console, EXPERIMENT, ExperimentConfig(), resume=False)
    assert len(console.file.getvalue().splitlines()) == 1
