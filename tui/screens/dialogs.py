"""Small modal dialogs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from engine.errors import UserError
from engine.fileio import atomic_write_text
from engine.results.exports import export_text, nothing_to_export
from engine.results.protocol import RunResult
from tui.cli.outputs import output_file_problem


class PathDialog(ModalScreen[Path | None]):
    """Ask for a file or folder path; enter accepts, escape cancels. `check` may refuse a path with a reason,
    shown in the dialog, which stays open for another try."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, default: Path, check: Callable[[Path], str | None] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.default = default
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="dialog-title")
            yield Input(value=str(self.default), id="dialog-path")
            yield Static("", id="dialog-error")
            yield Static("enter: OK   escape: cancel", classes="dialog-hint")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        path = Path(text).expanduser() if text else None
        problem = self.check(path) if path is not None and self.check is not None else None
        if problem is not None:
            self.query_one("#dialog-error", Static).update(Text(problem))
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question: y confirms, n or escape declines."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n,escape", "answer(False)", "No", id="dialog.no"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question, self.detail = question, detail

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.question, id="dialog-title")
            yield Static(self.detail, classes="dialog-hint")
            yield Static("y: yes   n / escape: no", classes="dialog-hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


EXPORT_FORMATS = {".csv": "csv", ".json": "json", ".md": "md"}


def app_file_problem(path: Path) -> str | None:
    """Why the app cannot write the file `path`, or None. The app's one rule for every file and folder it writes
    where the user says (exports, models, a saved form): a folder that does not exist yet is made."""
    return output_file_problem(path, make_folder=True)


def export_problem(path: Path) -> str | None:
    """Why the results cannot be exported to `path`, or None."""
    if path.suffix.lower() not in EXPORT_FORMATS:
        return "Name the file .csv, .json or .md"
    return app_file_problem(path)


def offer_export(app: App, result: RunResult | None, folder: Path | None, what: str, name: str) -> None:
    """`e` on a view: export its `result` (a run that has ended: `folder` is its folder, else None), as `name`
    (its kind, '.csv' by default) in the run's folder unless the user names another file."""
    if result is None or folder is None:
        app.notify(f"Nothing to export until {what} has ended.", severity="warning")
        return
    export_with_dialog(app, result, f"Export {what} (.csv, .json or .md)", folder / name)


def export_with_dialog(app: App, result: RunResult, title: str, default: Path) -> None:
    """Ask where to export `result` (the run's folder by default, as the CLI writes), refusing a bad name or
    folder in the dialog, asking before an existing file is replaced, and saying the full path written."""
    nothing = nothing_to_export(result)
    if nothing is not None:
        app.notify(nothing.capitalize(), severity="warning")
        return

    def write(path: Path) -> None:
        try:
            atomic_write_text(path, export_text(result, EXPORT_FORMATS[path.suffix.lower()]))
        except UserError as exc:
            app.notify(str(exc), title="Cannot export", severity="error", timeout=8)
            return
        app.notify(f"Wrote {path.resolve()}")

    def chosen(path: Path | None) -> None:
        if path is None:
            return
        if path.exists():
            question = f"Replace {path.resolve()}?"
            app.push_screen(
                ConfirmDialog(question, "It exists; y writes over it."), lambda yes: write(path) if yes else None
            )
        else:
            write(path)

    app.push_screen(PathDialog(title, default, export_problem), chosen)
