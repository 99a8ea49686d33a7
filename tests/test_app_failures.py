"""The app when things fail: bad data, an exception inside training, TensorFlow that will not load.

Each time the user sees a message, the engine is idle again, and the app stays usable.
"""

from __future__ import annotations

import sys

import pytest

from engine.config import apply_overrides
from engine.data.fashion_mnist import Dataset
from engine.errors import DataError
from tests.conftest import tiny_config
from tests.pilot import wait_for
from tui.app.app import TransferApp


def failing_once(dataset: Dataset, error: Exception):
    """A dataset loader that fails the first time it is asked, then works."""
    calls = []

    def load(_config) -> Dataset:
        calls.append(1)
        if len(calls) == 1:
            raise error
        return dataset

    return load


def notifications(app: TransferApp) -> list[str]:
    return [notification.message for notification in app._notifications]


async def run_and_wait_for_failure(pilot, app: TransferApp) -> str:
    await pilot.press("ctrl+r")
    run = app.get_screen("run")
    await wait_for(pilot, lambda: run.status.startswith("Failed") and not app.engine.busy)
    return run.status


async def a_second_run_finishes(pilot, app: TransferApp) -> None:
    await pilot.press("f2", "ctrl+r")
    await wait_for(pilot, lambda: app.screen.id == "results" and app.get_screen("results").result is not None)
    assert app.get_screen("results").result.status == "finished" and not app.engine.busy


async def test_a_data_error_is_shown_and_the_next_run_works(small_dataset: Dataset) -> None:
    message = "/data/train-images-idx3-ubyte.gz: not a readable gzip file; download it again"
    app = TransferApp(tiny_config(), load_dataset=failing_once(small_dataset, DataError(message)))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        status = await run_and_wait_for_failure(pilot, app)
        assert status == f"Failed: {message} (set in Setup's Data folder field, f2 / 1)"
        assert any(note.startswith(message) for note in notifications(app))
        await a_second_run_finishes(pilot, app)


async def test_an_exception_inside_training_is_shown_and_the_next_run_works(
    small_dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.execution.sequential

    real_train_phase = engine.execution.sequential.train_planned_model
    calls = []

    def breaks_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # in the middle of the run: model A trained, B on A about to
            raise RuntimeError("out of cheese")
        return real_train_phase(*args, **kwargs)

    monkeypatch.setattr(engine.execution.sequential, "train_planned_model", breaks_once)
    app = TransferApp(tiny_config(), load_dataset=lambda _config: small_dataset)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        status = await run_and_wait_for_failure(pilot, app)
        assert "RuntimeError: out of cheese" in status
        assert any("out of cheese" in message for message in notifications(app))
        await a_second_run_finishes(pilot, app)


async def test_tensorflow_that_fails_to_load_is_shown_and_the_app_stays_usable(
    small_dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "engine.runtime", None)  # `import engine.runtime` now raises ImportError
    config = apply_overrides(tiny_config(), ["run.seeds=[1, 2]"])
    app = TransferApp(config, load_dataset=lambda _config: small_dataset)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.sub_title.startswith("TensorFlow failed to load"))
        status = await run_and_wait_for_failure(pilot, app)
        assert status == "Failed: TensorFlow failed to load; see resources/logs for details"
        # still usable: every view opens, the form still checks what is typed, a race fails the same clean way
        for key, view in (("f4", "results"), ("f5", "leaderboard"), ("f6", "history"), ("f2", "setup")):
            await pilot.press(key)
            await wait_for(pilot, lambda view=view: app.screen.id == view)
        assert app.get_screen("setup").validate() == config
        await pilot.press("f5", "ctrl+r")
        await wait_for(pilot, lambda: not app.engine.busy and app.get_screen("run").status.startswith("Failed"))


async def test_a_broken_data_folder_is_shown_whole_on_progress_and_at_its_setup_field(
    tmp_path, small_dataset: Dataset
) -> None:
    from textual.widgets import ProgressBar

    from tests.conftest import write_idx
    from tests.pilot import shown_text

    folder = tmp_path / "fashion"
    write_idx(folder, small_dataset)
    images = folder / "train-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[:-20])  # truncated, as an interrupted download leaves it
    app = TransferApp(apply_overrides(tiny_config(), [f"data.dir='{folder}'"]))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        status = await run_and_wait_for_failure(pilot, app)
        reason = f"{images}: not a readable gzip file"
        assert status.startswith(f"Failed: {reason}") and status.endswith(
            "download it again (set in Setup's Data folder field, f2 / 1)"
        ), status
        run = app.get_screen("run")
        await wait_for(pilot, lambda: app.screen is run)
        line = run.query_one("#run-status")
        shown = shown_text(line, line.size.width)
        assert "".join(shown.split()) == "".join(status.split())  # every character of it, wrapped
        assert line.size.height >= len(shown.rstrip().splitlines()) > 1  # and every line of it on screen
        assert not run.query_one("#progress", ProgressBar).display  # no bar left animating
        assert "failed before training started" in shown_text(run.query_one("#phases"))
        assert "--data-dir" not in status
        setup = app.get_screen("setup")
        (row,) = [row for row in setup.rows() if row.spec.id == "data_dir"]
        assert row.has_class("-invalid") and reason in str(row.query_one(".field-error").render())


async def test_a_data_folder_that_does_not_exist_is_refused_in_setup_before_a_run(tmp_path) -> None:
    app = TransferApp(tiny_config(), preload_engine=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        setup = app.get_screen("setup")
        (row,) = [row for row in setup.rows() if row.spec.id == "data_dir"]
        row.value = str(tmp_path / "nope")
        await wait_for(pilot, lambda: row.has_class("-invalid"))
        assert f"{tmp_path / 'nope'} does not exist" in str(row.query_one(".field-error").render())
        (tmp_path / "empty").mkdir()
        row.value = str(tmp_path / "empty")
        error = row.query_one(".field-error")
        await wait_for(pilot, lambda: "has no train-images-idx3-ubyte.gz" in str(error.render()))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.screen.id == "setup")
        assert not app.engine.busy and app.get_screen("run").state.plan == ()
