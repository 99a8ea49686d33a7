"""Keys over SSH: every view is reachable without F-keys, and a keymap in the user's settings file remaps them."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from engine.data.fashion_mnist import Dataset
from tests.conftest import tiny_config
from tests.pilot import shown_text, wait_for
from tui.app.app import VIEWS, TransferApp
from tui.app.settings import SETTINGS_ENV_VAR, load_settings
from tui.screens.help import HelpScreen


def make_app(dataset: Dataset, **kwargs) -> TransferApp:
    return TransferApp(tiny_config(), load_dataset=lambda _config: dataset, preload_engine=False, **kwargs)


async def test_number_keys_reach_every_view_where_nothing_is_typed(small_dataset: Dataset) -> None:
    app = make_app(small_dataset)
    async with app.run_test(size=(100, 30)) as pilot:
        app.set_focus(None)
        for number, (view, *_) in enumerate(VIEWS, start=1):
            await pilot.press(str(number))
            await wait_for(pilot, lambda view=view: app.screen.id == view)
        await pilot.press("1")
        await wait_for(pilot, lambda: app.screen.id == "setup")
        field = app.screen.query_one("#field-n_train_b", Input)
        field.focus()
        await pilot.press("end", "3")  # in a text field a digit is typed, not a view switch
        assert app.screen.id == "setup" and field.value == "503"


async def test_ctrl_g_lists_the_views(small_dataset: Dataset) -> None:
    app = make_app(small_dataset)
    async with app.run_test(size=(100, 30)) as pilot:
        app.screen.query_one("#field-n_train_b", Input).focus()  # works while typing, too
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: app.screen.query("#views"))
        options = app.screen.query_one("#views", OptionList)
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == [v for v, *_ in VIEWS]
        assert "History  (f6 / 5)" in str(options.get_option_at_index(4).prompt)
        await pilot.press("down", "down", "down", "down", "enter")
        await wait_for(pilot, lambda: app.screen.id == "history")


def test_the_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SETTINGS_ENV_VAR, str(tmp_path / "none.toml"))
    assert load_settings().keymap == {} and load_settings().problems == ()
    good = tmp_path / "settings.toml"
    good.write_text('[keymap]\n"view.history" = "f9, h"\n')
    assert load_settings(good).keymap == {"view.history": "f9,h"}
    bad = tmp_path / "bad.toml"
    bad.write_text("[keymap\n")
    assert "cannot be read" in load_settings(bad).problems[0]
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[keymap]\n"view.history" = 3\n"view.setup" = "f2,"\n"run.start" = "ctrl+t"\n[theme]\n')
    problems = load_settings(wrong).problems
    assert problems[0] == f"{wrong}: unknown section 'theme' (only 'keymap' is read)"
    assert problems[1].startswith(f"{wrong}: 'view.history' = 3: no keys")
    assert problems[2].startswith(f"{wrong}: 'view.setup' = 'f2,': '' is not a key")
    assert load_settings(wrong).keymap == {"run.start": "ctrl+t"}  # the good entry still applies
    # a name no key has is not taken for one (it would show in the footer and answer to nothing)
    named = tmp_path / "named.toml"
    named.write_text('[keymap]\n"run.cancel" = "banana key"\n"view.tune" = "f8, bananakey"\n"view.study" = "f7,]"\n')
    assert load_settings(named).problems == (
        f"{named}: 'run.cancel' = 'banana key': 'banana key' is not a key (write e.g. \"f9,h\" or \"ctrl+t\"); "
        "it was ignored and run.cancel keeps its default keys.",
        f"{named}: 'view.tune' = 'f8, bananakey': 'bananakey' is not a key (write e.g. \"f9,h\" or \"ctrl+t\"); "
        "it was ignored and view.tune keeps its default keys.",
    )
    assert load_settings(named).keymap == {"view.study": "f7,]"}
    table = tmp_path / "table.toml"
    table.write_text('keymap = "f2"\n')
    assert load_settings(table).problems == (
        f'{table}: \'keymap\' must be a table of binding ids and keys, e.g. "view.setup" = "f2,1"',
    )


def test_keys_show_as_people_read_them() -> None:
    from tui.app.settings import Settings

    shown = Settings().keys
    assert shown(None, "right_square_bracket") == "]" and shown(None, "question_mark,f1") == "? / f1"
    assert shown(None, "ctrl+left_square_bracket") == "ctrl+[" and shown(None, "escape") == "escape"


async def test_keymap_mistakes_are_named_and_never_take_effect(small_dataset: Dataset, tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text(
        '[keymap]\n"view.histroy" = "h"\n"app.quit" = "ctrl+r"\n"history.rerun" = "ctrl+r,x"\n"view.study" = "f7,s"\n'
    )
    app = make_app(small_dataset, settings=load_settings(settings))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: len(app._notifications) >= 3)
        messages = [n.message for n in app._notifications]
        unknown = f"{settings}: unknown binding id 'view.histroy' (did you mean view.history?); it was ignored."
        assert unknown in messages
        assert any(m.startswith(f"{settings}: ctrl+r is already run.start's key, so 'app.quit'") for m in messages)
        # the leaderboard's 's' (sort) is that view's key: a study key 's' would clash there
        assert any(m.startswith(f"{settings}: s is already board.sort's key, so 'view.study'") for m in messages)
        assert len(messages) == 3  # history.rerun keeps ctrl+r, its own key, and gains x
        assert app.settings.keymap == {"history.rerun": "ctrl+r,x"}
        app.set_focus(None)
        await pilot.press("ctrl+r")  # still runs, never quits
        await wait_for(pilot, lambda: app.running is not None)
        assert app.is_running


async def test_a_keymap_remaps_keys_and_help_shows_the_effective_ones(small_dataset: Dataset, tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('[keymap]\n"view.history" = "f9,h"\n"run.start" = "ctrl+t"\n')
    app = make_app(small_dataset, settings=load_settings(settings))
    async with app.run_test(size=(100, 40)) as pilot:
        app.set_focus(None)
        await pilot.press("f9")
        await wait_for(pilot, lambda: app.screen.id == "history")
        await pilot.press("1")
        await wait_for(pilot, lambda: app.screen.id == "setup")
        await pilot.press("h")
        await wait_for(pilot, lambda: app.screen.id == "history")
        await pilot.press("1")
        await wait_for(pilot, lambda: app.screen.id == "setup")
        app.set_focus(None)
        await pilot.press("f6", "f1")  # f6 is no longer History's: help opens over Setup
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert app.screen_stack[-2].id == "setup"
        keys = shown_text(app.screen.query_one(Static))
        assert "f9 / h" in keys and "ctrl+t" in keys and "f6 / 5" not in keys


async def test_a_bad_settings_file_is_reported_and_the_defaults_apply(small_dataset: Dataset, tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text("[keymap\n")
    app = make_app(small_dataset, settings=load_settings(settings))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: any("cannot be read" in n.message for n in app._notifications))
        app.set_focus(None)
        await pilot.press("f6")
        await wait_for(pilot, lambda: app.screen.id == "history")


def test_the_docs_list_every_binding_id() -> None:
    import re

    from tests.conftest import REPO

    text = (REPO / "docs" / "app.md").read_text()
    listed = re.findall(r"`([a-z_]+\.[a-z_]+)`", text[text.index("The ids:") : text.index("out; the other entries")])
    ids = {binding.id for scope in TransferApp.binding_scopes() for binding in scope if binding.id}
    assert sorted(listed) == sorted(ids)


async def test_every_views_footer_fits_80_columns(small_dataset: Dataset) -> None:
    from textual.widgets._footer import FooterKey

    app = make_app(small_dataset)
    async with app.run_test(size=(80, 24)) as pilot:
        for view, *_ in VIEWS:
            app.action_show(view)
            await wait_for(pilot, lambda view=view: app.screen.id == view and app.screen.query(FooterKey))
            keys = list(app.screen.query(FooterKey))
            assert keys[-1].region.right <= 79, (view, [key.description for key in keys])  # a column to spare
            assert keys[-1].description == "Views", view  # the last one shown whole, not cut
