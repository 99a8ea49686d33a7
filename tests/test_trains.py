"""What a plan entry trains is a value (a sweep's cell, a map's network, a tuning's or a leaderboard's trial); its
key is the string plan entries had before, so checkpoints and epochs stored by earlier versions are found."""

from __future__ import annotations

import pytest

from engine.config import apply_overrides, config_to_dict
from engine.config.arms import parse_arm
from engine.config.search import ONE_SHOT
from engine.progress import PlannedPhase
from engine.results.tune import TuneResult
from engine.studies.tune import plan_tune, tuning_arm
from engine.trains import BudgetTrial, Network, SweepCell, TuneTrial
from tests.conftest import tiny_config
from tui.render.runs import group_title, phase_label

PREFIX = "b5-6_b_finetune_own_a36b1f2c3f84"  # pair, phase, optimizer and the seeds' hash


@pytest.mark.parametrize(
    ("trains", "key"),
    [  # the keys version 0c3f036 gave the same entries, named by strings then
        (SweepCell(parse_arm("AnB+:2")), f"{PREFIX}_AnB+-2"),
        (Network("dense"), f"{PREFIX}_dense"),
        (TuneTrial(parse_arm("transfer"), 2), f"{PREFIX}_tune-transfer-3"),
        (TuneTrial(parse_arm("AnB+:2"), ONE_SHOT), f"{PREFIX}_tune-AnB+:2-one-shot"),
        (BudgetTrial("adam", 2), f"{PREFIX}_budget-adam-3"),
        (None, PREFIX),
    ],
)
def test_an_entrys_key_is_what_earlier_versions_stored(trains, key: str) -> None:
    assert PlannedPhase("b_finetune", (1, 2, 3), 4, 7, (5, 6), None, trains, 0).key == key


def test_a_tuning_that_reuses_bs_layers_titles_its_transfer_arm_b_on_b(small_dataset) -> None:
    """[transfer] source = "b": the transfer arm is B on B (the selffer control) in the plan, the rows and the
    report, never B on A."""
    config = apply_overrides(
        tiny_config(), ["transfer.source='b'", "tune.budget=2", "tune.epochs=3", "run.seeds=[1]"]
    )  # fmt: skip
    assert tuning_arm(config, "transfer").title == "B on B"
    plan = plan_tune(config, small_dataset, set())
    transfer = [p for p in plan if isinstance(p.trains, TuneTrial) and p.trains.arm.name == "transfer"]
    assert transfer and all(p.trains.arm.source == "b" for p in transfer)
    assert {phase_label(p) for p in transfer if not p.one_shot} == {"B on B, frozen", "B on B, fine-tune"}
    assert group_title(plan, transfer[0].group).startswith("Sandal vs Shirt, transfer: 2 trials")

    assert TuneResult(config_to_dict(config), [], "finished", "CPU").arm_of("transfer").title == "B on B"
