"""What a new user tripped over in the app (issue 19), each driven with Pilot the way the user did it."""

from __future__ import annotations

from textual.widgets import Input, Static

from engine.data.fashion_mnist import Dataset
from tests.conftest import tiny_config
from tests.pilot import shown_text
from tui.app.app import TransferApp


def make_app(dataset: Dataset, **kwargs) -> TransferApp:
    return TransferApp(tiny_config(), load_dataset=lambda _config: dataset, preload_engine=False, **kwargs)


async def test_escape_leaves_a_text_field_so_a_digit_switches_views(small_dataset: Dataset) -> None:
    app = make_app(small_dataset)
    async with app.run_test(size=(80, 24)) as pilot:
        seeds = app.screen.query_one("#field-seeds", Input)
        seeds.focus()
        await pilot.press("ctrl+a", "ctrl+k", *"1-2", "escape")  # select all is not bound: clear from the start
        await pilot.pause()
        assert not isinstance(app.focused, Input)  # the form itself, not another field
        await pilot.press("6")
        await pilot.pause()
        assert app.screen.id == "study"
        assert seeds.value == "1-2"
        assert app.get_screen("setup").validate().run.seeds == (1, 2)


async def test_help_says_where_the_number_keys_work(small_dataset: Dataset) -> None:
    app = make_app(small_dataset)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        keys = shown_text(app.screen.query_one(Static))
        study_line = next(line for line in keys.splitlines() if "f7 / 6" in line)
        assert "not in a text field" in study_line
        assert "1 - 5" not in keys and "F2-F6" not in keys
        assert "escape" in keys and "leave the field" in keys


async def test_notifications_keep_brackets(small_dataset: Dataset) -> None:
    from textual.widgets._toast import Toast

    app = make_app(small_dataset)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        app.notify("settings.toml: unknown section [theme]")
        await pilot.pause()
        await pilot.pause()
        (toast,) = app.screen.query(Toast)
        assert "unknown section [theme]" in str(toast.render())


async def test_study_and_help_name_the_fields_they_mean(small_dataset: Dataset) -> None:
    app = make_app(small_dataset)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.press("escape", "6")
        await pilot.pause()
        caption = " ".join(shown_text(app.screen.query_one("#study-caption", Static)).split())
        assert "choose the sweep depths and treatments in Setup" in caption and "  " not in caption
        await pilot.press("f1")
        await pilot.pause()
        keys = " ".join(shown_text(app.screen.query_one(Static), width=250).split())
        assert "(Setup's sweep depths and treatments)" in keys and "( layers" not in keys
