"""Snapshot tests of every screen at 80x24 (the form also at 120x40, the results tall enough to show whole),
fed with fixed numbers so they are stable."""

from __future__ import annotations

from pathlib import Path

from engine.kinds import MAP
from engine.progress import EpochDone, EpochMetrics, PhaseDone, PhaseStarted, PlannedPhase, RunPlanned
from engine.results.experiment import ExperimentResult, SeedResult
from engine.results.pair_map import MapResult
from tests.conftest import synthetic_dataset, tiny_config
from tests.pilot import open_history, wait_for
from tui.app.app import TransferApp

PLAN = (
    PlannedPhase("model_a", (42,), 3, 1375),
    PlannedPhase("b_frozen", (42,), 2, 7),
    PlannedPhase("b_finetune", (42,), 2, 7),
    PlannedPhase("b_scratch", (42,), 4, 7),
)


def offline_app() -> TransferApp:
    """The app without its engine thread, so nothing changes behind the snapshot's back."""
    dataset = synthetic_dataset(n_train=5_100, n_test=100)
    return TransferApp(tiny_config(), load_dataset=lambda _c: dataset, preload_engine=False)


def replay_first_phases(app: TransferApp) -> None:
    """Model A done, B frozen half done: the events a real run would send, with fixed numbers."""
    run = app.get_screen("run")
    run.start(tiny_config())
    run.clock = None  # the time left is read off the wall clock: a loaded machine would show another figure
    run.apply(RunPlanned(PLAN))
    run.apply(PhaseStarted(0, PLAN[0]))
    for epoch, (loss, acc) in enumerate([(0.61, 0.82), (0.37, 0.87), (0.33, 0.89)], start=1):
        metrics = EpochMetrics(loss, acc, loss - 0.05, acc + 0.02, seconds=2.5)
        run.apply(EpochDone(0, "model_a", 42, epoch, 3, metrics))
    run.apply(PhaseDone(0))
    run.apply(PhaseStarted(1, PLAN[1]))
    run.apply(EpochDone(1, "b_frozen", 42, 1, 2, EpochMetrics(0.33, 0.91, 0.32, 0.92, seconds=0.3)))


def fixed_history(seed: int) -> dict:
    """Validation accuracy per epoch of every phase, a little different per seed."""
    rise = [0.70, 0.80, 0.85, 0.87, 0.88, 0.885]
    return {
        "model_a": {"val_accuracy": [a + 0.002 * seed for a in rise]},
        "b_frozen": {"val_accuracy": [0.80 + 0.01 * seed, 0.86]},
        "b_finetune": {"val_accuracy": [0.90, 0.93, 0.95, 0.96]},
        "b_scratch": {"val_accuracy": [0.60, 0.75, 0.85, 0.90, 0.93, 0.95 - 0.002 * seed]},
    }


def fixed_result() -> ExperimentResult:
    config = {"split": {"b_classes": [5, 6], "n_train_b": 200, "extra_pairs": [[0, 2]]}, "run": {"seeds": [1, 2, 3]}}
    seeds = [
        SeedResult(1, (5, 6), 0.8921, 0.9650, 0.9710, history=fixed_history(1)),
        SeedResult(2, (5, 6), 0.8876, 0.9705, 0.9640, history=fixed_history(2)),
        SeedResult(3, (5, 6), 0.8902, 0.9680, 0.9680, history=fixed_history(3)),
        SeedResult(1, (0, 2), 0.9012, 0.9100, 0.9235, history=fixed_history(1)),
        SeedResult(2, (0, 2), 0.8987, 0.9050, 0.9180, history=fixed_history(2)),
        SeedResult(3, (0, 2), 0.9030, 0.9125, 0.9200, history=fixed_history(3)),
    ]
    return ExperimentResult(config, seeds, "finished", "CPU")


def test_setup_screen(snap_compare) -> None:
    assert snap_compare(offline_app(), terminal_size=(80, 24))


def test_setup_screen_large(snap_compare) -> None:
    assert snap_compare(offline_app(), terminal_size=(120, 40))


def test_setup_screen_with_an_error(snap_compare) -> None:
    async def type_bad_value(pilot) -> None:
        field = pilot.app.screen.query_one("#field-n_train_b")
        field.cursor_blink = False  # a blinking cursor was caught on or off depending on the machine's load
        field.focus()
        await pilot.press("end", "backspace", "backspace", "x")

    assert snap_compare(offline_app(), terminal_size=(80, 24), run_before=type_bad_value)


def test_run_screen(snap_compare) -> None:
    async def show_progress(pilot) -> None:
        app = pilot.app
        app.sub_title = "CPU"
        app.action_show("run")
        run = app.get_screen("run")
        await wait_for(pilot, lambda: app.screen is run and run.composed)
        replay_first_phases(app)
        run._show_curves_if_changed()  # else the curves wait for the refresh timer, load permitting
        await wait_for(pilot, lambda: run.query_one("#epochs").row_count == 4)

    assert snap_compare(offline_app(), terminal_size=(80, 24), run_before=show_progress)


def test_results_screen(snap_compare) -> None:
    async def show_results(pilot) -> None:
        app = pilot.app
        app.sub_title = "CPU"
        one_pair = fixed_result()
        one_pair = ExperimentResult(
            {**one_pair.config, "split": {"b_classes": [5, 6], "n_train_b": 200}},
            one_pair.seeds_of((5, 6)),
            "finished",
            "CPU",
        )
        app.get_screen("results").show_result(one_pair, run_dir=Path("/runs/x"))
        app.action_show("results")
        await wait_for(pilot, lambda: app.screen.id == "results" and app.screen.query("#results-view"))

    # one pair (a run over several shows maps: test_map_results_screen): its table, verdict and curves
    assert snap_compare(offline_app(), terminal_size=(80, 44), run_before=show_results)


def test_help_screen(snap_compare) -> None:
    assert snap_compare(offline_app(), terminal_size=(80, 24), press=["f1"])


def fixed_leaderboard():
    from engine.config import ExperimentConfig, config_to_dict
    from engine.results.leaderboard import LeaderboardResult, OptimizerEntry

    config = config_to_dict(ExperimentConfig())
    config["run"]["seeds"] = [1, 2]
    config["leaderboard"]["epochs"] = 3
    curves = {
        "adam": ([0.40, 0.31, 0.27], [0.86, 0.89, 0.90]),
        "sgd": ([0.60, 0.48, 0.43], [0.80, 0.84, 0.86]),
        "momentum": ([0.45, 0.35, 0.30], [0.85, 0.88, 0.89]),
    }
    entries = []
    for name, (losses, accuracies) in curves.items():
        histories = {
            seed: {
                "val_loss": [v + 0.01 * seed for v in losses],
                "val_accuracy": [a - 0.001 * seed for a in accuracies],
            }
            for seed in (1, 2)
        }
        entries.append(OptimizerEntry(name, {}, histories, [], [1.5, 1.2, 1.2], "finished"))
    entries.append(
        OptimizerEntry(
            "adagrad",
            {},
            {
                1: {"val_loss": [float("nan")], "val_accuracy": [0.1]},
                2: {"val_loss": [float("nan")], "val_accuracy": [0.1]},
            },
            [1, 2],
            [1.0],
            "diverged",
        )
    )
    return LeaderboardResult(config, entries, "finished", "CPU")


def test_leaderboard_screen(snap_compare) -> None:
    async def show_board(pilot) -> None:
        app = pilot.app
        app.sub_title = "CPU"
        app.action_show("leaderboard")
        board = app.get_screen("leaderboard")
        await wait_for(pilot, lambda: app.screen is board)
        board.show_result(fixed_leaderboard(), caption="Fixed leaderboard")
        await wait_for(pilot, lambda: board.query_one("#board").row_count == 4)

    assert snap_compare(offline_app(), terminal_size=(80, 24), run_before=show_board)


def test_history_screen(snap_compare, tmp_path: Path, monkeypatch) -> None:
    from tests.test_app_history import store_two_runs

    monkeypatch.delenv("TRANSFER_TUI_HOME")  # the default home, ./resources, so that its caption is the same anywhere
    monkeypatch.chdir(tmp_path)
    store_two_runs(tmp_path / "resources")
    assert snap_compare(offline_app(), terminal_size=(80, 24), run_before=open_history)


def _map_result() -> MapResult:
    """Two networks over five pairs with fixed gains (the cnn 0.6 points more in each)."""
    gains = {(0, 1): -0.031, (0, 2): 0.004, (5, 6): -0.002, (7, 9): 0.012, (2, 4): -0.008}
    networks = {}
    for name, shift in (("dense", 0.0), ("cnn", 0.006)):
        seeds = [
            SeedResult(seed, pair, 0.9, 0.95, 0.95 + gain + shift + 0.002 * (seed - 2), {})
            for pair, gain in gains.items()
            for seed in (1, 2, 3)
        ]
        config = {"network": {"kind": name}, "run": {"seeds": [1, 2, 3]}, "split": {"n_train_b": 200}}
        networks[name] = ExperimentResult(config, seeds, "finished", "CPU")
    return MapResult({"run": {"seeds": [1, 2, 3]}}, networks, "finished", "CPU")


def test_map_results_screen(snap_compare) -> None:
    async def show_maps(pilot) -> None:
        pilot.app.show_result(MAP, _map_result(), Path("/tmp/run"))
        results = pilot.app.get_screen("results")
        await wait_for(pilot, lambda: pilot.app.screen is results and results.query("#map-dense"))
        results.query_one("#map-dense").focus()
        await pilot.press("down")  # from Trouser/T-shirt to Pullover/T-shirt: the pair (0, 2)
        await wait_for(pilot, lambda: results.chosen == ("dense", (0, 2)))

    assert snap_compare(offline_app(), terminal_size=(80, 60), run_before=show_maps)
