"""One labelled form field with room for an inline error under it."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static

from tui.options import Option


class TickBox(Checkbox):
    """A checkbox whose box is empty while unticked: Textual draws its X either way, told apart by colour alone,
    which TERM=xterm, NO_COLOR and tired eyes lose."""

    @property
    def BUTTON_INNER(self) -> str:  # the name Textual's ToggleButton reads
        return "X" if self.value else " "


def control_for(spec: Option, value: Any) -> Widget:
    """The input widget a field kind needs, compact so that the whole form fits small terminals."""
    widget_id, tooltip = f"field-{spec.id}", spec.help or None  # the flag's help, where the setting has a flag
    if spec.kind == "choice":
        return Select(spec.choices, value=value, allow_blank=False, compact=True, id=widget_id, tooltip=tooltip)
    if spec.kind == "bool":
        return TickBox(spec.placeholder, value=bool(value), compact=True, id=widget_id, tooltip=tooltip)
    return Input(value=str(value), placeholder=spec.placeholder, compact=True, id=widget_id, tooltip=tooltip)


class FieldRow(Vertical):
    """Label, control and (when invalid) the message that says what is wrong."""

    def __init__(self, spec: Option, value: Any) -> None:
        super().__init__(classes="field-row", id=f"row-{spec.id}")
        self.spec = spec
        self.initial = value

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-line"):
            yield Label(self.spec.label, classes="field-label")
            yield control_for(self.spec, self.initial)
        yield Static("", classes="field-error", id=f"error-{self.spec.id}")

    @property
    def control(self) -> Widget:
        return self.query_one(f"#field-{self.spec.id}")

    @property
    def value(self) -> Any:
        return self.control.value

    @value.setter
    def value(self, new_value: Any) -> None:
        control = self.control
        control.value = str(new_value) if isinstance(control, Input) else new_value

    def show_error(self, message: str | None) -> None:
        self.set_class(bool(message), "-invalid")
        self.query_one(".field-error", Static).update(message or "")
