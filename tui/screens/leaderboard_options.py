"""The leaderboard's settings: which optimizers, which task, how long, and every optimizer's hyperparameters."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Select, SelectionList, Static

from engine.config import ExperimentConfig, LeaderboardConfig, config_from_dict, config_to_dict, parse_value
from engine.config.optimizers import OPTIMIZERS
from engine.errors import ConfigError
from tui.options import LEADERBOARD_OPTIONS
from tui.state.form_fields import shown_value
from tui.widgets.field_row import FieldRow


def hyperparameter_text(values: dict[str, Any]) -> str:
    """{'learning_rate': 0.001, 'nesterov': True} -> 'learning_rate=0.001 nesterov=true'."""
    return " ".join(
        f"{key}={str(value).lower() if isinstance(value, bool) else value}" for key, value in values.items()
    )


def parse_hyperparameters(text: str) -> dict[str, Any]:
    """'learning_rate=0.01 momentum=0.9' -> {'learning_rate': 0.01, 'momentum': 0.9}."""
    values = {}
    for part in text.split():
        key, sep, raw = part.partition("=")
        if not sep or not key:
            raise ConfigError(f"write key=value pairs, e.g. learning_rate=0.001; cannot read {part!r}")
        values[key] = parse_value(raw)
    return values


class LeaderboardOptions(ModalScreen[LeaderboardConfig | None]):
    """Edit the [leaderboard] section; ctrl+s applies (if every value is valid), escape cancels."""

    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", tooltip="use these settings for the next race", id="options.apply"),
        Binding("escape", "cancel", "Cancel", id="options.cancel"),
    ]

    def __init__(self, config: ExperimentConfig) -> None:
        super().__init__()
        self.config = config

    def compose(self) -> ComposeResult:
        board = self.config.leaderboard
        with VerticalScroll(id="options"):
            yield Label("Optimizer leaderboard", id="dialog-title")
            yield Static("", id="options-error")  # at the top: a dialog taller than the terminal still shows it
            yield Static("Race (space ticks an optimizer):", classes="section-title")
            yield SelectionList(*[(name, name, name in board.optimizers) for name in OPTIMIZERS], id="optimizers")
            shown = config_to_dict(self.config)["leaderboard"]
            for option in LEADERBOARD_OPTIONS:  # declared once with their flags: leaderboard --epochs ...
                yield FieldRow(option, shown_value(option, shown[option.key.split(".")[1]]))
            yield Static("Hyperparameters:", classes="section-title")
            for name in OPTIMIZERS:
                with Horizontal(classes="field-line"):
                    yield Label(name, classes="field-label")
                    yield Input(hyperparameter_text(board.hyperparameters[name]), compact=True, id=f"hyper-{name}")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#optimizers", SelectionList).focus()

    def edited(self) -> LeaderboardConfig:
        """The settings as typed; ConfigError names what is wrong."""
        values, wrong = {}, []
        for row in self.query(FieldRow):
            try:
                values[row.spec.key.split(".")[1]] = row.spec.parse(row.value)
                row.show_error(None)
            except ValueError as exc:
                row.show_error(str(exc))
                wrong.append(f"{row.spec.label} {exc}")
        if wrong:
            raise ConfigError("; ".join(wrong))
        hyperparameters = {}
        for name in OPTIMIZERS:
            try:
                hyperparameters[name] = parse_hyperparameters(self.query_one(f"#hyper-{name}", Input).value)
            except ConfigError as exc:
                raise ConfigError(f"{name}: {exc}") from None
        values |= {
            "optimizers": list(self.query_one("#optimizers", SelectionList).selected),
            "hyperparameters": hyperparameters,
        }
        # validated exactly as a TOML file would be
        return config_from_dict({"leaderboard": values}, self.config).leaderboard

    @on(Input.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    def _check(self) -> None:
        try:
            self.edited()
        except ConfigError as exc:
            self.query_one("#options-error", Static).update(str(exc))
        else:
            self.query_one("#options-error", Static).update("")

    def action_apply(self) -> None:
        try:
            board = self.edited()
        except ConfigError as exc:
            self.query_one("#options-error", Static).update(str(exc))
            return
        self.dismiss(board)

    def action_cancel(self) -> None:
        self.dismiss(None)
