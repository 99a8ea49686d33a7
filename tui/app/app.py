"""The Textual app: its views, the engine thread doing all TensorFlow work, and the keys that reach them."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import msgspec
from rich.markup import escape
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen

from engine.config import ExperimentConfig, LeaderboardConfig, config_to_dict, stored_config
from engine.config.differences import config_differences
from engine.data.fashion_mnist import Dataset, load_dataset, resolve_data_dir
from engine.errors import UserError
from engine.hardware import precision_note
from engine.kinds import RunKind, RunOptions, kind_for, kind_named
from engine.paths import log_dir, new_run_id, runs_dir
from engine.progress import ClusterStatus
from engine.results.protocol import RunResult
from engine.storage.store import RunRecord
from tui.app.engine_thread import DatasetLoader, EngineThread
from tui.app.messages import EngineDied, EngineProgress, EngineReady, RunFailed, RunFinished, RunRequest
from tui.app.settings import Settings, load_settings
from tui.cli.terminal import stderr_to_log
from tui.kinds import views_of
from tui.screens.compare import CompareScreen
from tui.screens.dialogs import ConfirmDialog, PathDialog
from tui.screens.help import HelpScreen
from tui.screens.history import HistoryScreen
from tui.screens.leaderboard import LeaderboardScreen
from tui.screens.leaderboard_options import LeaderboardOptions
from tui.screens.results import ResultsScreen
from tui.screens.run import RunScreen
from tui.screens.setup import SetupScreen
from tui.screens.study import StudyScreen
from tui.screens.tune import TuneScreen
from tui.screens.view_switcher import ViewSwitcher
from tui.state.form_fields import field_label
from tui.state.stored import last_results, store_problem, stored_records, when


@lru_cache(maxsize=2)
def _cached_dataset(folder: str | None) -> Dataset:
    return load_dataset(folder)


def load_configured_dataset(config: ExperimentConfig) -> Dataset:
    """The data the config points at, read once per folder for the app's lifetime."""
    folder = resolve_data_dir(config.data.dir or None)
    return _cached_dataset(str(folder) if folder else None)


# every view: (id, title, F-key, number key, what it shows); the number keys work where nothing is being typed,
# and ctrl+g opens a switcher, for terminals (SSH, tmux, screen) that swallow F-keys
VIEWS = (
    ("setup", "Setup", "f2", "1", "the experiment form"),
    ("run", "Progress", "f3", "2", "phases, epoch table and curves"),
    ("results", "Results", "f4", "3", "the last experiment's results"),
    ("leaderboard", "Optimizers", "f5", "4", "the leaderboard"),
    ("history", "History", "f6", "5", "every stored run"),
    ("study", "Study", "f7", "6", "the layer sweep: which layers transfer"),
    ("tune", "Tune", "f8", "7", "both arms at an equal tuning budget"),
)
VIEW_TITLES = {view: title for view, title, *_ in VIEWS}
RUN_STOP_WAIT_SECONDS = 5.0  # on quit, how long a run in progress may take to stop and record it


def view_bindings() -> list[Binding]:
    """One binding per view, with an id a keymap can remap; the footer shows the first as 'Views'."""
    return [
        Binding(
            f"{fkey},{number}",
            f"show('{view}')",
            "Views" if position == 0 else title,
            key_display="F2-8" if position == 0 else None,
            show=position == 0,
            tooltip=f"{title}: {what}",
            id=f"view.{view}",
        )
        for position, (view, title, fkey, number, what) in enumerate(VIEWS)
    ]


# every screen with bindings of its own, modal ones included: their ids are the keymap's
SCREENS_WITH_KEYS: tuple[type[Screen], ...] = (
    SetupScreen,
    RunScreen,
    ResultsScreen,
    LeaderboardScreen,
    HistoryScreen,
    StudyScreen,
    TuneScreen,
    CompareScreen,
    HelpScreen,
    ViewSwitcher,
    PathDialog,
    ConfirmDialog,
    LeaderboardOptions,
)


class TransferApp(App[int]):
    """Keyboard-driven transfer experiments; `preload_engine` loads TensorFlow as soon as the app shows."""

    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute, so subclasses elsewhere find it too
    TITLE = "transfer-tui"
    SUB_TITLE = "loading TensorFlow…"
    BINDINGS = [
        Binding(
            "ctrl+r", "start_run", "Run", tooltip="check the setup and start the transfer experiment", id="run.start"
        ),
        Binding("question_mark,f1", "help", "Help", key_display="?", tooltip="this list of keys", id="app.help"),
        *view_bindings(),
        Binding("ctrl+g", "switch_view", "Go to", show=False, tooltip="choose a view from a list", id="view.switch"),
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            priority=True,
            tooltip="stop any run after its current batch and quit",
            id="app.quit",
        ),
    ]

    class StoreChecked(Message):
        """The run store was opened off the UI thread; `problem` says what went wrong, if anything did."""

        def __init__(
            self, problem: tuple[str, str] | None, last: dict[str, RunRecord], records: list[RunRecord]
        ) -> None:
            super().__init__()
            self.problem = problem
            self.last = last  # the newest stored run with results, per view that shows it
            self.records = records  # every stored run: what this machine's rate is measured from

    def __init__(
        self,
        config: ExperimentConfig | None = None,
        *,
        load_dataset: DatasetLoader = load_configured_dataset,
        preload_engine: bool = True,
        tensorboard: Path | None = None,
        settings: Settings | None = None,
        launch: dict | None = None,
        restore_form: bool = False,
    ) -> None:
        super().__init__()
        self.restore_form = restore_form  # Setup shows the form as it was left (no experiment options were given)
        self.initial_config = config or ExperimentConfig()
        self.launch = launch or {}  # what the command line set over the preset (--set, --seeds, --cluster...)
        self.engine = EngineThread(self, load_dataset)
        self.device = ""  # the engine's device, once it has started: the header's subtitle
        self.preload_engine = preload_engine
        self.run_options = RunOptions(tensorboard=str(tensorboard) if tensorboard else None)
        self.settings = (settings or Settings()).checked(self.binding_scopes())
        self.running: RunRequest | None = None
        self.run_records: list[RunRecord] = []  # the stored runs, read off the UI thread: this machine's rate
        self.store_problem_told: tuple[str, str] | None = None

    def on_mount(self) -> None:
        self.set_keymap(self.settings.keymap)
        for problem in self.settings.problems:
            self.notify(problem, title="Settings", severity="warning", timeout=10)
        self.install_screen(SetupScreen(self.initial_config, self.launch, self.restore_form), "setup")
        self.install_screen(RunScreen(), "run")
        self.install_screen(ResultsScreen(), "results")
        self.install_screen(LeaderboardScreen(), "leaderboard")
        self.install_screen(HistoryScreen(), "history")
        self.install_screen(StudyScreen(), "study")
        self.install_screen(TuneScreen(), "tune")
        self.push_screen("setup")
        self.check_store()
        if self.preload_engine:
            # after the first paint, so the form is on screen before TensorFlow starts loading
            self.call_after_refresh(self.engine.start)

    @work(thread=True, group="store")
    def check_store(self) -> None:
        """Runs a killed process left 'running' become 'interrupted'; a corrupt database is set aside; the newest
        result of each view is found, to reopen it. Off the UI thread: the database may be locked by another
        process for up to half a minute."""
        problem = store_problem()
        broken = problem is not None and problem[1] == "error"
        records = [] if broken else stored_records()
        self.post_message(self.StoreChecked(problem, {} if broken else last_results(records), records))

    def on_transfer_app_store_checked(self, message: StoreChecked) -> None:
        if not self.taking_engine_messages:  # the store answered (once unlocked) after the app closed
            return
        if message.problem is not None and message.problem != self.store_problem_told:
            text, severity = message.problem
            self.notify(text, title="Run store", severity=severity, timeout=10)
            self.store_problem_told = message.problem
        self.run_records = message.records
        self.get_screen("setup").validate()  # its estimate, at the rate these runs measured
        for view, record in message.last.items():
            screen = self.get_screen(view)
            live = None if self.running is None else views_of(self.running.kind).live
            if screen.result is None and view not in ("run", live):
                kind = kind_named(record.kind)
                caption = f"Last {kind.title}, {when(record.started_at)}: {record.id}"
                self.show_result(kind, kind.result_from(record.result), Path(record.folder), caption, go=False)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is plain text, whatever the caller asks: messages carry TOML sections, keys and
        paths in brackets, which Rich markup would swallow ('unknown section [theme]' lost its name)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    @classmethod
    def binding_scopes(cls) -> list[list[Binding]]:
        """The bindings each screen answers to, the app's own included: where two may not share a key."""
        return [[*cls.BINDINGS, *screen.BINDINGS] for screen in SCREENS_WITH_KEYS]

    def action_show(self, name: str) -> None:
        if self.screen.id != name and name in VIEW_TITLES:
            self.switch_screen(name)

    def action_switch_view(self) -> None:
        self.push_screen(ViewSwitcher([(view, title, self.keys_for(f"view.{view}")) for view, title, *_ in VIEWS]))

    def keys_for(self, binding_id: str) -> str:
        """The keys an app-wide binding answers to after the user's keymap."""
        binding = next(binding for binding in self.BINDINGS if binding.id == binding_id)
        return self.settings.keys(binding.id, binding.key)

    def action_help(self) -> None:
        views = [binding for binding in self.BINDINGS if (binding.id or "").startswith("view.")]
        sections = [
            ("everywhere", [binding for binding in self.BINDINGS if binding not in views]),
            ("everywhere; digits not in a text field (escape leaves it)", views),
        ]
        for name, title in VIEW_TITLES.items():
            sections.append((title, list(self.get_screen(name).BINDINGS)))
        self.push_screen(HelpScreen(sections, lambda binding: self.settings.keys(binding.id, binding.key)))

    def current_config(self) -> ExperimentConfig:
        """The setup form's config if it is valid, else the last valid one it started from."""
        setup: SetupScreen = self.get_screen("setup")
        return setup.validate() or setup.base

    def set_leaderboard_settings(self, board: LeaderboardConfig) -> None:
        setup: SetupScreen = self.get_screen("setup")
        setup.base = msgspec.structs.replace(setup.base, leaderboard=board)
        setup.remember()

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

    def start(self, request: RunRequest) -> None:
        """Hand a run to the engine thread and show it live."""
        self.running = request
        note = precision_note(request.config.run.precision, has_gpu=self.device.startswith("GPU"))
        if note:
            self.notify(note, title="Precision", severity="warning", timeout=10)
        live = views_of(request.kind).live
        for view in dict.fromkeys(("run", live)):
            self.get_screen(view).start(request.config)
        self.engine.submit(request)
        self.action_show(live)
        self._running_changed()

    def start_new(self, asked: str) -> None:
        """Start what `asked` ("run", "study", "leaderboard", "tune") means for the Setup form's config (kind_for,
        as the CLI's commands of those names)."""
        config = self._valid_setup()
        if config is not None:
            self.start(RunRequest(kind_for(config, asked), config, runs_dir() / new_run_id(), self.run_options))

    def action_start_run(self) -> None:
        self.start_new("run")

    def action_start_leaderboard(self) -> None:
        self.start_new("leaderboard")

    def action_start_study(self) -> None:
        self.start_new("study")

    def action_start_tune(self) -> None:
        self.start_new("tune")

    def show_result(
        self, kind: RunKind, result: RunResult, run_dir: Path, caption: str | None = None, *, go: bool = True
    ) -> None:
        """Put a result in the view its kind names, and go there if `go`."""
        view = views_of(kind).results
        screen = self.get_screen(view)
        screen.show_result(result, run_dir, caption)
        for body in screen.query(VerticalScroll):  # a new result is read from its title, wherever the last one was
            body.scroll_home(animate=False)
        if go:
            self.action_show(view)

    def show_stored(self, record: RunRecord, result: RunResult) -> None:
        kind = kind_named(record.kind)
        self.show_result(kind, result, Path(record.folder), f"Stored {kind.title} {record.id}")

    def rerun(self, record: RunRecord) -> None:
        """A stored run's config, back in the Setup form; the user starts it. A form that differs is replaced
        only once the user agrees, so nothing typed there is lost by surprise."""
        try:
            config = stored_config(record.config)
        except UserError as exc:
            self.notify(f"That run's config cannot be used: {exc}", severity="error")
            return
        setup: SetupScreen = self.get_screen("setup")
        shown = setup.validate()
        differences = config_differences(config_to_dict(shown), config_to_dict(config)) if shown else ["(invalid)"]
        if not differences:
            self._load_rerun(record, config)
            return
        listed = "; ".join(differences[:4]) + (f"; and {len(differences) - 4} more" if len(differences) > 4 else "")
        detail = f"The form's own values are lost unless saved first (ctrl+s on Setup). Form → run: {listed}"

        def answered(yes: bool | None) -> None:
            if yes:
                self._load_rerun(record, config)

        self.push_screen(ConfirmDialog(f"Replace the Setup form with run {record.id}'s config?", detail), answered)

    def _load_rerun(self, record: RunRecord, config: ExperimentConfig) -> None:
        kind = kind_named(record.kind)
        self.get_screen("setup").fill(config)
        self.action_show("setup")
        live = views_of(kind).live
        keys = self.settings.keys(views_of(kind).start, "ctrl+r")
        start = keys if live == "run" else f"{keys} on {VIEW_TITLES[live]}"
        self.notify(f"Run {record.id}'s config is in Setup: {start} runs it as a new {kind.title}.")

    def resume(self, record: RunRecord) -> None:
        """Continue an interrupted run in its own folder, from its checkpoints."""
        if self.engine.busy:
            self.notify("A run is in progress: cancel it first (c).", severity="warning")
            return
        kind, options = kind_named(record.kind), RunOptions.from_dict(record.options)
        self.start(RunRequest(kind, stored_config(record.config), Path(record.folder), options, resume=True))
        self.notify(f"Resuming {record.id} from its last finished epoch.")

    def cancels_here(self, view: str | None) -> bool:
        """Whether c on `view` cancels the run in progress: Progress shows every run, another view its own kind."""
        return self.running is not None and view in ("run", views_of(self.running.kind).live)

    def _running_changed(self) -> None:
        """A run started or ended: the keys the current view offers (its Cancel) follow."""
        self.screen.refresh_bindings()

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

    @property
    def taking_engine_messages(self) -> bool:
        """False once the app is closing: the engine thread may still post while its views are taken down."""
        return not self.engine.shutting_down and self.is_screen_installed("run")

    def on_engine_ready(self, message: EngineReady) -> None:
        if not self.taking_engine_messages:
            return
        self.device = message.device
        self._set_sub_title(message.device)
        if message.fallback:  # never a silent CPU where a GPU is
            self.notify(message.fallback, title="GPU unused", severity="warning", timeout=20)
        if message.gpus_note:
            self.notify(message.gpus_note, title="Several GPUs", timeout=20)

    def on_engine_progress(self, message: EngineProgress) -> None:
        if not self.taking_engine_messages:
            return
        if isinstance(message.event, ClusterStatus):
            self._set_sub_title(f"{self.device} · Ray {message.event.short}")
        if self.running is not None:
            for view in dict.fromkeys(("run", views_of(self.running.kind).live)):
                self.get_screen(view).apply(message.event)

    def on_run_finished(self, message: RunFinished) -> None:
        if not self.taking_engine_messages:
            return
        self.engine.done()
        self.running = None
        self._running_changed()
        kind, result = message.request.kind, message.result
        views = views_of(kind)
        where = f"{VIEW_TITLES[views.results]} ({self.keys_for(f'view.{views.results}')})"
        cancelled = "Cancelled; what finished is on" if result.status == "cancelled" else "Finished: see"
        self.get_screen("run").finish(f"{cancelled} {where}.")
        # only a user watching the run is taken to its results; one busy elsewhere (typing in Setup) is told
        watching = self.screen.id in ("run", views.live, views.results)
        self.show_result(kind, result, message.request.run_dir, go=watching)
        self.check_store()  # the run just recorded times this machine a little better
        if not watching:
            done = "was cancelled; what finished is on" if result.status == "cancelled" else "finished: see"
            self.notify(f"The {kind.title} {done} {where}.")
        self.call_after_refresh(self._set_sub_title, self.device)

    def _set_sub_title(self, text: str) -> None:
        """The header's subtitle, changed only when it changes and never once the app is shutting down: the
        engine thread's messages can still arrive then, and a Header whose title was already taken down fails
        to find it."""
        if self.is_running and text != self.sub_title:
            self.sub_title = text

    def on_run_failed(self, message: RunFailed) -> None:
        if not self.taking_engine_messages:
            return
        self.engine.done()
        self.running = None
        self._running_changed()
        self._set_sub_title(self.device)
        reason = message.message
        field = field_label(message.key) if message.key else None
        if field is not None:  # the value to blame is one the form sets: say where
            setup: SetupScreen = self.get_screen("setup")
            setup.mark_invalid(message.key, reason)
            reason += f" (set in Setup's {field} field, {self.keys_for('view.setup')})"
        self.get_screen("run").finish(f"Failed: {reason}", failed=True)
        self.notify(reason, title="Run failed", severity="error", timeout=10)

    def on_engine_died(self, message: EngineDied) -> None:
        """The engine thread should only end when the app does; if it dies, say so, and let the next run
        start a new one."""
        if not self.taking_engine_messages:
            return
        self.engine.died()
        self.running = None
        self._running_changed()
        reason = message.reason
        self.get_screen("run").finish(f"Failed: the engine stopped ({reason}); the next run starts it again.")
        self.notify(f"The engine stopped unexpectedly ({reason}). Details in the app log.", severity="error")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action of every view by name (help promises it), each going to its view first; Textual's own
        commands but its 'Keys' panel, which this app's help replaces."""
        yield from (command for command in super().get_system_commands(screen) if command.title != "Keys")
        yield SystemCommand("Keys", "List every key, as bound now", self.action_help)
        yield SystemCommand("Start run", "Validate the setup and train", self.action_start_run)
        yield SystemCommand("Cancel run", "Stop after the current batch, keep what finished", self.action_cancel_run)
        for view, title, _fkey, _number, what in VIEWS:
            yield SystemCommand(title, f"Show {what}", lambda view=view: self.action_show(view))
        seen = {"run.cancel"}
        for view, title, *_ in VIEWS:
            for binding in self.get_screen(view).BINDINGS:
                if binding.description and binding.id not in seen:
                    seen.add(binding.id)
                    yield SystemCommand(
                        f"{title}: {binding.description}",
                        escape(binding.tooltip or binding.description),  # the palette reads markup: [tune] stays
                        lambda view=view, binding=binding: self._run_in_view(view, binding),
                    )

    def _run_in_view(self, view: str, binding: Binding) -> None:
        """Go to `view`, then run one of its actions, as its key would there. An action on the view's selected row
        (History's Delete) runs only from that view: from elsewhere no row was chosen, so the view says how to."""
        screen = self.get_screen(view)
        chosen_here = self.screen is screen
        self.action_show(view)
        if binding.action in getattr(screen, "ACTS_ON_SELECTION", ()) and not chosen_here:
            keys = self.settings.keys(binding.id, binding.key)
            self.notify(f"{VIEW_TITLES[view]}: choose a run with ↑ ↓, then press {keys} ({binding.description}).")
            return
        self.call_after_refresh(self.run_action, binding.action, screen)


def run_app(
    config: ExperimentConfig, tensorboard: Path | None = None, launch: dict | None = None, restore_form: bool = False
) -> int:
    """Run the app with stderr (TensorFlow's C++ logs included) going to resources/logs/app.log."""
    log_path = log_dir() / "app.log"
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        logging.basicConfig(filename=log_path, level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    except OSError:
        pass  # an unwritable home still lets the app run; errors then go nowhere rather than onto the screen
    app = TransferApp(
        config, tensorboard=tensorboard, settings=load_settings(), launch=launch, restore_form=restore_form
    )
    with stderr_to_log(log_path):
        app.run()
        # a run in progress was asked to stop: give it time to finish its batch and record that it stopped
        ended = app.engine.join(timeout=RUN_STOP_WAIT_SECONDS if app.engine.busy else 0)
    if app.return_code:
        print(f"transfer-tui: the app stopped on an internal error; details in {log_path}", file=sys.stderr)
    code = app.return_code or 0
    if not ended or ("tensorflow" in sys.modules and not _ray_connected()):
        exit_now(code)  # not waiting for an import, a C++ call or TensorFlow's teardown (over a second)
    return code


def _ray_connected() -> bool:
    """Whether this process drives Ray, whose exit handlers stop the local cluster it started."""
    ray = sys.modules.get("ray")
    return ray is not None and ray.is_initialized()


def exit_now(code: int) -> None:
    """End the process at once, with the logs and the terminal's streams flushed: every file the app writes is
    already complete (atomic renames, committed SQLite transactions); only thread teardown is skipped."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)
