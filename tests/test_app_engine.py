"""The app's engine worker: the UI thread alone says whether a run is in progress, the run store is read off
the UI thread, and a worker that dies becomes a message while the app stays usable."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from textual.widgets import Input

from engine.data.fashion_mnist import Dataset
from engine.storage.store import RunStore
from tests.conftest import tiny_config
from tests.pilot import wait_for
from tui.app.app import TransferApp
from tui.app.engine_thread import EngineThread
from tui.app.messages import RunFinished


async def test_busy_is_cleared_where_the_ui_handles_the_end_of_the_run(small_dataset: Dataset) -> None:
    busy_when_handled = []

    class Watched(TransferApp):
        def on_run_finished(self, message: RunFinished) -> None:
            busy_when_handled.append(self.engine.busy)
            super().on_run_finished(message)

    app = Watched(tiny_config(), load_dataset=lambda _config: small_dataset)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: busy_when_handled)
        # the worker did not clear it behind the UI's back before the finish was handled; the handler did
        assert busy_when_handled == [True] and not app.engine.busy
        assert app.screen.id == "results"


async def test_a_locked_run_store_does_not_freeze_the_app(small_dataset: Dataset, isolated_home: Path) -> None:
    """Another process holds the database's write lock: the app still starts and takes keys meanwhile."""
    RunStore(isolated_home / "runs.sqlite")  # a database to lock
    locked, release, gave_up = threading.Event(), threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        """Hold the lock until the test is done with the app, or give up after 20 s (a UI thread stuck on the
        database would be waiting for that)."""
        connection = sqlite3.connect(isolated_home / "runs.sqlite", isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        locked.set()
        if not release.wait(20):
            gave_up.set()
        connection.execute("ROLLBACK")
        connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    locked.wait(10)
    try:
        app = TransferApp(tiny_config(), load_dataset=lambda _config: small_dataset, preload_engine=False)
        async with app.run_test(size=(100, 30)) as pilot:
            field = app.screen.query_one("#field-n_train_b", Input)
            field.focus()
            # would wait out the 30 s lock timeout if the store were opened on the UI thread
            await asyncio.wait_for(pilot.press("end", "backspace", "backspace", "7"), timeout=10)
            await asyncio.wait_for(pilot.press("5"), timeout=10)
            assert field.value == "75" and not gave_up.is_set()  # typed while the database was locked
            await asyncio.wait_for(pilot.press("f5"), timeout=10)  # Optimizers reads the store too
            assert app.screen.id == "leaderboard" and not gave_up.is_set()
            release.set()
            await pilot.pause()
    finally:
        release.set()
        holder.join(10)


async def test_an_engine_thread_that_dies_is_reported_and_replaced(
    small_dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_serve = EngineThread._serve_requests
    calls = []

    def dies_the_first_time(self) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the thread fell over")
        real_serve(self)

    monkeypatch.setattr(EngineThread, "_serve_requests", dies_the_first_time)
    app = TransferApp(tiny_config(), load_dataset=lambda _config: small_dataset)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: any("engine stopped unexpectedly" in n.message for n in app._notifications))
        assert not app.engine.busy and not app.engine.started
        await pilot.press("ctrl+r")  # the next run starts a new engine thread
        await wait_for(pilot, lambda: app.screen.id == "results" and app.get_screen("results").result is not None)
        assert app.get_screen("results").result.status == "finished" and len(calls) == 2


async def test_the_store_answering_after_the_app_closed_is_ignored(small_dataset: Dataset) -> None:
    """A store locked by another process answers only once unlocked: by then the app may be gone (this failed a
    run of the suite under load)."""
    app = TransferApp(tiny_config(), load_dataset=lambda _config: small_dataset, preload_engine=False)
    async with app.run_test(size=(100, 30)):
        pass
    app.on_transfer_app_store_checked(TransferApp.StoreChecked(None, {}, []))  # no screen to update: nothing
