"""History: every stored run and leaderboard; open, compare two, re-run, resume, delete."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from engine.storage.store import RunRecord, open_store
from tui.render import summary_line
from tui.screens.dialogs import ConfirmDialog
from tui.stored import RESUMABLE, open_store_telling, result_of

COLUMNS = ("", "run", "kind", "status", "seeds", "summary")


class HistoryScreen(Screen):
    """Reads the run store each time it is shown, so runs from the CLI appear too."""

    BINDINGS = [
        Binding("o", "open", "Open", tooltip="show the run's results and curves (enter too)"),
        Binding("space", "mark", "Mark", key_display="␣", tooltip="mark up to two runs to compare"),
        Binding("v", "compare", "Compare", tooltip="the two marked runs side by side"),
        Binding("ctrl+r", "rerun", "Rerun", tooltip="load the run's config into Setup and run it again"),
        Binding("u", "resume", "Resume", tooltip="continue an interrupted run from its last finished epoch"),
        Binding("d", "delete", "Delete", tooltip="remove the run and its folder (asks first)"),
    ]

    def __init__(self) -> None:
        super().__init__(id="history")
        self.records: list[RunRecord] = []
        self.marked: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="history-caption")
        table = DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Footer(compact=True, show_command_palette=False)

    def on_data_table_row_selected(self) -> None:
        self.action_open()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        store = open_store_telling(self.notify)
        if store is None:
            return
        self.records = store.runs()
        self.marked = [run_id for run_id in self.marked if any(r.id == run_id for r in self.records)]
        table = self.query_one("#runs", DataTable)
        row = table.cursor_row
        table.clear()
        for record in self.records:
            mark = "*" if record.id in self.marked else ""
            table.add_row(
                mark,
                record.id,
                record.kind,
                record.status,
                str(len(record.config["run"]["seeds"])),
                summary_line(result_of(record)),
                key=record.id,
            )
        if self.records:
            table.move_cursor(row=min(row, len(self.records) - 1))
        self.query_one("#history-caption", Static).update(
            f"{len(self.records)} run(s), newest first; o opens one, space marks two to compare"
            if self.records
            else "No runs yet: the runs and leaderboards you start (here or from the CLI) appear here."
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
        self.reload()

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
                open_store().delete(record.id)
                shutil.rmtree(Path(record.folder), ignore_errors=True)
                self.notify(f"Deleted run {record.id}.")
                self.reload()

        self.app.push_screen(ConfirmDialog(f"Delete run {record.id} and its folder?", record.folder), confirmed)
