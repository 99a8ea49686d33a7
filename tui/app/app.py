"""The Textual app: Setup, Run and Results screens, with one engine thread doing all TensorFlow work."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from engine.config import ExperimentConfig, LeaderboardConfig, config_from_dict
from engine.data.fashion_mnist import Dataset, load_dataset, resolve_data_dir
from engine.errors import UserError
from engine.paths import log_dir, new_run_id, runs_dir
from engine.results.leaderboard import LeaderboardResult
from engine.storage.store import RunRecord
from tui.app.engine_thread import DatasetLoader, EngineThread, RunRequest
from tui.app.messages import EngineProgress, EngineReady, RunFailed, RunFinished
from tui.app.terminal import stderr_to_log
from tui.screens.help import HelpScreen
from tui.screens.history import HistoryScreen
from tui.screens.leaderboard import LeaderboardScreen
from tui.screens.results import ResultsScreen
from tui.screens.run import RunScreen
from tui.screens.setup import SetupScreen
from tui.stored import open_store_telling


@lru_cache(maxsize=2)
def _cached_dataset(folder: str | None) -> Dataset:
    return load_dataset(folder)


def load_configured_dataset(config: ExperimentConfig) -> Dataset:
    """The data the config points at, read once per folder for the app's lifetime."""
    folder = resolve_data_dir(config.data.dir or None)
    return _cached_dataset(str(folder) if folder else None)


VIEW_TITLES = {
    "setup": "Setup",
    "run": "Progress",
    "results": "Results",
    "leaderboard": "Optimizers",
    "history": "History",
}


class TransferApp(App[int]):
    """Keyboard-driven transfer experiments; `preload_engine` loads TensorFlow as soon as the app shows."""

    CSS_PATH = "app.tcss"
    TITLE = "transfer-tui"
    SUB_TITLE = "loading TensorFlow…"
    BINDINGS = [
        Binding("ctrl+r", "start_run", "Run", tooltip="check the setup and start the transfer experiment"),
        Binding("question_mark,f1", "help", "Help", key_display="?", tooltip="this list of keys"),
        # the footer has room for one entry for all four views; the help screen lists each
        Binding("f2", "show('setup')", "Views", key_display="F2-6", tooltip="Setup: the experiment form"),
        Binding("f3", "show('run')", "Progress", show=False, tooltip="Progress: phases, epoch table and curves"),
        Binding("f4", "show('results')", "Results", show=False, tooltip="Results: the last experiment's results"),
        Binding("f5", "show('leaderboard')", "Optimizers", show=False, tooltip="Optimizers: the leaderboard"),
        Binding("f6", "show('history')", "History", show=False, tooltip="History: every stored run"),
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="stop any run after its current batch and quit"),
    ]

    def __init__(
        self,
        config: ExperimentConfig | None = None,
        *,
        load_dataset: DatasetLoader = load_configured_dataset,
        preload_engine: bool = True,
        tensorboard: Path | None = None,
    ) -> None:
        super().__init__()
        self.initial_config = config or ExperimentConfig()
        self.engine = EngineThread(self, load_dataset, tensorboard)
        self.preload_engine = preload_engine

    def on_mount(self) -> None:
        self.install_screen(SetupScreen(self.initial_config), "setup")
        self.install_screen(RunScreen(), "run")
        self.install_screen(ResultsScreen(), "results")
        self.install_screen(LeaderboardScreen(), "leaderboard")
        self.install_screen(HistoryScreen(), "history")
        self.push_screen("setup")
        self.call_after_refresh(self._check_store)
        if self.preload_engine:
            # after the first paint, so the form is on screen before TensorFlow starts loading
            self.call_after_refresh(self.engine.start)

    def _check_store(self) -> None:
        """Runs a killed process left 'running' become 'interrupted'; a corrupt database is set aside."""
        open_store_telling(self.notify)

    def action_show(self, name: str) -> None:
        if self.screen.id != name:
            self.switch_screen(name)

    def action_help(self) -> None:
        sections = [("everywhere", list(self.BINDINGS))]
        for name, title in VIEW_TITLES.items():
            sections.append((title, list(self.get_screen(name).BINDINGS)))
        self.push_screen(HelpScreen(sections))

    def current_config(self) -> ExperimentConfig:
        """The setup form's config if it is valid, else the last valid one it started from."""
        setup: SetupScreen = self.get_screen("setup")
        return setup.validate() or setup.base

    def set_leaderboard_settings(self, board: LeaderboardConfig) -> None:
        setup: SetupScreen = self.get_screen("setup")
        setup.base = replace(setup.base, leaderboard=board)

    def _valid_setup(self) -> ExperimentConfig | None:
        setup: SetupScreen = self.get_screen("setup")
        config = setup.validate()
        if config is None:
            self.action_show("setup")
            setup.focus_first_error()
            self.notify("Some fields are invalid: fix the ones marked in red.", severity="error")
        elif self.engine.busy:
            self.notify("A run is in progress: cancel it first (c).", severity="warning")
            return None
        return config

    def action_start_run(self) -> None:
        config = self._valid_setup()
        if config is None:
            return
        self.get_screen("run").start(len(config.run.seeds))
        self.engine.submit(RunRequest("experiment", config, runs_dir() / new_run_id()))
        self.action_show("run")

    def action_start_leaderboard(self) -> None:
        config = self._valid_setup()
        if config is None:
            return
        self.get_screen("run").start(len(config.run.seeds))
        self.get_screen("leaderboard").start(config)
        self.engine.submit(RunRequest("leaderboard", config, runs_dir() / new_run_id()))
        self.action_show("leaderboard")

    def show_stored(self, record: RunRecord, result: object) -> None:
        """Open a stored run's results in the view that shows that kind of result."""
        if isinstance(result, LeaderboardResult):
            self.get_screen("leaderboard").show_result(result, f"Stored leaderboard {record.id}")
            self.action_show("leaderboard")
        else:
            self.get_screen("results").show(result, Path(record.folder))
            self.action_show("results")

    def rerun(self, record: RunRecord) -> None:
        """A stored run's config, back in the Setup form, run again as a new run."""
        try:
            config = config_from_dict(record.config)
        except UserError as exc:
            self.notify(f"That run's config cannot be used: {exc}", severity="error")
            return
        self.get_screen("setup").fill(config)
        if record.kind == "leaderboard":
            self.action_start_leaderboard()
        else:
            self.action_start_run()

    def resume(self, record: RunRecord) -> None:
        """Continue an interrupted run in its own folder, from its checkpoints."""
        if self.engine.busy:
            self.notify("A run is in progress: cancel it first (c).", severity="warning")
            return
        config = config_from_dict(record.config)
        self.get_screen("run").start(len(config.run.seeds))
        if record.kind == "leaderboard":
            self.get_screen("leaderboard").start(config)
        self.engine.submit(RunRequest(record.kind, config, Path(record.folder), resume=True))
        self.notify(f"Resuming {record.id} from its last finished epoch.")
        self.action_show("leaderboard" if record.kind == "leaderboard" else "run")

    def action_cancel_run(self) -> None:
        if not self.engine.busy:
            self.notify("No run in progress.")
            return
        self.engine.cancel()
        self.get_screen("run").set_status("Cancelling after the current batch…")

    async def action_quit(self) -> None:
        self.exit(0)

    def on_unmount(self) -> None:
        # however the app ends, the engine thread must end too, or it would keep the process alive
        self.engine.shutdown()

    def on_engine_ready(self, message: EngineReady) -> None:
        self.sub_title = message.device

    def on_engine_progress(self, message: EngineProgress) -> None:
        self.get_screen("run").apply(message.event)
        self.get_screen("leaderboard").apply(message.event)

    def on_run_finished(self, message: RunFinished) -> None:
        result = message.result
        cancelled = result.status == "cancelled"
        if isinstance(result, LeaderboardResult):
            self.get_screen("run").finish("Cancelled." if cancelled else "Finished: the ranking is on Optimizers (F5).")
            self.get_screen("leaderboard").show_result(result)
            self.action_show("leaderboard")
            return
        self.get_screen("run").finish("Cancelled; finished seeds are on Results (F4)." if cancelled else "Finished.")
        self.get_screen("results").show(result, message.run_dir)
        self.action_show("results")

    def on_run_failed(self, message: RunFailed) -> None:
        self.get_screen("run").finish(f"Failed: {message.message}")
        self.notify(message.message, title="Run failed", severity="error", timeout=10)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Start run", "Validate the setup and train", self.action_start_run)
        yield SystemCommand("Cancel run", "Stop after the current batch, keep finished seeds", self.action_cancel_run)
        yield SystemCommand("Setup", "Show the setup form", lambda: self.action_show("setup"))
        yield SystemCommand("Progress", "Show training progress", lambda: self.action_show("run"))
        yield SystemCommand("Results", "Show the last results", lambda: self.action_show("results"))
        yield SystemCommand("Optimizers", "Show the optimizer leaderboard", lambda: self.action_show("leaderboard"))
        yield SystemCommand("Race optimizers", "Start the optimizer leaderboard", self.action_start_leaderboard)
        yield SystemCommand("History", "Every stored run and leaderboard", lambda: self.action_show("history"))
        yield SystemCommand("Keys", "List every key", self.action_help)


def run_app(config: ExperimentConfig, tensorboard: Path | None = None) -> int:
    """Run the app with stderr (TensorFlow's C++ logs included) going to resources/logs/app.log."""
    log_path = log_dir() / "app.log"
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        logging.basicConfig(filename=log_path, level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    except OSError:
        pass  # an unwritable home still lets the app run; errors then go nowhere rather than onto the screen
    app = TransferApp(config, tensorboard=tensorboard)
    with stderr_to_log(log_path):
        app.run()
    if app.return_code:
        print(f"transfer-tui: the app stopped on an internal error; details in {log_path}", file=sys.stderr)
    return app.return_code or 0
