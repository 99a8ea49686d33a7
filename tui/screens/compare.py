"""Two stored runs side by side, with what differs between their configs."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from engine.storage.store import RunRecord
from tui.render import result_report
from tui.stored import config_differences, result_of, when


def run_column(record: RunRecord) -> Group:
    result = result_of(record)
    parts = [Text(f"{record.kind} {record.id}", style="bold"), Text(f"{record.status}, {when(record.started_at)}")]
    if result is not None:
        parts += result_report(result)
    else:
        parts.append(Text("No results (the run did not end).", style="dim"))
    return Group(*parts)


class CompareScreen(Screen):
    """Opened from History with two marked runs; escape goes back."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="compare.back")]

    def __init__(self, left: RunRecord, right: RunRecord) -> None:
        super().__init__()
        self.left, self.right = left, right

    def compose(self) -> ComposeResult:
        yield Header()
        differences = config_differences(self.left.config, self.right.config)
        summary = "Config differences (left → right): " + ("; ".join(differences) if differences else "none")
        yield Static(summary, id="compare-differences")
        with Horizontal(id="compare"):
            with VerticalScroll(classes="compare-column"):
                yield Static(run_column(self.left))
            with VerticalScroll(classes="compare-column"):
                yield Static(run_column(self.right))
        yield Footer(compact=True, show_command_palette=False)
