"""Two stored runs side by side, with what differs between their configs."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from engine.config.differences import config_differences
from engine.storage.store import RunRecord
from tui.kinds import result_report
from tui.state.stored import result_of, when

SIDE_BY_SIDE_FROM = 160  # columns: a run's tables are about 75 wide


def run_column(record: RunRecord) -> Group:
    result = result_of(record)
    parts = [Text(f"{record.kind} {record.id}", style="bold"), Text(f"{record.status}, {when(record.started_at)}")]
    if result is not None:
        parts += result_report(result)
    else:
        parts.append(Text("No results (the run did not end).", style="dim"))
    return Group(*parts)


class CompareScreen(Screen):
    """Opened from History with two marked runs; escape goes back, the arrows and page keys scroll."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="compare.back")]

    def __init__(self, left: RunRecord, right: RunRecord) -> None:
        super().__init__()
        self.left, self.right = left, right

    def compose(self) -> ComposeResult:
        yield Header()
        differences = config_differences(self.left.config, self.right.config)
        summary = "Config differences (left → right): " + ("; ".join(differences) if differences else "none")
        with VerticalScroll(id="compare"):
            yield Static(summary, id="compare-differences")
            with Horizontal(id="compare-columns"):
                yield Static(run_column(self.left), classes="compare-column")
                yield Static(run_column(self.right), classes="compare-column")
        yield Footer(compact=True, show_command_palette=False)

    def on_resize(self) -> None:
        """Side by side where both tables fit whole, one above the other elsewhere: never a cut number."""
        self.query_one("#compare-columns").set_class(self.size.width < SIDE_BY_SIDE_FROM, "-stacked")
