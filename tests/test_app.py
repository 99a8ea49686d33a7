"""The Textual app driven by keyboard through Pilot: form, validation, a real (tiny) run, cancel and quit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from textual.widgets import DataTable, Input, Select, Static

from engine.config import apply_overrides, load_config_file
from engine.config.presets import preset
from engine.data.fashion_mnist import Dataset
from engine.storage.store import open_store
from tests.conftest import tiny_config
from tests.pilot import shown_text, wait_for
from tui.app.app import TransferApp
from tui.screens.setup import SetupScreen
from tui.widgets.field_row import FieldRow


def make_app(dataset: Dataset, config=None, **kwargs) -> TransferApp:
    return TransferApp(config or tiny_config(), load_dataset=lambda _config: dataset, **kwargs)


def row(app: TransferApp, field_id: str) -> FieldRow:
    return app.get_screen("setup").query_one(f"#row-{field_id}", FieldRow)


async def retype(pilot, app: TransferApp, field_id: str, text: str) -> None:
    """Focus a field, erase it with backspace and type `text`, as a user would."""
    field = app.get_screen("setup").query_one(f"#field-{field_id}", Input)
    field.focus()
    await pilot.press("end", *["backspace"] * len(field.value), *text)


def error_text(app: TransferApp, field_id: str) -> str:
    return shown_text(app.get_screen("setup").query_one(f"#error-{field_id}", Static)).strip()


def test_first_screen_needs_no_tensorflow() -> None:
    probe = textwrap.dedent(
        """
        import asyncio, sys
        from tui.app.app import TransferApp

        async def main():
            app = TransferApp(preload_engine=False)
            async with app.run_test() as pilot:
                while not (app.screen.id == "setup" and app.screen.query("#field-n_train_b")):
                    await pilot.pause(0.05)
                assert app.screen.query_one("#field-n_train_b").value == "200"
            assert "tensorflow" not in sys.modules and "keras" not in sys.modules

        asyncio.run(main())
        """
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr


async def test_fill_the_form_by_keyboard(small_dataset: Dataset) -> None:
    app = make_app(small_dataset, preset("seed"), preload_engine=False)
    async with app.run_test() as pilot:
        setup: SetupScreen = app.screen
        await pilot.press("tab")  # the preset list has the focus first
        assert app.focused.id == "preset"
        await pilot.press("enter", "down", "down", "down", "enter")  # third preset: handson-ml3
        await wait_for(pilot, lambda: app.focused.id == "preset" and app.focused.value == "handson-ml3")
        await wait_for(pilot, lambda: setup.validate().split.b_classes == (0, 2))  # the form filled
        await pilot.press("tab", "tab", "tab")  # negative class, positive class, B training images
        assert app.focused.id == "field-n_train_b"
        await pilot.press(*"120")  # the input selects its text on focus, so typing replaces it
        # which B images, validation images, more B pairs, kind of network, hidden (the conv filters are not
        # shown for a dense network, so tab passes them by)
        await pilot.press("tab", "tab", "tab", "tab", "tab")
        assert app.focused.id == "field-hidden"
        await pilot.press(*"64, 32")
        config = setup.validate()
        assert config.split.b_classes == (0, 2)  # from the preset
        assert config.split.n_train_b == 120
        assert config.network.hidden == (64, 32)
        assert config.network.activation == "relu"


async def test_invalid_value_shows_at_the_field_and_blocks_run(small_dataset: Dataset) -> None:
    app = make_app(small_dataset, preload_engine=False)
    async with app.run_test() as pilot:
        await retype(pilot, app, "n_train_b", "abc")
        await wait_for(pilot, lambda: row(app, "n_train_b").has_class("-invalid"))
        assert error_text(app, "n_train_b") == "must be a whole number; cannot read 'abc'"
        app.screen.query_one("#field-negative_class", Select).value = 6  # same as the positive class
        await wait_for(pilot, lambda: error_text(app, "positive_class") == "must be two different classes, got [6, 6]")

        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.focused.id == "field-positive_class")  # the first bad field, top down
        assert app.screen.id == "setup" and not app.engine.busy and app.engine.requests.empty()

        await retype(pilot, app, "n_train_b", "50")
        app.screen.query_one("#field-negative_class", Select).value = 5
        await wait_for(pilot, lambda: not row(app, "n_train_b").has_class("-invalid"))
        status = app.screen.query_one("#form-status", Static)
        await wait_for(pilot, lambda: "Ready: 1 seed, about " in shown_text(status))


async def test_a_tiny_run_fills_the_table_then_the_results(small_dataset: Dataset, isolated_home: Path) -> None:
    config = apply_overrides(tiny_config(), ["run.seeds=[1, 2]"])
    app = make_app(small_dataset, config)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.sub_title.startswith(("CPU", "GPU")))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.screen.id == "results")
        table = app.get_screen("run").query_one("#epochs", DataTable)
        # one row per member and epoch; both seeds train together: 2 x (1 A + 1 frozen + 1 fine-tune + 2 scratch)
        assert table.row_count == 10
        assert [tuple(table.get_row_at(i)[:2]) for i in range(4)] == [
            ("1", "Model A"),
            ("2", "Model A"),
            ("1", "B on A, frozen"),
            ("2", "B on A, frozen"),
        ]
        shown = shown_text(app.screen.query_one("#results-view", Static))
        result = app.get_screen("results").result
        assert [r.seed for r in result.seeds] == [1, 2]
        for seed_result in result.seeds:
            assert f"{100 * seed_result.test_acc_b_scratch:.2f}%" in shown
            assert f"{100 * seed_result.test_acc_b_transfer:.2f}%" in shown
        assert result.summaries()[(5, 6)].verdict.split(":")[0] in shown
        assert all(Path(p).is_file() for r in result.seeds for p in r.model_files.values())

        # the trained models can be copied elsewhere from the Results screen
        target = isolated_home / "exported"
        await pilot.press("m")
        await wait_for(pilot, lambda: app.screen.query("#dialog-path"))
        app.screen.query_one("#dialog-path", Input).value = str(target)
        await pilot.press("enter")
        expected = [f"b5-6/seed{s}/{role}.keras" for s in (1, 2) for role in ("b_finetune", "b_scratch", "model_a")]
        await wait_for(
            pilot, lambda: sorted(p.relative_to(target).as_posix() for p in target.rglob("*.keras")) == expected
        )


async def test_cancel_mid_run_keeps_what_finished(small_dataset: Dataset) -> None:
    overrides = ["run.seeds=[1, 2]", "split.extra_pairs=[[0, 2]]", "train_a.epochs=40"]
    config = apply_overrides(tiny_config(), [*overrides, "run.population_memory_gb=0.001"])  # a population per pair
    app = make_app(small_dataset, config)
    async with app.run_test() as pilot:
        await pilot.press("ctrl+r")
        run = app.get_screen("run")
        # the seeds of the first pair train together; cancel once the second pair is training
        await wait_for(pilot, lambda: run.state.epochs and run.state.plan[run.state.epochs[-1].index].pair == (0, 2))
        await pilot.press("c")
        await wait_for(pilot, lambda: app.screen.id == "results")
        result = app.get_screen("results").result
        assert result.status == "cancelled" and [(r.b_classes, r.seed) for r in result.seeds] == [
            ((5, 6), 1),
            ((5, 6), 2),
        ]
        assert "Cancelled: 2 of 4 seed runs finished." in shown_text(app.screen.query_one("#results-view", Static))
        assert not app.engine.busy


def palette_offers(app, title: str) -> bool:
    """Whether the open command palette lists a command titled `title` (its search has run)."""
    from textual.command import CommandList

    lists = app.screen.query(CommandList)
    if not lists:
        return False
    found = lists.first()
    return any(title in str(found.get_option_at_index(i).prompt) for i in range(found.option_count))


def footer_keys(app) -> list[str]:
    from textual.widgets._footer import FooterKey

    return [key.description for key in app.screen.query(FooterKey)]


async def test_c_cancels_only_the_run_its_view_shows_and_shows_only_then(small_dataset: Dataset) -> None:
    app = make_app(small_dataset, apply_overrides(tiny_config(), ["train_a.epochs=2000"]))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.screen.id == "run" and footer_keys(app))
        assert "Cancel" not in footer_keys(app)  # nothing runs: nothing to cancel
        await pilot.press("f2", "ctrl+r")
        run = app.get_screen("run")
        await wait_for(pilot, lambda: run.state.epochs)
        await pilot.press("f5")  # Optimizers: its c would stop a race, and no race runs
        await wait_for(pilot, lambda: app.screen.id == "leaderboard" and "Sort" in footer_keys(app))
        assert "Cancel" not in footer_keys(app)
        epochs_then = len(run.state.epochs)
        await pilot.press("c")
        await wait_for(pilot, lambda: len(run.state.epochs) > epochs_then + 1)  # the experiment trains on
        assert app.engine.busy and not app.engine.stop.requested
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.screen.id == "run" and "Cancel" in footer_keys(app))
        await pilot.press("c")
        await wait_for(pilot, lambda: not app.engine.busy)
        assert app.get_screen("results").result.status == "cancelled"
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.screen.id == "run" and footer_keys(app) and "Cancel" not in footer_keys(app))


QUIT_SCRIPT = """
import json
import os
from engine.config import apply_overrides
from engine.storage.store import open_store
from tests.conftest import synthetic_dataset, tiny_config
from tui.app.app import TransferApp

config = apply_overrides(tiny_config(), ["train_a.epochs=2000"])
dataset = synthetic_dataset()
app = TransferApp(config, load_dataset=lambda _c: dataset)

async def auto_pilot(pilot):
    await pilot.press("ctrl+r")
    run = app.get_screen("run")
    while not run.state.epochs:
        await pilot.pause(0.05)
    await pilot.press("ctrl+q")

app.run(headless=True, auto_pilot=auto_pilot)
stopped = app.engine.join(timeout=60)
store = open_store()
(record,) = store.runs()
print(json.dumps({"status": record.status, "epochs": len(store.epochs(record.id)), "stopped": stopped}))
"""


def test_quit_mid_run_stops_the_engine_thread(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", QUIT_SCRIPT], capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[1]
    )
    assert completed.returncode == 0, completed.stderr
    after = json.loads(completed.stdout.splitlines()[-1])
    # the stop was honoured: the run ended cancelled, far short of its 2000 epochs of model A; the engine thread ended
    assert after["status"] == "cancelled" and 1 <= after["epochs"] < 100 and after["stopped"]


async def test_save_and_load_the_form_as_toml(small_dataset: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "exp.toml"
    app = make_app(small_dataset, preset("handson-ml3"), preload_engine=False)
    async with app.run_test(notifications=True) as pilot:
        await retype(pilot, app, "n_train_b", "77")
        setup = app.get_screen("setup")

        async def answer_dialog(key: str, text: str) -> None:
            await pilot.press(key)
            await wait_for(pilot, lambda: app.screen.query("#dialog-path"))
            app.screen.query_one("#dialog-path", Input).value = text
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen is setup)

        await answer_dialog("ctrl+s", str(path))
        await wait_for(pilot, lambda: path.is_file())
        assert load_config_file(path) == apply_overrides(preset("handson-ml3"), ["split.n_train_b=77"])

        path.write_text("[split]\nb_classes = [7, 9]\n")
        await answer_dialog("ctrl+o", str(path))
        await wait_for(pilot, lambda: setup.validate().split.b_classes == (7, 9))
        assert setup.validate().network.hidden == (300, 100, 50, 50, 50)

        path.write_text("[split]\nb_classes = 'shoes'\n")
        await answer_dialog("ctrl+o", str(path))  # a bad file is a message, the form keeps its values
        await wait_for(pilot, lambda: any("Cannot load" in n.title for n in app._notifications))
        assert setup.validate().split.b_classes == (7, 9)


async def test_palette_starts_a_run_and_screens_switch_while_training(small_dataset: Dataset) -> None:
    config = apply_overrides(tiny_config(), ["train_a.epochs=2000"])
    app = make_app(small_dataset, config)
    async with app.run_test() as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen.query("CommandInput"))
        await pilot.press(*"Start run")
        await wait_for(pilot, lambda: palette_offers(app, "Start run"))
        await pilot.press("enter")
        run = app.get_screen("run")
        await wait_for(pilot, lambda: len(run.state.epochs) >= 2)
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.id == "setup")
        rows_then = len(run.state.epochs)
        await wait_for(pilot, lambda: len(run.state.epochs) > rows_then + 2)  # training goes on meanwhile
        await pilot.press("f3")
        table = run.query_one("#epochs", DataTable)
        await wait_for(pilot, lambda: app.screen.id == "run" and table.row_count >= rows_then + 2)
        await pilot.press("up", "up")  # scroll the table while it grows
        await pilot.press("c")
        await wait_for(pilot, lambda: app.screen.id == "results")
        assert app.get_screen("results").result.status == "cancelled" and not app.engine.busy
        (record,) = open_store().runs()
        assert record.status == "cancelled" and 2 <= len(open_store().epochs(record.id)) < 2000


def test_cli_options_fill_the_app(monkeypatch, real_data_dir) -> None:
    import tui.app.app
    from tui.main import main

    opened, restored = [], []
    monkeypatch.setattr(
        tui.app.app,
        "run_app",
        lambda config, **options: opened.append(config) or restored.append(options["restore_form"]) or 0,
    )
    assert main(["--preset", "handson-ml3", "--seeds", "3-4", "--data-dir", str(real_data_dir)]) == 0
    assert opened[0].split.b_classes == (0, 2) and opened[0].run.seeds == (3, 4)
    assert opened[0].data.dir == str(real_data_dir)
    # the form as it was left comes back only when the command line names no experiment of its own
    assert main([]) == main(["--preset", "seed"]) == main(["--set", "run.seeds=[1]"]) == 0
    assert restored == [False, True, False, False]


async def test_a_run_on_a_cluster_shows_the_cluster_and_where_each_unit_runs(small_dataset: Dataset) -> None:
    from engine.progress import ClusterStatus, EpochDone, EpochMetrics, PhaseStarted, PlannedPhase, RunPlanned
    from tui.app.messages import EngineProgress, EngineReady

    app = TransferApp(tiny_config(), load_dataset=lambda _c: small_dataset, preload_engine=False)
    metrics = EpochMetrics(0.5, 0.8, 0.6, 0.75, seconds=1.0)
    placements = (
        "unit 1: pairs 5-6, seeds 1,2: node aa873294, GPU 0",
        "unit 2: pairs 5-6, seeds 3,4: node 67a291bd, GPU 1",
    )
    status = ClusterStatus("127.0.0.1:6390", 3, 4, 2, 1, placements)
    async with app.run_test(size=(100, 30)) as pilot:
        app.post_message(EngineReady("CPU"))
        app.action_show("run")
        await wait_for(pilot, lambda: app.screen.id == "run" and app.sub_title == "CPU")
        app.post_message(EngineProgress(status))
        app.get_screen("run").apply(status)  # the app passes events to views only while its own run goes
        await wait_for(pilot, lambda: app.sub_title == "CPU · Ray 3 nodes, 4 GPUs, units 2 running, 1 queued")
        units = app.screen.query_one("#cluster-units", Static)
        await wait_for(pilot, lambda: units.display and shown_text(units).splitlines()[:2] == list(placements))
        # the two units' rows interleave: each row says its pair, as do the status and the curves
        plan = tuple(PlannedPhase("model_a", (1, 2), 1, 5, pair) for pair in ((5, 6), (0, 1)))
        for event in (RunPlanned(plan), PhaseStarted(1, plan[1]), EpochDone(1, "model_a", 2, 1, 1, metrics)):
            app.get_screen("run").apply(event)
        epochs = app.screen.query_one("#epochs", DataTable)
        await wait_for(pilot, lambda: epochs.row_count and epochs.get_row_at(0)[:2] == ["0,1 s2", "Model A"])
        assert app.get_screen("run").status == "0,1: Model A, seeds 1-2"
        app.get_screen("run").start(tiny_config())  # the next run starts without them
        await wait_for(pilot, lambda: not units.display)


async def test_cluster_events_arriving_while_the_app_shuts_down_do_not_crash_it(small_dataset: Dataset) -> None:
    """The engine thread keeps posting (a cluster's status) while the app closes its screens: every view's
    header is up, and none may fail on a title it no longer has (this failed CI once)."""
    import threading

    from engine.progress import ClusterStatus
    from tui.app.messages import EngineProgress, EngineReady

    app = TransferApp(tiny_config(), load_dataset=lambda _c: small_dataset, preload_engine=False)
    closing = threading.Event()

    def post_statuses() -> None:
        queued = 0
        while not closing.is_set():
            queued += 1
            app.post_message(EngineProgress(ClusterStatus("127.0.0.1:6390", 3, 4, 2, queued, ())))
            closing.wait(0.0005)

    async with app.run_test(size=(100, 30)) as pilot:
        app.post_message(EngineReady("CPU"))
        for view in ("run", "results", "history", "study", "leaderboard"):
            app.action_show(view)
            await wait_for(pilot, lambda view=view: app.screen.id == view)
        threading.Thread(target=post_statuses, daemon=True).start()
        await wait_for(pilot, lambda: app.sub_title.startswith("CPU · Ray 3 nodes, 4 GPUs, units 2 running"))
    closing.set()


SLOW_IMPORT_SCRIPT = """
import threading, time
from textual.app import App
from tui.app import app as app_module
from tui.app.engine_thread import EngineThread

importing = threading.Event()

def slow_import(self):  # TensorFlow's import, as long as it takes on a loaded machine, and longer
    importing.set()
    time.sleep(600)

EngineThread._serve_requests = slow_import
app_module.TransferApp.run = lambda self: App.run(self, headless=True)
mount = app_module.TransferApp.on_mount

def quit_once_importing(self):
    mount(self)
    self.set_interval(0.05, lambda: importing.is_set() and self.exit(0))

app_module.TransferApp.on_mount = quit_once_importing
app_module.run_app(app_module.ExperimentConfig())
"""


def test_quit_does_not_wait_for_the_tensorflow_import(tmp_path: Path) -> None:
    # the import cannot be interrupted; the process ends while it is still going (it would take 600 s)
    completed = subprocess.run(
        [sys.executable, "-c", SLOW_IMPORT_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[1],
        env={**os.environ, "TRANSFER_TUI_HOME": str(tmp_path)},
    )
    assert completed.returncode == 0, completed.stderr
