"""History: every stored run and leaderboard; open, compare two, re-run, resume, delete."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from engine.results.words import plural
from engine.storage.store import RunRecord, open_store
from tui.screens.dialogs import ConfirmDialog
from tui.state.stored import RESUMABLE, listed_kind, result_of, store_place, store_problem, summary_of

COLUMNS = ("", "run", "status", "summary")
# what the columns before the summary take (mark 1, run id 20, status 11, each padded by 1 a side), the scroll bar
# and the screen's edge: the summary wraps in what is left, so no number is cut at any width
FIXED_WIDTH = 1 + 20 + 11 + 3 * 2 + 2 + 4
MIN_SUMMARY_WIDTH = 24


class RunsTable(DataTable):
    """The runs, newest first: home and end go to the newest and the oldest."""

    BINDINGS = [
        Binding("home", "scroll_top", "Newest", show=False),
        Binding("end", "scroll_bottom", "Oldest", show=False),
    ]


class HistoryScreen(Screen):
    """Reads the run store each time it is shown, so runs from the CLI appear too."""

    BINDINGS = [
        Binding("o", "open", "Open", tooltip="show the run's results and curves (enter too)", id="history.open"),
        Binding("space", "mark", "Mark", key_display="␣", tooltip="mark up to two runs to compare", id="history.mark"),
        Binding("v", "compare", "Compare", tooltip="the two marked runs side by side", id="history.compare"),
        Binding(
            "ctrl+r",
            "rerun",
            "Reuse",
            tooltip="load the run's config into Setup to run it again (asks before replacing the form)",
            id="history.rerun",
        ),
        Binding(
            "u",
            "resume",
            "Resume",
            tooltip="continue an interrupted run from its last finished epoch",
            id="history.resume",
        ),
        Binding("d", "delete", "Delete", tooltip="remove the run and its folder (asks first)", id="history.delete"),
    ]

    # actions on the highlighted run: the command palette does not run them from another view (no run was chosen)
    ACTS_ON_SELECTION = ("open", "mark", "rerun", "resume", "delete")

    def __init__(self) -> None:
        super().__init__(id="history")
        self.records: list[RunRecord] = []
        self.summaries: dict[str, str] = {}
        self.marked: list[str] = []
        self.loaded = False  # whether the table shows what the store held at the last look
        self.deleting: set[str] = set()  # runs being deleted: hidden, whatever a reload meanwhile reads
        self.highlighted_id: str | None = None  # the run under the cursor, followed across reloads

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="history-caption")
        table = RunsTable(id="runs", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Footer(compact=True, show_command_palette=False)

    def on_resize(self) -> None:
        if self.loaded:
            self._draw()

    def on_data_table_row_selected(self) -> None:
        self.action_open()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.highlighted_id = event.row_key.value

    class Loaded(Message):
        """The stored runs with their summary lines, read off the UI thread; or why they could not be read."""

        def __init__(
            self,
            records: list[RunRecord],
            summaries: dict[str, str],
            problem: tuple[str, str] | None,
            deleted: str | None = None,
        ) -> None:
            super().__init__()
            self.records, self.summaries, self.problem, self.deleted = records, summaries, problem, deleted

    def on_screen_resume(self) -> None:
        self.reload()

    @work(thread=True, group="history")
    def reload(self, delete: RunRecord | None = None) -> None:
        """Read the store again (first deleting a run, if asked); the database may be busy for a while."""
        problem = store_problem()
        if problem is not None and problem[1] == "error":
            self.post_message(self.Loaded([], {}, problem))
            return
        store = open_store()
        if delete is not None:
            store.delete(delete.id)
            shutil.rmtree(Path(delete.folder), ignore_errors=True)
        records = store.runs()
        summaries = {record.id: summary_of(record) for record in records}
        self.post_message(self.Loaded(records, summaries, problem, deleted=delete.id if delete else None))

    def on_history_screen_loaded(self, message: Loaded) -> None:
        if message.problem is not None:
            text, severity = message.problem
            self.notify(text, title="Run store", severity=severity, timeout=10)
        self.deleting.discard(message.deleted)
        self.records = [record for record in message.records if record.id not in self.deleting]
        self.summaries = message.summaries
        self.marked = [run_id for run_id in self.marked if any(r.id == run_id for r in self.records)]
        self.loaded = True
        self._draw()

    def _draw(self) -> None:
        table = self.query_one("#runs", DataTable)
        row = table.cursor_row
        highlighted = self.highlighted_id
        table.clear()
        width = max(MIN_SUMMARY_WIDTH, self.size.width - FIXED_WIDTH)
        for record in self.records:
            mark = "*" if record.id in self.marked else ""
            run = f"{record.id}\n{listed_kind(record)}, {plural(len(record.config['run']['seeds']), 'seed')}"
            summary = textwrap.wrap(self.summaries[record.id], width) or [""]
            table.add_row(mark, run, record.status, "\n".join(summary), key=record.id, height=max(2, len(summary)))
        if self.records:  # the same run stays highlighted when newer runs arrive above it
            ids = [record.id for record in self.records]
            table.move_cursor(row=ids.index(highlighted) if highlighted in ids else min(row, len(ids) - 1))
        self.highlighted_id = self.records[table.cursor_row].id if self.records else None
        self.query_one("#history-caption", Static).update(
            f"{plural(len(self.records), 'run')} in {store_place()}, newest first; o opens one, space marks two to "
            "compare"
            if self.records
            else f"No runs yet in {store_place()}: the runs and leaderboards you start (here or from the CLI in "
            "this folder) appear here."
        )

    def selected(self) -> RunRecord | None:
        if not self.records:
            self.notify("No runs yet.", severity="warning")
            return None
        return self.records[self.query_one("#runs", DataTable).cursor_row]

    def action_open(self) -> None:
        record = self.selected()
        if record is None:
            return
        result = result_of(record)
        if result is None:
            hint = " Press u to resume it." if record.status in RESUMABLE else ""
            self.notify(f"Run {record.id} has no results ({record.status}).{hint}", severity="warning")
            return
        self.app.show_stored(record, result)

    def action_mark(self) -> None:
        record = self.selected()
        if record is None:
            return
        if record.id in self.marked:
            self.marked.remove(record.id)
        else:
            self.marked = [*self.marked[-1:], record.id]  # the two most recent marks
        self._draw()

    def action_compare(self) -> None:
        if len(self.marked) != 2:
            self.notify("Mark two runs with space first.", severity="warning")
            return
        from tui.screens.compare import CompareScreen

        by_id = {record.id: record for record in self.records}
        self.app.push_screen(CompareScreen(by_id[self.marked[0]], by_id[self.marked[1]]))

    def action_rerun(self) -> None:
        record = self.selected()
        if record is not None:
            self.app.rerun(record)

    def action_resume(self) -> None:
        record = self.selected()
        if record is None:
            return
        if record.status not in RESUMABLE:
            self.notify(
                f"Run {record.id} is {record.status}: only interrupted, cancelled or failed runs resume.",
                severity="warning",
            )
            return
        self.app.resume(record)

    def action_delete(self) -> None:
        record = self.selected()
        if record is None:
            return
        if record.status == "running":
            self.notify("That run is running: cancel it first.", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.deleting.add(record.id)
                self.records = [r for r in self.records if r.id != record.id]
                self._draw()
                self.reload(delete=record)
                self.notify(f"Deleted run {record.id}.")

        self.app.push_screen(ConfirmDialog(f"Delete run {record.id} and its folder?", record.folder), confirmed)
