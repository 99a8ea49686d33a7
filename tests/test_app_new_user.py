"""What a new user tripped over in the app (issue 19), each driven with Pilot the way the user did it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import msgspec
from textual.widgets import Input, Static

from engine.data.fashion_mnist import Dataset
from tests.conftest import tiny_config
from tests.pilot import shown_text, wait_for
from tests.test_app import palette_offers
from tui.app.app import TransferApp
from tui.screens.help import HelpScreen


def make_app(dataset: Dataset, **kwargs) -> TransferApp:
    return TransferApp(tiny_config(), load_dataset=lambda _config: dataset, preload_engine=False, **kwargs)


async def test_escape_leaves_a_text_field_so_a_digit_switches_views(small_dataset: Dataset) -> None:
    app = make_app(small_dataset)
    async with app.run_test(size=(80, 24)) as pilot:
        seeds = app.screen.query_one("#field-seeds", Input)
        seeds.focus()
        await pilot.press("ctrl+a", "ctrl+k", *"1-2", "escape")  # select all is not bound: clear from the start
        await wait_for(pilot, lambda: not isinstance(app.focused, Input))  # the form itself, not another field
        await pilot.press("6")
        await wait_for(pilot, lambda: app.screen.id == "study")
        assert seeds.value == "1-2"
        assert app.get_screen("setup").validate().run.seeds == (1, 2)


async def test_help_says_where_the_number_keys_work(small_dataset: Dataset) -> None:
    app = make_app(small_dataset)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = shown_text(app.screen.query_one(Static))
        study_line = next(line for line in keys.splitlines() if "f7 / 6" in line)
        assert "not in a text field" in study_line
        assert "1 - 5" not in keys and "F2-F6" not in keys
        assert "escape" in keys and "leave the field" in keys


async def test_notifications_keep_brackets(small_dataset: Dataset) -> None:
    from textual.widgets._toast import Toast

    app = make_app(small_dataset)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        app.notify("settings.toml: unknown section [theme]")
        await wait_for(pilot, lambda: app.screen.query(Toast))
        (toast,) = app.screen.query(Toast)
        assert "unknown section [theme]" in str(toast.render())


async def test_study_and_help_name_the_fields_they_mean(small_dataset: Dataset) -> None:
    app = make_app(small_dataset)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.press("escape", "6")
        await wait_for(pilot, lambda: app.screen.id == "study")
        caption = " ".join(shown_text(app.screen.query_one("#study-caption", Static)).split())
        assert "choose the sweep depths and treatments in Setup" in caption and "  " not in caption
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = " ".join(shown_text(app.screen.query_one(Static), width=250).split())
        assert "(Setup's sweep depths and treatments)" in keys and "( layers" not in keys


async def test_export_goes_to_the_run_folder_keeps_the_dialog_on_a_bad_name_and_asks_before_replacing(
    small_dataset: Dataset, tmp_path: Path
) -> None:
    from engine.kinds import EXPERIMENT
    from tests.test_snapshots import fixed_result
    from tui.screens.dialogs import ConfirmDialog, PathDialog

    app = make_app(small_dataset)
    previous = os.umask(0o022)
    try:
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            app.show_result(EXPERIMENT, fixed_result(), tmp_path)
            await wait_for(pilot, lambda: app.screen.id == "results")

            async def export_dialog() -> Input:
                await pilot.press("e")
                await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
                return app.screen.query_one("#dialog-path", Input)

            path = await export_dialog()
            assert path.value == str(tmp_path / "experiment.csv")  # the run's folder, as the CLI writes
            path.value = str(tmp_path / "table.txt")
            await pilot.press("enter")
            error = app.screen.query_one("#dialog-error", Static)
            await wait_for(pilot, lambda: "Name the file .csv, .json or .md" in str(error.render()))
            assert isinstance(app.screen, PathDialog)  # still open, saying why
            path.value = str(tmp_path / "missing" / "table.csv")  # a folder that does not exist yet is made
            await pilot.press("enter")
            await wait_for(pilot, lambda: (tmp_path / "missing" / "table.csv").is_file())
            path = await export_dialog()
            path.value = str(tmp_path / "experiment.csv")
            await pilot.press("enter")
            written = tmp_path / "experiment.csv"
            await wait_for(pilot, lambda: written.is_file())
            assert written.read_text().startswith("b_pair,seed,test_acc_a")
            assert stat.S_IMODE(written.stat().st_mode) == 0o644
            await wait_for(pilot, lambda: f"Wrote {written}" in [n.message for n in app._notifications])
            written.write_text("mine")
            await export_dialog()
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.press("n")
            await wait_for(pilot, lambda: app.screen.id == "results")
            assert written.read_text() == "mine"  # kept
            await export_dialog()
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.press("y")
            await wait_for(pilot, lambda: written.read_text().startswith("b_pair,seed"))
    finally:
        os.umask(previous)


async def test_a_finished_run_does_not_pull_a_user_out_of_setup(small_dataset: Dataset) -> None:
    app = make_app(small_dataset)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.screen.id == "run")
        app.action_show("setup")  # the user goes back to edit the next run
        field = app.screen.query_one("#field-n_train_b", Input)
        field.focus()
        await wait_for(pilot, lambda: app.running is None)
        assert app.screen.id == "setup" and app.focused is field
        assert "The transfer experiment finished: see Results (f4 / 3)." in [n.message for n in app._notifications]
        assert app.get_screen("results").result is not None  # ready there
        await pilot.press("escape", "3")
        await wait_for(pilot, lambda: app.screen.id == "results")


async def test_the_command_palette_has_every_action_and_keys_once(small_dataset: Dataset) -> None:
    from tui.screens.dialogs import PathDialog

    app = make_app(small_dataset)
    async with app.run_test(size=(100, 30)) as pilot:
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert titles.count("Keys") == 1
        for wanted in ("Results: Export", "Optimizers: Export", "Setup: Save", "Setup: Load", "History: Resume"):
            assert wanted in titles
        await pilot.press("ctrl+p", *"setup: save")
        await wait_for(pilot, lambda: palette_offers(app, "Setup: Save"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
        assert "Save experiment" in app.screen.title_text


async def test_an_unticked_box_is_empty_and_the_focused_field_stands_out(small_dataset: Dataset) -> None:
    from textual.widgets import Checkbox

    app = make_app(small_dataset)
    async with app.run_test(size=(80, 24)) as pilot:
        box = app.screen.query_one("#field-batch_norm", Checkbox)
        assert not box.value and "X" not in box.render().plain
        box.value = True
        await wait_for(pilot, lambda: "X" in box.render().plain)
        field, other = app.screen.query_one("#field-n_train_b", Input), app.screen.query_one("#field-hidden", Input)
        field.focus()
        await wait_for(pilot, lambda: field.has_focus and field.styles.background != other.styles.background)
        focused, rest = field.styles.background, other.styles.background
        assert sum(abs(a - b) for a, b in zip(focused.rgb, rest.rgb, strict=True)) > 60
        from textual.widgets import Label

        for field_id in ("positive_class", "n_train_b", "batch_norm", "hidden"):  # the label follows the focus
            app.screen.query_one(f"#field-{field_id}").focus()
            row = app.screen.query_one(f"#row-{field_id}")
            await wait_for(pilot, lambda row=row: row.has_class("-focused"))
            marked = [
                row.id for row in app.screen.query(".field-row") if row.query_one(Label).styles.text_style.reverse
            ]
            assert marked == [f"row-{field_id}"]


async def test_after_a_restart_every_view_reopens_its_last_result(small_dataset: Dataset, isolated_home: Path) -> None:
    from engine.config import config_to_dict
    from engine.results.study import StudyCell, StudyResult
    from engine.storage.store import RunStore
    from tests.test_app_history import store_two_runs

    store = store_two_runs(isolated_home)
    config = config_to_dict(tiny_config())
    sweep = StudyResult(config, [StudyCell("AnB", 1, {42: 0.9})], {42: 0.95}, {42: 0.8}, "finished", "CPU")
    store.start("20260103-000000-swep", "study", config, isolated_home / "runs" / "s", {}, "CPU")
    store.finish("20260103-000000-swep", "finished", sweep.to_dict())
    assert len(RunStore(isolated_home / "runs.sqlite").runs()) == 3
    app = make_app(small_dataset)
    async with app.run_test(size=(100, 30)) as pilot:
        results, study = app.get_screen("results"), app.get_screen("study")
        await wait_for(pilot, lambda: results.result is not None and study.result is not None)
        assert app.screen.id == "setup"  # reopened in place, not shown
        assert results.result.seeds[0].test_acc_b_scratch == 0.91  # the newer of the two experiments
        assert results.caption.startswith("Last transfer experiment, ") and "20260102-000000-bbbb" in results.caption
        assert study.caption.startswith("Last layer sweep, ")


async def test_after_a_restart_results_reopen_the_newest_finished_run_not_a_cancelled_empty_one(
    small_dataset: Dataset, isolated_home: Path
) -> None:
    from engine.config import config_to_dict
    from engine.results.experiment import ExperimentResult
    from tests.test_app_history import store_two_runs

    store = store_two_runs(isolated_home)
    config = config_to_dict(tiny_config())
    store.start("20260104-000000-cccc", "experiment", config, isolated_home / "runs" / "c", {}, "CPU")
    store.finish("20260104-000000-cccc", "cancelled", ExperimentResult(config, [], "cancelled", "CPU").to_dict())
    app = make_app(small_dataset)
    async with app.run_test(size=(100, 30)) as pilot:
        results = app.get_screen("results")
        await wait_for(pilot, lambda: results.result is not None)
        assert results.result.status == "finished" and "20260102-000000-bbbb" in results.caption


async def test_the_setup_form_comes_back_after_a_restart_as_it_was_typed(
    small_dataset: Dataset, isolated_home: Path
) -> None:
    from textual.widgets import Select

    app = make_app(small_dataset, restore_form=True)
    async with app.run_test(size=(100, 30)) as pilot:
        setup = app.get_screen("setup")
        seeds = setup.query_one("#field-seeds", Input)
        seeds.focus()
        await pilot.press("ctrl+a", "ctrl+k", *"1-3")
        setup.query_one("#field-network_kind", Select).value = "cnn"
        hidden = setup.query_one("#field-hidden", Input)
        hidden.value = "300,,x"  # not valid yet: kept as typed all the same
        await wait_for(pilot, lambda: hidden.value == "300,,x")
        app.set_leaderboard_settings(msgspec.structs.replace(setup.base.leaderboard, budget=4))
    again = make_app(small_dataset, restore_form=True)
    async with again.run_test(size=(100, 30)) as pilot:
        setup = again.get_screen("setup")
        await wait_for(pilot, lambda: setup.query("#field-seeds"))
        assert setup.query_one("#field-seeds", Input).value == "1-3"
        assert setup.query_one("#field-network_kind", Select).value == "cnn"
        assert setup.query_one("#field-conv", Input).display  # a cnn's own fields show
        assert setup.query_one("#field-hidden", Input).value == "300,,x"
        assert setup.validate() is None and setup.base.leaderboard.budget == 4
    fresh = make_app(small_dataset)  # options on the command line: the form they describe, not the kept one
    async with fresh.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: fresh.get_screen("setup").query("#field-seeds"))
        assert fresh.get_screen("setup").query_one("#field-seeds", Input).value == "42"


async def test_a_preset_chosen_in_the_app_keeps_what_the_command_line_set(small_dataset: Dataset) -> None:
    from textual.widgets import Select

    from engine.config import config_from_dict
    from engine.config.presets import preset

    launch = {"train_a": {"epochs": 1}, "cluster": {"address": "local"}, "run": {"seeds": [1, 2]}}
    app = TransferApp(config_from_dict(launch, preset("seed")), launch=launch, preload_engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.screen.query_one("#preset", Select).value = "handson-ml3"
        await wait_for(pilot, lambda: app.get_screen("setup").validate().network.hidden == (100, 100, 100))
        config = app.get_screen("setup").validate()  # the preset's network
        assert (config.train_a.epochs, config.cluster.address, config.run.seeds) == (1, "local", (1, 2))  # kept


def test_the_command_line_values_the_app_keeps_over_a_preset() -> None:
    from tui.cli.arguments import launch_values
    from tui.cli.parser import build_parser

    args = build_parser().parse_args(["--set", "train_a.epochs=1", "--cluster", "local", "--seeds", "1-2"])
    values = launch_values(args)
    assert values["train_a"] == {"epochs": 1} and values["run"] == {"seeds": [1, 2]}
    assert values["cluster"]["address"] == "local"


async def test_the_form_is_checked_once_as_it_first_shows_not_once_per_field(small_dataset: Dataset) -> None:
    """Every field says it changed as the form mounts; checking the whole form for each (40 times) held the first
    screen back by over a second on a 2-core machine."""
    from tui.screens.setup import SetupScreen

    checks = []
    original = SetupScreen.validate

    def counted(self):
        checks.append(1)
        return original(self)

    SetupScreen.validate = counted
    try:
        app = make_app(small_dataset)
        async with app.run_test(size=(80, 24)) as pilot:
            setup = app.get_screen("setup")
            await wait_for(pilot, lambda: "Ready" in str(setup.query_one("#form-status").render()))
            assert len(checks) <= 2, len(checks)
            setup.query_one("#field-n_train_b", Input).value = "x"  # a change is still checked
            await wait_for(pilot, lambda: setup.query_one("#row-n_train_b").has_class("-invalid"))
    finally:
        SetupScreen.validate = original


async def test_setup_says_what_a_run_trains_and_about_how_long_it_takes_here(
    small_dataset: Dataset, isolated_home: Path
) -> None:
    from engine.config import ExperimentConfig, config_to_dict
    from engine.storage.store import RunStore

    store = RunStore(isolated_home / "runs.sqlite")  # one seed of the notebook's experiment took 2 min here
    store.start("20260101-000000-aaaa", "experiment", config_to_dict(ExperimentConfig()), isolated_home, {}, "CPU")
    store.finish("20260101-000000-aaaa", "finished", None)
    with store._write() as db:
        db.execute("UPDATE runs SET ended_at = started_at + 120")
    app = TransferApp(ExperimentConfig(), load_dataset=lambda _config: small_dataset, preload_engine=False)
    async with app.run_test(size=(120, 40)) as pilot:
        setup = app.get_screen("setup")
        status = setup.query_one("#form-status", Static)
        await wait_for(pilot, lambda: "on this machine" in str(status.render()))
        assert str(status.render()) == "Ready: 1 seed, about 2 min on this machine. Press ctrl+r to run."
        setup.query_one("#field-extra_pairs", Input).value = "0,2"
        setup.query_one("#field-networks", Input).value = "dense, cnn"
        await wait_for(pilot, lambda: "2 pairs x 2 networks x 1 seed" in str(status.render()))
        setup.query_one("#field-seeds", Input).value = "1-1000"
        await wait_for(pilot, lambda: status.has_class("-long"))
        assert "That is long." in str(status.render())
