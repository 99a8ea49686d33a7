"""What a run costs, in FLOPs and so in time on this machine: before it starts, from its config alone (Fashion-MNIST's
class sizes, the network's multiply-adds, every phase's epochs); while it runs, from its plan. The rate comes from
the runs this machine finished before (run store records), so an estimate is this machine's, not a guess at one.
No TensorFlow here: Setup says how long a run will take before TensorFlow has loaded."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

from engine.classes import N_CLASSES
from engine.config import ExperimentConfig, NetworkConfig, config_to_dict, stored_config
from engine.config.presets import study_networks
from engine.config.race import race_tasks, task_config
from engine.errors import UserError
from engine.networks.sizes import multiply_adds, training_flops
from engine.phases import MODEL_A
from engine.progress import PlannedPhase

# Fashion-MNIST's training set: 6,000 images a class, 5,000 of the 60,000 kept for validation (about 500 a class)
TRAIN_PER_CLASS, VALID_PER_CLASS = 5_500, 500
A_CLASSES = N_CLASSES - 2
# a rate to estimate with before this machine has finished a run: what a dense population of a few members
# reached on a 2-core AMD EPYC (60 GFLOP/s), rounded down
UNMEASURED_FLOPS_PER_SECOND = 40e9
RATE_FROM_RUNS = 5  # the newest finished runs the rate is the median of


def member_epoch_flops(net: NetworkConfig, task: str, n_train_b: int = 200) -> float:
    """One member's epoch: task 'a' (8 classes), 'full' (10) or 'b' (two classes, `n_train_b` images)."""
    if task == "b":
        n_train, n_valid, outputs = min(n_train_b, 2 * TRAIN_PER_CLASS), 2 * VALID_PER_CLASS, 1
    else:
        classes = A_CLASSES if task == "a" else N_CLASSES
        n_train, n_valid, outputs = classes * TRAIN_PER_CLASS, classes * VALID_PER_CLASS, classes
    return training_flops(multiply_adds(net, outputs), n_train, n_valid)


def run_flops(config: ExperimentConfig, kind: str) -> float:
    """The FLOPs a run of `kind` ('experiment', 'map', 'study', 'tune', 'leaderboard', 'race') trains, model A included
    (a cached model A makes it less)."""
    seeds, pairs, n_b = len(config.run.seeds), len(config.split.pairs), config.split.n_train_b
    transfer = config.transfer
    b_epochs = transfer.frozen_epochs + transfer.unfrozen_epochs

    def a(net: NetworkConfig) -> float:
        return config.train_a.epochs * member_epoch_flops(net, "a")

    def b(net: NetworkConfig, epochs: float) -> float:
        return epochs * member_epoch_flops(net, "b", n_b)

    if kind == "race":  # each task's leaderboard in turn
        return sum(run_flops(task_config(config, task), "leaderboard") for task in race_tasks(config))
    if kind == "leaderboard":
        board = config.leaderboard
        task = {"a": "a", "full": "full"}.get(board.task, "b")
        race = len(board.optimizers) * (1 + board.budget) * board.epochs
        model_a = a(config.network) if board.task == "b_on_a" else 0.0
        return seeds * (model_a + race * member_epoch_flops(config.network, task, n_b))
    if kind == "tune":
        tune = config.tune
        trials = len(tune.arms) * (tune.budget * tune.epochs + b_epochs)  # every trial, and each arm's one-shot
        return seeds * pairs * (a(config.network) + b(config.network, trials))
    if kind == "study":
        cells = len([n for n in config.study_layers if n > 0]) * len(config.study.treatments)
        return seeds * (a(config.network) + b(config.network, (1 + cells) * b_epochs))
    networks = [net for _, net in study_networks(config)] if kind == "map" else [config.network]
    return seeds * pairs * sum(a(net) + b(net, 2 * b_epochs) for net in networks)


def entry_flops(planned: PlannedPhase, net: NetworkConfig, n_train_b: int = 200) -> float:
    """A plan entry's FLOPs, all its epochs and members: what a run in progress has done and has left."""
    task = "a" if planned.phase == MODEL_A else "b"
    return planned.epochs * len(planned.seeds) * member_epoch_flops(net, task, n_train_b)


def measured_rate(records: Iterable[Any], config: ExperimentConfig) -> float | None:
    """This machine's training rate (FLOP/s) for runs like `config`: the median, over its newest finished runs in
    this process (not merged, not on a cluster) in the same precision, of their FLOPs over their wall time. Runs of
    the same network count first, then of the same kind of network, then any (a tiny test network is far slower
    per FLOP than the notebook's); None before any such run finished."""
    tiers: list[list[float]] = [[], [], []]
    network = config_to_dict(config)["network"]
    for record in records:  # newest first
        run = _finished_rate(record)
        if run is None or run[0]["run"].get("precision", "float32") != config.run.precision:
            continue
        ran = run[0]["network"]
        tier = 0 if ran == network else 1 if ran["kind"] == network["kind"] else 2
        tiers[tier].append(run[1])
        if len(tiers[0]) >= RATE_FROM_RUNS:
            break
    chosen = next((rates for rates in tiers if rates), [])
    return statistics.median(chosen[:RATE_FROM_RUNS]) if chosen else None


_RATES: dict[tuple[str, float], tuple[dict, float] | None] = {}  # a finished run's rate never changes: read once


def _finished_rate(record: Any) -> tuple[dict, float] | None:
    """(config, FLOP/s) of a finished run that ran here, in one sitting, for long enough to time; else None."""
    if record.status != "finished" or record.ended_at is None:
        return None
    key = (record.id, record.ended_at)
    if key not in _RATES:
        _RATES[key] = _timed(record)
    return _RATES[key]


def _timed(record: Any) -> tuple[dict, float] | None:
    if record.options.get("merged_from"):
        return None
    seconds = record.ended_at - record.started_at
    if seconds < 1 or record.config.get("cluster", {}).get("address"):
        return None
    try:
        return record.config, run_flops(stored_config(record.config), record.kind) / seconds
    except (UserError, KeyError):  # a config this version cannot read: it says nothing of the rate
        return None


def estimate_seconds(config: ExperimentConfig, kind: str, rate: float | None) -> float:
    """How long a run of `kind` takes at `rate` (FLOP/s; None: the unmeasured default)."""
    return run_flops(config, kind) / (rate or UNMEASURED_FLOPS_PER_SECOND)


def about(seconds: float) -> str:
    """'about 40 s', 'about 3 min', 'about 2.5 h', 'about 6 days': a duration as rough as an estimate is."""
    if seconds < 90:
        return f"about {max(5, round(seconds / 5) * 5):.0f} s"
    if seconds < 90 * 60:
        return f"about {seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"about {seconds / 3600:.1f} h"
    return f"about {seconds / 86400:.0f} days"


LONG_RUN_SECONDS = 3600  # a run estimated at this or longer is said to be long before it starts
