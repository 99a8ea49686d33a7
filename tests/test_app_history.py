"""The History view: stored runs open, compare, rerun, resume and delete, by keyboard."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, Static

from engine.config import apply_overrides, config_to_dict
from engine.data.fashion_mnist import Dataset
from engine.results.experiment import ExperimentResult, SeedResult
from engine.storage.store import RunStore
from tests.conftest import tiny_config
from tests.pilot import open_history, shown_text, wait_for
from tui.app.app import TransferApp
from tui.screens.compare import CompareScreen
from tui.screens.dialogs import ConfirmDialog


def make_app(dataset: Dataset, config=None, **kwargs) -> TransferApp:
    return TransferApp(config or tiny_config(), load_dataset=lambda _config: dataset, **kwargs)


def store_two_runs(home: Path) -> RunStore:
    store = RunStore(home / "runs.sqlite")
    for run_id, lr, scratch in (("20260101-000000-aaaa", 0.03, 0.95), ("20260102-000000-bbbb", 0.01, 0.91)):
        config = apply_overrides(tiny_config(), [f"transfer.unfrozen_learning_rate={lr}"])
        result = ExperimentResult(
            config_to_dict(config), [SeedResult(42, (5, 6), 0.9, scratch, 0.96, {})], "finished", "CPU"
        )
        store.start(run_id, "experiment", config_to_dict(config), home / "runs" / run_id, {}, "CPU")
        store.finish(run_id, "finished", result.to_dict())
    return store


async def test_open_and_compare_stored_runs(small_dataset: Dataset, isolated_home: Path) -> None:
    store_two_runs(isolated_home)
    app = make_app(small_dataset, preload_engine=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_history(pilot)
        table = app.screen.query_one("#runs", DataTable)
        assert table.row_count == 2 and str(table.get_row_at(0)[1]).startswith(
            "20260102-000000-bbbb\nexperiment, 1 seed"
        )  # newest first

        await pilot.press("o")
        await wait_for(pilot, lambda: app.screen.id == "results")
        await wait_for(pilot, lambda: "91.00%" in shown_text(app.screen.query_one("#results-view", Static)))

        await open_history(pilot)
        await pilot.press("space", "down", "space", "v")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
        differences = shown_text(app.screen.query_one("#compare-differences", Static))
        assert "transfer.unfrozen_learning_rate: 0.01 → 0.03" in " ".join(differences.split())
        await pilot.press("escape")
        assert app.screen.id == "history"

        await pilot.press("d", "y")
        await wait_for(pilot, lambda: not app.screen.deleting)
        assert app.screen.query_one("#runs", DataTable).row_count == 1
        assert [record.id for record in RunStore(isolated_home / "runs.sqlite").runs()] == ["20260102-000000-bbbb"]


async def test_cancel_then_resume_from_history_gives_the_uninterrupted_numbers(
    small_dataset: Dataset, isolated_home: Path
) -> None:
    from engine.studies.experiment import run_experiment

    config = apply_overrides(tiny_config(), ["train_a.epochs=20"])
    never_stopped = run_experiment(config, small_dataset)
    app = make_app(small_dataset, config)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+r")
        run = app.get_screen("run")
        await wait_for(pilot, lambda: len(run.state.epochs) >= 3)
        await pilot.press("c")
        await wait_for(pilot, lambda: app.screen.id == "results")

        await open_history(pilot)
        history = app.screen
        assert str(history.query_one("#runs", DataTable).get_row_at(0)[2]) == "cancelled"
        await pilot.press("u")
        await wait_for(
            pilot, lambda: app.screen.id == "results" and app.get_screen("results").result.status == "finished"
        )
        resumed = app.get_screen("results").result.seeds[0]
        expected = never_stopped.seeds[0]
        assert (resumed.test_acc_a, resumed.test_acc_b_transfer, resumed.test_acc_b_scratch) == (
            expected.test_acc_a,
            expected.test_acc_b_transfer,
            expected.test_acc_b_scratch,
        )
        (record,) = RunStore(isolated_home / "runs.sqlite").runs()
        assert record.status == "finished"


async def test_rerun_asks_before_replacing_the_form_and_leaves_the_run_to_the_user(
    small_dataset: Dataset, isolated_home: Path
) -> None:
    store_two_runs(isolated_home)
    app = make_app(small_dataset)
    async with app.run_test(size=(100, 30)) as pilot:
        setup = app.get_screen("setup")
        setup.query_one("#field-n_train_b", Input).value = "150"  # the user's unsaved work
        await open_history(pilot)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "n_train_b: 150 → 50" in " ".join(shown_text(app.screen.query(Static)[1]).split())
        await pilot.press("n")  # declined: the form is as the user left it
        await wait_for(pilot, lambda: app.screen.id == "history")
        assert setup.validate().split.n_train_b == 150
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen.id == "setup" and setup.validate().split.n_train_b == 50)
        assert not app.engine.busy  # loaded, not started
        assert setup.validate().transfer.unfrozen_learning_rate == 0.01
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.running is None and app.get_screen("results").result is not None)
        assert len(RunStore(isolated_home / "runs.sqlite").runs()) == 3


async def test_the_history_cursor_follows_its_run_as_new_runs_arrive(
    small_dataset: Dataset, isolated_home: Path
) -> None:
    store = store_two_runs(isolated_home)
    app = make_app(small_dataset, preload_engine=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_history(pilot)
        table = app.screen.query_one("#runs", DataTable)
        await pilot.press("down")
        await wait_for(pilot, lambda: str(table.get_row_at(table.cursor_row)[1]).startswith("20260101-000000-aaaa"))
        config = config_to_dict(tiny_config())
        store.start("20260103-000000-cccc", "experiment", config, isolated_home / "runs" / "c", {}, "CPU")
        app.action_show("setup")
        await open_history(pilot)  # back on History, the view reads the store again
        assert table.row_count == 3
        assert str(table.get_row_at(table.cursor_row)[1]).startswith("20260101-000000-aaaa")
        await pilot.press("home")
        await wait_for(pilot, lambda: table.cursor_row == 0)
        await pilot.press("end")
        await wait_for(pilot, lambda: table.cursor_row == 2)


async def test_the_app_starts_over_a_corrupt_database(small_dataset: Dataset, isolated_home: Path) -> None:
    (isolated_home / "runs.sqlite").write_bytes(b"garbage " * 500)
    app = make_app(small_dataset, preload_engine=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        assert app.screen.id == "setup"  # the form is up while the store is checked off the UI thread
        unreadable = "The run database was unreadable: moved to"
        await wait_for(pilot, lambda: any(unreadable in n.message for n in app._notifications))
        await open_history(pilot)
        assert app.screen.query_one("#runs", DataTable).row_count == 0
    (aside,) = isolated_home.glob("runs.sqlite.corrupt-*")
    assert aside.read_bytes().startswith(b"garbage")


async def test_history_and_compare_cut_no_number_at_80_and_120_columns(
    small_dataset: Dataset, isolated_home: Path
) -> None:
    from rich.measure import Measurement
    from rich.table import Table

    store_two_runs(isolated_home)
    for size in ((80, 24), (120, 40)):
        app = make_app(small_dataset, preload_engine=False)
        async with app.run_test(size=size) as pilot:
            await open_history(pilot)
            table = app.screen.query_one("#runs", DataTable)
            summary = str(table.get_row_at(0)[3])
            whole = "Sandal vs Shirt: scratch 91.00%, B on A 96.00%, Δ +5.00 points, won 1/1"
            assert " ".join(summary.split()) == whole
            assert table.virtual_size.width <= table.scrollable_content_region.width  # nothing off to the right
            await pilot.press("space", "down", "space", "v")
            await wait_for(pilot, lambda app=app: app.screen.query(".compare-column"))
            for column in app.screen.query(".compare-column").results(Static):
                tables = [part for part in column.content.renderables if isinstance(part, Table)]
                assert tables  # the seed table; its text around it wraps
                for table in tables:
                    needed = Measurement.get(app.console, app.console.options, table).maximum
                    assert needed <= column.content_region.width, (size, needed, column.content_region.width)


async def test_a_run_opened_from_history_shows_from_its_title(small_dataset: Dataset, isolated_home: Path) -> None:
    from textual.containers import VerticalScroll

    store_two_runs(isolated_home)
    app = make_app(small_dataset, preload_engine=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_history(pilot)
        await pilot.press("o")
        await wait_for(pilot, lambda: app.screen.id == "results")
        body = app.screen.query_one("#results-body", VerticalScroll)
        await wait_for(pilot, lambda: body.max_scroll_y > 0)
        body.scroll_end(animate=False)  # read down to the curves
        await wait_for(pilot, lambda: body.scroll_y > 0)
        await open_history(pilot)
        await pilot.press("down", "o")
        await wait_for(pilot, lambda: app.screen.id == "results" and "20260101" in (app.screen.caption or ""))
        await wait_for(pilot, lambda: body.scroll_y == 0)


async def test_the_palettes_history_delete_from_another_view_deletes_nothing_unchosen(
    small_dataset: Dataset, isolated_home: Path
) -> None:
    store_two_runs(isolated_home)
    app = make_app(small_dataset, preload_engine=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        (delete,) = [c for c in app.get_system_commands(app.screen) if c.title == "History: Delete"]
        delete.callback()  # from Setup, as the palette runs it
        await wait_for(pilot, lambda: app.screen.id == "history" and app.screen.loaded)
        assert not isinstance(app.screen, ConfirmDialog)
        assert any("choose a run with ↑ ↓, then press d" in n.message for n in app._notifications)
        (delete,) = [c for c in app.get_system_commands(app.screen) if c.title == "History: Delete"]
        delete.callback()  # from History, where a run is highlighted: asks about that one
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "20260102-000000-bbbb" in app.screen.question
