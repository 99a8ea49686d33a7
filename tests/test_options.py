"""The option table: each setting declared once, rendered to the command line and to Setup's form, which read the
same text the same way."""

from __future__ import annotations

import contextlib
import io

import pytest

from engine.config import config_to_dict
from tui.cli.arguments import experiment_config
from tui.cli.parser import build_parser
from tui.main import main
from tui.options import OPTIONS, OPTIONS_BY_ID, flags_of
from tui.state.form_fields import FIELDS, form_values, parse_form

# text a user might type for each option with both a flag and a field, and the config value it stands for
SAME_TEXT = {
    "seeds": ("1-3,42", [1, 2, 3, 42]),
    "study_layers": ("0-2,5", [0, 1, 2, 5]),
    "treatments": ("AnB+,BnB", ["AnB+", "BnB"]),
    "networks": ("dense,cnn", ["dense", "cnn"]),
    "tune_budget": ("7", 7),
    "tune_epochs": ("9", 9),
    "tune_draws": ("shared", "shared"),
    "precision": ("bfloat16", "bfloat16"),
    "cluster": ("local", "local"),
    "gpus_per_unit": ("0.25", 0.25),
    "cpus_per_unit": ("2", 2.0),
}
COMMAND_OF = {"study_layers": "study", "treatments": "study", "networks": "study"}
COMMAND_OF |= {"tune_budget": "tune", "tune_epochs": "tune", "tune_draws": "tune"}


def test_every_option_with_both_a_flag_and_a_field_is_covered_here() -> None:
    both = {option.id for option in FIELDS if option.flag}
    assert both == set(SAME_TEXT) | {"data_dir"}  # the data folder: tested on the real folder below


@pytest.mark.parametrize("option_id", list(SAME_TEXT))
def test_a_flag_and_its_field_read_the_same_text_as_the_same_value(option_id: str) -> None:
    option = OPTIONS_BY_ID[option_id]
    text, expected = SAME_TEXT[option_id]
    command = COMMAND_OF.get(option_id, "config")
    section, key = option.key.split(".")
    from_flag = experiment_config(build_parser().parse_args([command, option.flag, text]))
    assert config_to_dict(from_flag)[section][key] == expected
    values = form_values(from_flag)
    values[option_id] = text if option.kind != "choice" else expected  # a select holds the value itself
    from_form, errors = parse_form(values, from_flag)
    assert errors == {} and config_to_dict(from_form)[section][key] == expected


def test_the_data_folder_is_checked_by_the_flag_as_by_the_field(tmp_path, real_data_dir) -> None:
    option = OPTIONS_BY_ID["data_dir"]
    assert option.parse(str(real_data_dir)) == str(real_data_dir)
    with pytest.raises(ValueError, match=f"{tmp_path / 'nope'} does not exist"):
        option.parse(str(tmp_path / "nope"))
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        assert main(["config", "--data-dir", str(tmp_path)]) == 2
    assert stderr.getvalue() == (
        f"transfer-tui: error: --data-dir {tmp_path} has no train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz\n"
    )


def test_every_flag_is_on_the_command_line_of_its_commands_and_sets_its_key() -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for option in (option for option in OPTIONS if option.flag):
        for command in option.commands:
            if command == "app":
                owner = parser
            elif command == "resume":
                owner = commands["runs"]._subparsers._group_actions[0].choices["resume"]
            else:
                owner = commands[command]
            flags = {flag for action in owner._actions for flag in action.option_strings}
            assert option.flag in flags, (option.id, command)
            assert option.key in next(a.help for a in owner._actions if option.flag in a.option_strings)


def test_a_flag_is_taken_only_by_its_own_commands() -> None:
    assert {option.flag for option in flags_of("tune")} >= {"--budget", "--epochs", "--seeds"}
    assert "--layers" not in {option.flag for option in flags_of("tune")}
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--layers", "1"])
    assert "unrecognized arguments: --layers 1" in stderr.getvalue()


def test_one_flag_sets_its_key_per_command() -> None:
    """--budget and --epochs are the tuning's in `tune` and the leaderboard's in `leaderboard`."""
    tune = experiment_config(build_parser().parse_args(["tune", "--budget", "3", "--epochs", "5"]))
    board = experiment_config(build_parser().parse_args(["leaderboard", "--budget", "3", "--epochs", "5"]))
    assert (tune.tune.budget, tune.tune.epochs) == (3, 5)
    assert (board.leaderboard.budget, board.leaderboard.epochs) == (3, 5)
    assert board.tune.budget != 3 and tune.leaderboard.budget != 3


async def test_a_field_shows_its_flags_help_as_its_tooltip() -> None:
    """Setup's field and the flag explain a setting in the same words."""
    from textual.app import App

    from tui.widgets.field_row import FieldRow

    seeds = next(spec for spec in FIELDS if spec.id == "seeds")

    class OneField(App):
        def compose(self):
            yield FieldRow(seeds, "1")

    async with OneField().run_test() as pilot:
        control = pilot.app.query_one("#field-seeds")
        assert control.tooltip == seeds.help == OPTIONS_BY_ID["seeds"].help != ""
