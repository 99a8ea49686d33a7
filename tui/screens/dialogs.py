"""Small modal dialogs."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from engine.errors import UserError


class PathDialog(ModalScreen[Path | None]):
    """Ask for a file or folder path; enter accepts, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, default: Path) -> None:
        super().__init__()
        self.title_text = title
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="dialog-title")
            yield Input(value=str(self.default), id="dialog-path")
            yield Static("enter: OK   escape: cancel", classes="dialog-hint")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.dismiss(Path(text).expanduser() if text else None)

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


def export_to(app: App, result: object, path: Path) -> None:
    """Write `result` to `path` in the format its suffix names; problems become notifications."""
    fmt = EXPORT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        app.notify("Name the file .csv, .json or .md", severity="error")
        return
    from engine.fileio import atomic_write_text
    from engine.results.exports import export_text

    try:
        atomic_write_text(path, export_text(result, fmt))
    except UserError as exc:
        app.notify(str(exc), title="Cannot export", severity="error", timeout=8)
        return
    app.notify(f"Wrote {path}")
