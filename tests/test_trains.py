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


def test_a_runner_takes_a_cells_or_an_arms_entries_as_the_plan_has_them() -> None:
    """The sweep trains each cell's entries and the tuning each arm's, as the plan lists them (their phases,
    epochs and a trial's values), so planning and running cannot drift; seeds that differ are refused."""
    from engine.execution.plan import PlanCursor
    from engine.phases import B_FINETUNE, B_FROZEN, B_SCRATCH

    seeds = (1, 2)
    two, three = SweepCell(parse_arm("AnB:2")), SweepCell(parse_arm("AnB+:3"))
    sweep = [
        PlannedPhase(B_SCRATCH, seeds, 5, 7),
        PlannedPhase(B_FINETUNE, seeds, 4, 7, trains=two),  # no frozen epochs: the plan leaves that phase out
        PlannedPhase(B_FROZEN, seeds, 1, 7, trains=three),
        PlannedPhase(B_FINETUNE, seeds, 4, 7, trains=three),
    ]
    cursor = PlanCursor(sweep)
    cursor.take(B_SCRATCH, seeds)
    assert [(index, p.phase) for index, p in cursor.take_all(seeds, two)] == [(1, B_FINETUNE)]
    assert [(index, p.epochs) for index, p in cursor.take_all(seeds, three)] == [(2, 1), (3, 4)]
    assert cursor.take_all(seeds, two) == []

    arm = parse_arm("transfer")
    trials = [TuneTrial(arm, number, (("learning_rate", 0.1 * (number + 1)),)) for number in range(2)]
    tuning = [PlannedPhase(phase, seeds, 3, 7, trains=t, group=0) for phase in (B_FROZEN, B_FINETUNE) for t in trials]
    cursor = PlanCursor(tuning)
    frozen = cursor.take_group(B_FROZEN)
    assert [p.trains.drawn for _, p in frozen] == [{"learning_rate": 0.1}, {"learning_rate": 0.2}]
    with pytest.raises(RuntimeError, match="plan entry 2 is"):
        cursor.take_group(B_SCRATCH)


@pytest.mark.parametrize("draws", ["shared", "per_seed"])
def test_a_tunings_plan_carries_each_seeds_drawn_values(small_dataset, draws: str) -> None:
    from engine.config.search import arm_trials

    config = apply_overrides(
        tiny_config(), ["tune.budget=3", "tune.epochs=4", "run.seeds=[1,2]", f"tune.draws={draws!r}"]
    )
    plan = plan_tune(config, small_dataset, set())
    for arm in config.tune.ordered_arms:
        planned = [p for p in plan if isinstance(p.trains, TuneTrial) and p.trains.arm.name == arm]
        for seed in (1, 2):
            drawn = dict(arm_trials(config, arm, seed))
            own = [p.trains for p in planned if seed in p.seeds]
            assert own and all(trial.drawn == drawn[trial.number] for trial in own)
        # shared: one entry per trial for both seeds; per seed: one entry per trial and seed, with its own values
        assert {p.seeds for p in planned} == ({(1, 2)} if draws == "shared" else {(1,), (2,)})
    per_seed = [dict(arm_trials(config, "scratch", seed)) for seed in (1, 2)]
    assert (per_seed[0] == per_seed[1]) == (draws == "shared")
