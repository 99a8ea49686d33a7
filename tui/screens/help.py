"""Every key the app answers to, on one screen."""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

FORM_KEYS = (
    ("tab / shift+tab", "Setup", "next / previous field"),
    ("enter", "Setup", "open a choice list; enter again picks"),
    ("space", "Setup", "tick or untick a checkbox"),
    ("↑ ↓ pgup pgdn", "tables", "move in a table or scroll a view"),
    ("ctrl+p", "everywhere", "command palette: every action by name"),
    ("escape", "dialogs", "close without doing anything"),
)


def key_table(sections: list[tuple[str, list[Binding]]], keys_of: Callable[[Binding], str]) -> Table:
    """Every binding of every section, with the keys it answers to (`keys_of` applies the user's keymap)."""
    table = Table(title="Keys", title_justify="left", show_edge=False, expand=True)
    table.add_column("Key", style="bold", no_wrap=True)
    table.add_column("Where")
    table.add_column("What it does")
    seen: set[tuple[str, str]] = set()
    for where, bindings in sections:
        for binding in bindings:
            if binding.description and (binding.key, where) not in seen:
                seen.add((binding.key, where))
                # plain text: a tooltip's [brackets] are words here, not Rich markup
                table.add_row(Text(keys_of(binding)), Text(where), Text(binding.tooltip or binding.description))
    for key, where, what in FORM_KEYS:
        table.add_row(Text(key), Text(where), Text(what))
    return table


class HelpScreen(ModalScreen[None]):
    """Opened with ? or F1; any of escape, q, ? or F1 closes it."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close help", id="help.close")]

    def __init__(self, sections: list[tuple[str, list[Binding]]], keys_of: Callable[[Binding], str]) -> None:
        super().__init__()
        self.sections = sections
        self.keys_of = keys_of

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(key_table(self.sections, self.keys_of))
            yield Static("escape closes this help.", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
