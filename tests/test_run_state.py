"""What the Run screen shows, from engine events alone."""

import math

import pytest

from engine.config.arms import parse_arm
from engine.config.search import ONE_SHOT
from engine.progress import EpochDone, EpochMetrics, PhaseDone, PhaseStarted, PlannedPhase, RunPlanned, StepsDone
from engine.trains import BudgetTrial, SweepCell, TuneTrial
from tests.pilot import wait_for
from tui.state.run_state import RunState
from tui.widgets.curves import mean_curve
from tui.widgets.phase_strip import phase_strip_text

PLAN = (PlannedPhase("model_a", (1, 2), 2, 10, (5, 6)), PlannedPhase("b_frozen", (1, 2), 1, 2, (5, 6)))


def metrics(loss: float) -> EpochMetrics:
    return EpochMetrics(loss, 0.5, loss, 0.5, seconds=1.0)


def test_steps_and_curves_follow_the_events() -> None:
    state = RunState()
    state.apply(RunPlanned(PLAN))
    assert state.total_steps == 22
    state.apply(PhaseStarted(0, PLAN[0]))
    state.apply(StepsDone(0, epoch=1, step=4))
    assert state.completed_steps == 14
    state.apply(EpochDone(0, "model_a", 1, 1, 2, metrics(0.9)))
    state.apply(EpochDone(0, "model_a", 2, 1, 2, metrics(0.7)))
    assert state.completed_steps == 10
    assert {key: curves.loss for key, curves in state.current_curves().items()} == {(0, 1): [0.9], (0, 2): [0.7]}
    state.apply(PhaseDone(0))
    state.apply(PhaseStarted(1, PLAN[1]))
    assert state.completed_steps == 20 and state.current_curves() == {}
    text = phase_strip_text(state).plain
    assert text.startswith("Sandal vs Shirt, seeds 1-2 (1 of 1): ✓ Model A → ▶ B on A, frozen")


def test_mean_curve_skips_diverged_members() -> None:
    assert mean_curve([[1.0, 0.5], [3.0, math.nan], [2.0]]) == [2.0, 0.5]
    assert mean_curve([]) == []


async def test_curves_panel_plots_finite_members_and_leaves_out_diverged_ones(monkeypatch) -> None:
    from textual.app import App

    from tui.state.run_state import Curves
    from tui.widgets.curves import CurvesPanel

    class Plots(App):
        def compose(self):
            yield CurvesPanel()

    app = Plots()
    async with app.run_test(size=(80, 20)) as pilot:
        panel = app.query_one(CurvesPanel)
        handed: dict[str, dict[str, tuple]] = {}
        for plot_id in ("loss-plot", "accuracy-plot"):
            plt = panel.query_one(f"#{plot_id}").plt
            drawn = handed.setdefault(plot_id, {})
            monkeypatch.setattr(
                plt, "plot", lambda xs, ys, label, marker, drawn=drawn: drawn.update({label: (list(xs), list(ys))})
            )
        panel.show("nothing yet", {})
        assert handed == {"loss-plot": {}, "accuracy-plot": {}}  # nothing to draw: no series at all

        # seed 1 diverged in its second epoch; seed 2 did not
        one_diverged = {
            1: Curves([0.9, math.nan], [0.8, math.nan], [0.1, 0.2], [0.2, 0.3]),
            2: Curves([0.5, 0.4], [0.6, 0.5], [0.8, 0.9], [0.7, 0.8]),
        }
        panel.show("one diverged", one_diverged)
        assert handed["loss-plot"] == {
            "train (mean of 2)": ([1, 2], pytest.approx([0.7, 0.4])),  # epoch 2 is seed 2's alone
            "valid (mean of 2)": ([1, 2], pytest.approx([0.7, 0.5])),
        }
        assert handed["accuracy-plot"]["valid (mean of 2)"] == ([1, 2], pytest.approx([0.45, 0.55]))

        for drawn in handed.values():
            drawn.clear()
        panel.show("all diverged", {1: Curves([math.nan], [math.nan], [math.nan], [math.nan])})
        assert handed["loss-plot"] == {} and handed["accuracy-plot"] == {}  # NaN is never handed to plotext
        await wait_for(pilot, lambda: "all diverged" in str(panel.query_one("#loss-plot").render()))


GROUP = tuple(
    PlannedPhase(phase, (1, 2), 1, 5, pair, group=0)
    for phase in ("model_a", "b_frozen")
    for pair in ((5, 6), (0, 2), (7, 9))
)


def test_pairs_that_train_as_one_population_show_as_one_group() -> None:
    state = RunState()
    state.apply(RunPlanned(GROUP))
    for index in range(3):  # the group's model A phase starts for every pair
        state.apply(PhaseStarted(index, GROUP[index]))
    for index, loss in ((0, 0.9), (2, 0.5)):
        state.apply(EpochDone(index, "model_a", 1, 1, 1, metrics(loss)))
    text = phase_strip_text(state).plain
    assert text == "3 pairs, seeds 1-2, as one population (group 1 of 1): ▶ Model A → B on A, frozen"
    assert set(state.current_curves()) == {(0, 1), (2, 1)}  # every pair of the group, not the first alone
    for index in range(3):
        state.apply(PhaseDone(index))
    assert phase_strip_text(state).plain.endswith("✓ Model A → B on A, frozen")


async def test_progress_names_the_group_and_a_new_run_clears_the_last_ones_curves() -> None:
    from tests.conftest import tiny_config
    from tui.app.app import TransferApp
    from tui.widgets.curves import CurvesPanel

    app = TransferApp(tiny_config(), preload_engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        run = app.get_screen("run")
        app.action_show("run")
        await wait_for(pilot, lambda: app.screen is run and run.query(CurvesPanel))
        titles: list[str] = []
        panel = run.query_one(CurvesPanel)
        original = panel.show
        panel.show = lambda title, curves: (titles.append(title), original(title, curves))
        sweep = PlannedPhase("b_finetune", (1, 2), 1, 5, (5, 6), trains=SweepCell(parse_arm("BnB+:2")))
        run.start(tiny_config())
        run.apply(RunPlanned((sweep,)))
        run.apply(PhaseStarted(0, sweep))
        run.apply(EpochDone(0, "b_finetune", 1, 1, 1, metrics(0.4)))
        run._show_curves()
        assert titles[-1] == "BnB+ 2 fine-tune, seeds 1-2"
        run.start(tiny_config())  # the next run: nothing of the sweep stays on screen
        assert titles[-1] == ""
        run.apply(RunPlanned(GROUP))
        for index in range(3):
            run.apply(PhaseStarted(index, GROUP[index]))
        assert run.status == "3 pairs: Model A, seeds 1-2"
        run._show_curves()
        assert titles[-1] == "3 pairs: Model A, seeds 1-2"


def test_many_seeds_make_one_row_per_epoch_and_a_diverged_seed_is_counted() -> None:
    from tui.render.runs import mean_line
    from tui.state.epoch_rows import EpochRows

    planned = PlannedPhase("model_a", (1, 2, 3, 4), 2, 10, (5, 6))
    rows = EpochRows()
    first = [EpochDone(0, "model_a", seed, 1, 2, EpochMetrics(loss, 0.5, loss, acc, 2.0)) for seed, loss, acc in
             [(1, 0.5, 0.80), (2, 0.7, 0.70), (3, math.nan, 0.10), (4, 0.6, 0.90)]]  # fmt: skip
    assert [rows.add(event, planned) for event in first[:3]] == [[], [], []]
    (row,) = rows.add(first[3], planned)  # every seed reported: the row is complete
    assert row.loss == pytest.approx((0.6, 0.1)) and row.val_accuracy == pytest.approx((0.8, 0.1))
    assert row.worst == (0.70, 2) and row.diverged == (3,) and row.seeds == 4
    assert "0.600±0.100" in mean_line(row) and "80.00±10.00" in mean_line(row) and "1 diverged" in mean_line(row)
    # seed 3 reports no more: epoch 2's row is complete only when something else happens
    second = [EpochDone(0, "model_a", seed, 2, 2, EpochMetrics(0.4, 0.5, 0.4, 0.85, 2.0)) for seed in (1, 2, 4)]
    assert [rows.add(event, planned) for event in second] == [[], [], []]
    (row,) = rows.take()
    assert row.seeds == 3 and row.epoch == 2 and rows.take() == []


def test_pairs_that_train_together_count_their_steps_side_by_side() -> None:
    """Entries of one group run at the same time: each entry's steps count, not the last one's place."""
    plan = tuple(
        PlannedPhase(phase, (1,), epochs, steps, pair, group=0)
        for phase, epochs, steps in (("model_a", 2, 10), ("b_frozen", 1, 2))
        for pair in ((0, 1), (5, 6))
    )
    state = RunState()
    state.apply(RunPlanned(plan))
    assert state.total_steps == 2 * 20 + 2 * 2
    state.apply(PhaseStarted(0, plan[0]))
    state.apply(PhaseStarted(1, plan[1]))
    state.apply(StepsDone(0, epoch=0, step=6))
    state.apply(StepsDone(1, epoch=0, step=6))
    assert state.completed_steps == 12 and state.current == 0
    state.apply(PhaseDone(0))
    state.apply(PhaseDone(1))
    state.apply(PhaseStarted(2, plan[2]))
    state.apply(PhaseStarted(3, plan[3]))
    assert state.completed_steps == 40 and state.current == 2


def test_rows_say_their_pair_where_several_pairs_mix() -> None:
    """A group of pairs, or units side by side on a cluster, interleave their rows: each says its pair then."""
    from tui.render.runs import epoch_cells, epoch_line, several_pairs

    event = EpochDone(1, "b_frozen", 2, 1, 1, metrics(0.25))
    pairs = (PLAN[0], PlannedPhase("b_frozen", (1, 2), 1, 2, (0, 1)))
    assert not several_pairs(PLAN) and several_pairs(pairs)
    assert epoch_cells(event, pairs[1], several_pairs(PLAN))[:2] == ("2", "B on A, frozen")
    assert epoch_cells(event, pairs[1], several_pairs(pairs))[:2] == ("0,1 s2", "B on A, frozen")
    assert epoch_line(event, pairs[1], True).split()[:2] == ["0,1", "s2"]
    sweep = PlannedPhase("b_finetune", (1,), 1, 2, (5, 6), trains=SweepCell(parse_arm("AnB+:2")))
    assert epoch_cells(event, sweep)[1] == "AnB+ 2 fine-tune"


@pytest.mark.parametrize("rows", ["all", "mean"])
def test_the_cli_says_whose_rows_follow_when_units_interleave(rows: str, capsys) -> None:
    """Two units on a cluster, one pair each, report epochs in turns: every change of unit gets its title, so
    no row stands under the other pair's title."""
    import io

    from rich.console import Console

    from tui.cli.reporter import ConsoleReporter

    plan = tuple(
        PlannedPhase("model_a", (1, 2), 2, 5, pair, group=group) for group, pair in enumerate([(5, 6), (0, 1)])
    )
    with ConsoleReporter(Console(file=io.StringIO()), rows) as reporter:  # not a terminal: rows go to stdout
        reporter(RunPlanned(plan))
        for index in (0, 1):
            reporter(PhaseStarted(index, plan[index]))
        for epoch in (1, 2):
            for index in (0, 1):
                for seed in (1, 2):
                    reporter(EpochDone(index, "model_a", seed, epoch, 2, metrics(0.1 * (index + 1))))
    titles = {0: "── Sandal vs Shirt, seeds 1-2, as one population (group 1 of 2) ──",
              1: "── T-shirt/top vs Trouser, seeds 1-2, as one population (group 2 of 2) ──"}  # fmt: skip
    lines = [line.strip() for line in capsys.readouterr().out.splitlines() if "Model A" in line or "──" in line]
    per_row = 1 if rows == "mean" else 2
    expected = [
        line for _epoch in (1, 2) for index in (0, 1) for line in [titles[index]] + [f"row of {index}"] * per_row
    ]
    assert [line if "──" in line else f"row of {0 if '0.100' in line else 1}" for line in lines] == expected


async def test_a_single_value_plots_with_its_axis_the_right_way_up() -> None:
    import re

    from textual.app import App
    from textual_plotext import PlotextPlot

    from tui.widgets.curves import draw_epoch_curves

    class Plot(App):
        def compose(self):
            yield PlotextPlot()

    app = Plot()
    async with app.run_test(size=(60, 16)) as pilot:
        plot = app.query_one(PlotextPlot)
        # the live leaderboard once one optimizer had finished and the rest had no finite loss yet
        draw_epoch_curves(plot, "log10 validation loss", {"adam": [-0.3], "sgd": [math.nan]})
        await wait_for(pilot, lambda: "┤" in str(plot.render()))
        text = str(plot.render())
        ticks = [float(match) for match in re.findall(r"(-?\d+\.\d+)┤", text)]
        assert len(ticks) >= 2 and ticks == sorted(ticks, reverse=True)  # the highest value at the top
        assert min(ticks) < -0.3 < max(ticks)


def test_a_tunings_trials_and_its_one_shot_make_rows_of_their_own_with_their_own_epochs() -> None:
    """Four trials of 3 epochs beside the notebook's configuration (20 epochs), one population: the trials' rows
    count to 3, the one-shot's rows say so and count to 20, and the title counts the trials alone."""
    from tui.render.runs import group_title, mean_line, phase_label
    from tui.state.epoch_rows import EpochRows

    scratch = parse_arm("scratch")
    trials = [PlannedPhase("b_scratch", (1, 2), 3, 7, (5, 6), trains=TuneTrial(scratch, n), group=0) for n in range(4)]
    once = PlannedPhase("b_scratch", (1, 2), 20, 7, (5, 6), trains=TuneTrial(scratch, ONE_SHOT), group=0)
    plan = (*trials, once)
    assert group_title(list(plan), 0) == (
        "Sandal vs Shirt, scratch: 4 trials and the notebook's configuration once, x seeds 1-2, as one population"
    )
    assert phase_label(once) == "one-shot scratch" and phase_label(trials[0]) == "B from scratch"
    rows = EpochRows(plan)
    made = []
    for index, planned in enumerate(plan):
        for seed in (1, 2):
            made += rows.add(EpochDone(index, "b_scratch", seed, 1, 20, metrics(0.5)), planned)
    made += rows.take()
    assert [(row.seeds, phase_label(row.planned), row.epochs) for row in made] == [
        (8, "B from scratch", 3),
        (2, "one-shot scratch", 20),
    ]
    assert " 1/3 " in mean_line(made[0]) and " 1/20 " in mean_line(made[1])
    assert made[0].worst_pair is None  # one pair: the worst seed is named without it


def test_a_leaderboards_trials_are_titled_by_their_optimizer() -> None:
    from tui.render.runs import group_title, phase_label

    plan = [PlannedPhase("model_a", (1,), 1, 9, (5, 6), None, BudgetTrial("adam", n), 0) for n in (0, 1)]
    assert group_title(plan, 0) == "adam: 2 trials x seed 1 as one population"
    assert phase_label(plan[0]) == "adam trials"


def test_the_cli_says_where_each_seeds_model_a_comes_from() -> None:
    from tui.cli.reporter import model_a_line

    def entries(phase: str, seeds: tuple, pair=(5, 6)) -> PlannedPhase:
        return PlannedPhase(phase, seeds, 1, 1, pair, group=0)

    b = entries("b_frozen", (1, 2, 3))
    one_trains = model_a_line([entries("model_a", (3,)), b])
    assert one_trains == "Model A from the cache for seeds 1-2; training it for seed 3."
    assert model_a_line([b]) == "Model A from the cache for seeds 1-3."
    assert model_a_line([entries("model_a", (1, 2, 3)), b]) == ""  # every seed trains its own: nothing to say
    assert model_a_line([b], "a.keras") == "Model A from a.keras for every seed."
    over_pairs = [entries("model_a", (1, 2), (0, 1)), *(entries("b_frozen", (1, 2), p) for p in ((0, 1), (5, 6)))]
    assert model_a_line(over_pairs) == (
        "Model A from the cache for 2 of 4 seed runs over 2 pairs (every seed of 1 pair); training it for the other 2."
    )
    race = PlannedPhase("model_a", (1, 2), 1, 1, (5, 6), "adam")  # a race on task A trains no B
    assert model_a_line([race]) == ""
    # a race of B from scratch at an equal budget (its trials name no optimizer) starts from no model A
    trials = PlannedPhase("b_scratch", (1, 2), 1, 1, (5, 6), trains=BudgetTrial("adam", 0), group=0)
    assert model_a_line([trials]) == ""
    on_a = PlannedPhase("b_finetune", (1, 2), 1, 1, (5, 6), "adam")  # a race of B on A does
    assert model_a_line([on_a]) == "Model A from the cache for seeds 1-2."


def test_the_time_left_weighs_each_step_and_starts_from_the_first_epochs_end() -> None:
    """Model A's steps (44,000 images an epoch) weigh more than B's; the first epoch, which also loaded and compiled,
    is not taken for the rate: the rate is measured from its end."""
    from engine.config import ExperimentConfig
    from engine.execution.cost import entry_flops
    from tui.state.run_clock import RunClock

    config = ExperimentConfig()
    plan = (PlannedPhase("model_a", (1,), 2, 100, (5, 6)), PlannedPhase("b_scratch", (1,), 4, 7, (5, 6)))
    work = [entry_flops(planned, config.network) for planned in plan]
    state, clock = RunState(), RunClock(config)
    for event in (RunPlanned(plan), PhaseStarted(0, plan[0])):
        state.apply(event)
        clock.apply(event, state, now=0.0)
    assert clock.words(state, now=1.0) == "timing it"  # nothing to go on yet
    first = EpochDone(0, "model_a", 1, 1, 2, metrics(0.5))
    state.apply(first)
    clock.apply(first, state, now=30.0)  # the first epoch took 30 s, most of it compiling
    assert clock.words(state, now=31.0) == "timing it"  # too soon to read a rate
    state.apply(StepsDone(0, epoch=1, step=50))  # half of the second epoch in 5 s: 10 s an epoch of A
    left = clock.seconds_left(state, now=35.0)
    assert left == pytest.approx(5.0 + work[1] / (work[0] / 2 / 10.0))  # the rest of A, then B at that rate
    assert clock.words(state, now=35.0) == f"about {round(left / 5) * 5:.0f} s left"
    prior = RunClock(config, prior_rate=work[0] / 100.0)
    prior.apply(RunPlanned(plan), RunState(), now=0.0)
    assert prior.seconds_left(RunState(plan=plan), now=0.0) == pytest.approx(100.0 + 100.0 * work[1] / work[0])
