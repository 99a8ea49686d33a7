"""Helpers for driving the app with Textual's Pilot."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console
from textual.widgets import Static


def app_state(app) -> str:
    """What the app was doing, for a failure message."""
    run = app.get_screen("run")
    busy = app.engine.busy
    return f"screen {app.screen.id}, engine busy {busy}, run status {run.status!r}, epochs {len(run.state.epochs)}"


async def wait_for(pilot, condition, timeout: float = 120.0) -> None:
    """Let the app run until `condition()` holds; fail the test after `timeout` seconds, saying where it was."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"the app did not reach the expected state in time: {app_state(pilot.app)}")
        await pilot.pause(0.05)
    # let what the change set off settle (a newly shown screen mounts its widgets), so the test never ends
    # between a widget's mount and its first callbacks
    await pilot.pause()


def shown_text(static: Static, width: int = 120) -> str:
    """What a Static shows, as plain text (Rich renderables included), `width` columns wide."""
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(static.content)
    return console.export_text()


async def open_history(pilot) -> None:
    """Show History and wait until it has read the run store (it reads off the UI thread)."""
    history = pilot.app.get_screen("history")
    history.loaded = False
    await pilot.press("f6")
    await wait_for(pilot, lambda: history.loaded)


async def export_with_e(pilot, target) -> None:
    """Press e on the view shown, give `target` in the dialog it opens, and wait until the file is written."""
    from textual.widgets import Input

    await pilot.press("e")
    await wait_for(pilot, lambda: pilot.app.screen.query("#dialog-path"))
    pilot.app.screen.query_one("#dialog-path", Input).value = str(target)
    await pilot.press("enter")
    await wait_for(pilot, lambda: target.is_file())
