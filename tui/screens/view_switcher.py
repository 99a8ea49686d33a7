"""A list of the views to go to, for terminals where the F-keys do not arrive (ctrl+g)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option


class ViewSwitcher(ModalScreen[None]):
    """Arrow keys and enter pick a view; escape closes."""

    BINDINGS = [Binding("escape", "close", "Close", id="switcher.close")]

    def __init__(self, views: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.views = views  # (view id, title, its keys)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Go to", id="dialog-title")
            yield OptionList(*[Option(f"{title}  ({keys})", id=view) for view, title, keys in self.views], id="views")
            yield Static("enter: go   escape: stay", classes="dialog-hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(None)
        self.app.action_show(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)
