"""Setup: split, network and training, filled from a preset or a TOML file, validated as you type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Checkbox, Footer, Header, Input, Label, Select, Static

from engine.config import ExperimentConfig, config_to_toml, load_config_file
from engine.config.presets import PRESET_DESCRIPTIONS, PRESETS, preset, study_networks
from engine.errors import UserError
from engine.fileio import atomic_write_text
from engine.kinds import MAP, RunKind, kind_for
from engine.results.words import plural
from tui.screens.dialogs import ConfirmDialog, PathDialog, app_file_problem
from tui.state.form_fields import FIELDS, FIELDS_BY_ID, form_values, parse_form, with_preset
from tui.state.form_memory import remember_form, remembered_form
from tui.state.stored import estimate
from tui.widgets.field_row import FieldRow

DEFAULT_CONFIG_FILE = "experiment.toml"
REMEMBER_AFTER_SECONDS = 0.5  # the form is kept once typing pauses this long
# side by side on wide terminals, one under the other on narrow ones
COLUMNS = (("Split", "Network", "Data", "Reading", "Cluster"), ("Training", "Study", "Tune"))


def run_size(config: ExperimentConfig, kind: RunKind) -> str:
    """What ctrl+r trains, counted: '1 seed', '2 pairs x 3 seeds', '45 pairs x 2 networks x 3 seeds'."""
    parts = []
    if len(config.split.pairs) > 1:
        parts.append(plural(len(config.split.pairs), "pair"))
    if kind is MAP and len(study_networks(config)) > 1:
        parts.append(plural(len(study_networks(config)), "network"))
    return " x ".join([*parts, plural(len(config.run.seeds), "seed")])


class SetupScreen(Screen):
    """The experiment form. The app asks it for a valid config before every run."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("ctrl+o", "load_config", "Load", tooltip="fill the form from a TOML experiment file", id="setup.load"),
        Binding("ctrl+s", "save_config", "Save", tooltip="save the form as a TOML file the CLI reads", id="setup.save"),
        Binding(
            "escape",
            "leave_field",
            "Leave field",
            show=False,
            tooltip="leave the field, so the number keys switch views again",
            id="setup.leave_field",
        ),
    ]

    def __init__(self, config: ExperimentConfig, launch: dict | None = None, restore: bool = False) -> None:
        super().__init__(id="setup")
        self.base = config  # what the form does not show (the leaderboard settings) comes from here
        self.launch = launch or {}  # what the command line set: a preset chosen here keeps it
        self.config_path = Path(DEFAULT_CONFIG_FILE)
        self.kept: dict[str, Any] = {}  # field values as the form was left when the app last ran
        remembered = remembered_form() if restore else None
        if remembered is not None:
            self.kept, self.base = remembered
        self.remember_timer: Timer | None = None
        self.unkept: tuple[dict[str, Any], ExperimentConfig] | None = None  # the form, not yet written
        self.check_pending = False  # a check of the form is due after the next refresh

    def compose(self) -> ComposeResult:
        yield Header()
        values = {**form_values(self.base), **{key: v for key, v in self.kept.items() if key in FIELDS_BY_ID}}
        for spec in FIELDS:  # a kept choice this version no longer offers shows the base config's
            if spec.choices and values[spec.id] not in [value for _, value in spec.choices]:
                values[spec.id] = form_values(self.base)[spec.id]
        with VerticalScroll(id="form"):
            with Horizontal(classes="field-line", id="preset-line"):
                yield Label("Preset", classes="field-label")
                options = [(f"{name}: {text}", name) for name, text in PRESET_DESCRIPTIONS.items()]
                yield Select(options, prompt="(choose to fill the form)", compact=True, id="preset")
            with Horizontal(id="columns"):
                for column in COLUMNS:
                    with Vertical(classes="form-column"):
                        for section in column:
                            yield Static(section, classes="section-title")
                            for spec in FIELDS:
                                if spec.section == section:
                                    yield FieldRow(spec, values[spec.id])
        yield Static("", id="form-status")  # under the form, always in view: what ctrl+r runs, or what to fix
        yield Footer(compact=True, show_command_palette=False)

    def rows(self) -> list[FieldRow]:
        return list(self.query(FieldRow))

    def fill(self, config: ExperimentConfig) -> None:
        """Show `config` in every field."""
        self.base = config
        values = form_values(config)
        for row in self.rows():
            row.value = values[row.spec.id]
        self._show_network_fields()
        self.validate()
        self.remember()

    def remember(self) -> None:
        """Keep the form as it stands for the next start, written once typing pauses."""
        self.unkept = ({row.spec.id: row.value for row in self.rows()}, self.base)
        if self.remember_timer is not None:
            self.remember_timer.stop()
        self.remember_timer = self.set_timer(REMEMBER_AFTER_SECONDS, self.remember_now)

    def remember_now(self) -> None:
        if self.unkept is not None:
            remember_form(*self.unkept)
            self.unkept = None

    def _show_network_fields(self) -> None:
        """Show only the fields of the chosen kind of network (the conv filters for a CNN)."""
        kind = self.query_one("#field-network_kind", Select).value
        for row in self.rows():
            row.display = row.spec.shown_for(kind)

    def validate(self) -> ExperimentConfig | None:
        """Parse the form; mark each bad field with its message. Returns the config, or None if any field is bad."""
        config, errors = parse_form({row.spec.id: row.value for row in self.rows()}, self.base)
        for row in self.rows():
            row.show_error(errors.get(row.spec.id))
        status = self.query_one("#form-status", Static)
        long = False
        if errors:
            need = "needs" if len(errors) == 1 else "need"
            status.update(f"{plural(len(errors), 'field')} {need} fixing before a run can start.")
        else:
            kind = kind_for(config, "run")
            how_long = estimate(config, kind.name, getattr(self.app, "run_records", []))
            long = how_long.long
            what = f"{run_size(config, kind)}, {how_long.words}"
            status.update(f"Ready: {what}. " + ("That is long. " if long else "") + "Press ctrl+r to run.")
        status.set_class(bool(errors), "-invalid")
        status.set_class(long, "-long")
        return config

    def mark_invalid(self, key: str, message: str) -> None:
        """Show a run's failure at the field that sets `key` (a data folder whose files are broken), until the form
        is checked again."""
        for row in self.rows():
            if row.spec.key == key:
                row.show_error(message)

    def focus_first_error(self) -> None:
        for row in self.rows():
            if row.has_class("-invalid"):
                row.control.focus()
                row.scroll_visible()
                return

    def on_mount(self) -> None:
        self._show_network_fields()
        if self.kept:
            self.validate()

    def on_unmount(self) -> None:
        """What was typed last is kept even if the app quits before the pause that would keep it."""
        self.remember_now()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Mark the row whose control has the focus (its label shows it): Textual's :focus-within kept the first
        row it matched highlighted after the focus moved on."""
        for row in self.rows():
            row.set_class(event.widget in row.walk_children(), "-focused")

    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _field_changed(self) -> None:
        self._check_soon()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "preset":
            if event.value in PRESETS:
                self.fill(with_preset(preset(event.value), self.validate() or self.base, self.launch))
                self.notify(f"Preset {event.value} loaded")
        else:
            if event.select.id == "field-network_kind":
                self._show_network_fields()
            self._check_soon()

    def _check_soon(self) -> None:
        """Check and keep the form once the changes that arrived together have all arrived: each of the ~40 fields
        says it changed as the form first shows, and checking the whole form 40 times held the first screen back
        by over a second."""
        if not self.check_pending:
            self.check_pending = True
            self.call_after_refresh(self._check_now)

    def _check_now(self) -> None:
        self.check_pending = False
        self.validate()
        self.remember()

    def action_leave_field(self) -> None:
        """Focus the form itself, not another field: a digit typed next switches views instead of editing."""
        self.query_one("#form", VerticalScroll).focus()

    def action_load_config(self) -> None:
        self.app.push_screen(PathDialog("Load experiment from TOML file", self.config_path), self._load)

    def _load(self, path: Path | None) -> None:
        if path is None:
            return
        try:
            config = load_config_file(path)
        except UserError as exc:
            self.notify(str(exc), title="Cannot load", severity="error", timeout=8)
            return
        self.config_path = path
        self.fill(config)
        self.notify(f"Loaded {path}")

    def action_save_config(self) -> None:
        config = self.validate()
        if config is None:
            self.notify("Fix the marked fields before saving.", severity="error")
            self.focus_first_error()
            return
        dialog = PathDialog("Save experiment as TOML file", self.config_path, app_file_problem)
        self.app.push_screen(dialog, self._save)

    def _save(self, path: Path | None) -> None:
        """Write the form to `path`; a file other than the one this form came from or went to is replaced only
        once the user agrees."""
        if path is None:
            return
        if path.exists() and path.resolve() != self.config_path.resolve():
            dialog = ConfirmDialog(f"Replace {path.resolve()}?", "It exists; y writes the form over it.")
            self.app.push_screen(dialog, lambda yes: self._write(path) if yes else None)
        else:
            self._write(path)

    def _write(self, path: Path) -> None:
        config = self.validate()
        if config is None:
            return
        try:
            atomic_write_text(path, config_to_toml(config))
        except UserError as exc:
            self.notify(str(exc), title="Cannot save", severity="error", timeout=8)
            return
        self.config_path = path
        self.notify(f"Saved {path.resolve()}")
