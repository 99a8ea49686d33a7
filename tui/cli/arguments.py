"""What the commands share on the command line: the experiment's flags (rendered from the option table), the
run store's home, the exports, and the config they describe."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from engine.config import ExperimentConfig, config_from_dict, load_config_file, override_values
from engine.config.presets import DEFAULT_PRESET, PRESET_DESCRIPTIONS, preset
from engine.errors import ConfigError, UserError
from tui.cli.exit_codes import EXIT_USER_ERROR
from tui.cli.outputs import check_output_file, check_output_folder
from tui.options import LIST_KINDS, OPTIONS, Option, flags_of, option_setting


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line, as every other error is: what is wrong, and where the options
    are listed (not the whole usage, 15 lines for a wrong choice)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def add_flags(parser: argparse.ArgumentParser | argparse._ArgumentGroup, options: tuple[Option, ...]) -> None:
    """Each option as its flag: the text is kept as typed and read by the option's own parser (launch_values),
    so the flag and Setup's field take the same text the same way."""
    for option in options:
        extra: dict[str, object] = {"metavar": option.metavar or None}
        if option.kind == "choice" and not option.bare:  # a bare flag is not among the choices: parsed below
            extra = {"choices": [value for _, value in option.choices]}
        if option.kind == "pairs":
            extra["nargs"] = "+"
        if option.bare:
            extra["nargs"], extra["const"] = "?", option.bare
        parser.add_argument(
            option.flag, dest=option.id, default=argparse.SUPPRESS, help=f"{option.help} (sets {option.key})", **extra
        )


def experiment_options() -> argparse.ArgumentParser:
    """Options that describe an experiment, shared by the app and the subcommands."""
    options = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = options.add_argument_group("experiment")
    names = ", ".join(f"{name} ({text})" for name, text in PRESET_DESCRIPTIONS.items())
    group.add_argument("--preset", metavar="NAME", help=f"start from a preset: {names}; default {DEFAULT_PRESET}")
    group.add_argument("--config", metavar="FILE", type=Path, help="a TOML experiment file, applied over the preset")
    group.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        dest="overrides",
        help="override one key, e.g. --set split.n_train_b=100 --set network.hidden=[100,100] (repeatable)",
    )
    shared = flags_of("app")
    cluster = tuple(option for option in shared if option.key.startswith("cluster."))
    add_flags(group, tuple(option for option in shared if option not in cluster))
    group.add_argument(
        "--tensorboard",
        metavar="DIR",
        type=Path,
        help="also write TensorBoard logs (one folder per run, per model and seed) under DIR",
    )
    add_flags(
        options.add_argument_group("cluster"), tuple(option for option in shared if option.key.startswith("cluster."))
    )
    return options


def own_flags(parser: argparse.ArgumentParser, command: str) -> None:
    """The flags only `command` takes (beside the experiment's): tune's --budget, study's --layers..."""
    add_flags(parser, tuple(option for option in flags_of(command) if "app" not in option.commands))


def home_option() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    options.add_argument(
        "--home",
        metavar="DIR",
        type=Path,
        help="where runs, models and logs are kept (default ./resources, or $TRANSFER_TUI_HOME)",
    )
    return options


def flag_values(args: argparse.Namespace) -> dict[str, dict]:
    """What the flags given set, by section and key, each read by its option's parser: one line naming the flag
    for a value it cannot read, or for a bare flag where the command gives it no meaning of its own."""
    values: dict[str, dict] = {}
    for option in OPTIONS:
        text = getattr(args, option.id, None) if option.flag else None
        if option.bare and text == option.bare:  # a command's own meaning (bench --precision), not a config value
            if not getattr(args, "takes_bare", False):
                allowed = ", ".join(str(value) for _, value in option.choices)
                raise ConfigError(f"{option.flag} needs one of {allowed}", key=option.key)
            continue
        if text is None:
            continue
        text = " ".join(text) if isinstance(text, list) else text
        if option.kind in LIST_KINDS and not text.strip(", "):  # rather than read as 'all' or 'none'
            raise ConfigError(f"{option.flag} {text!r} is empty; give a list such as {option.example}", key=option.key)
        try:
            value = option.parse(text)
        except ValueError as exc:
            raise ConfigError(f"{option.flag} {exc}", key=option.key) from None
        if option.kind == "folder" and not value:
            continue  # an empty folder leaves it to the config, $TRANSFER_TUI_DATA or the download
        if option.rest_key:  # one flag, two keys: the first entry, then the others
            value, rest = value[0], value[1:]
            rest_section, rest_name = option.rest_key.split(".")
            values.setdefault(rest_section, {})[rest_name] = rest
        section, key = option.key.split(".")
        values.setdefault(section, {})[key] = value
    return values


def launch_values(args: argparse.Namespace) -> dict[str, dict]:
    """What the command line sets over the preset and the --config file: each --set, then each flag of the option
    table. The app lays them over a preset chosen in its form too."""
    values = override_values(getattr(args, "overrides", None) or [])
    for section, given in flag_values(args).items():
        values.setdefault(section, {}).update(given)
    return values


def experiment_config(args: argparse.Namespace) -> ExperimentConfig:
    """Preset, then --config file, then --network (bench), then what the command line sets (launch_values)."""
    config = preset(getattr(args, "preset", DEFAULT_PRESET))
    if getattr(args, "config", None):
        config = load_config_file(args.config, config)
    if getattr(args, "network", None):  # another kind starts from that kind's defaults, which --set then changes
        config = config_from_dict({"network": {"kind": args.network}}, config)
    return config_from_dict(launch_values(args), config)


def with_flag(error: UserError) -> str:
    """An error's message, ending with how to set the value it blames where it does not say so itself."""
    message = str(error)
    option = option_setting(error.key or "")
    if option is None or error.key in message or option.flag in message:
        return message
    return f"{message} (set with {option.set_with})"


MAP_ARGUMENT = (
    ("--map",),
    {
        "metavar": "FILE",
        "type": Path,
        "help": "write the transfer map of a run over several pairs: .svg (as the terminal shows it), .csv or .json",
    },
)
ROWS_ARGUMENT = (
    ("--rows",),
    {
        "choices": ["auto", "all", "mean"],
        "default": "auto",
        "help": "rows printed per epoch: every seed (all), one with the mean ± std over seeds (mean), or mean "
        "from 4 seeds up (auto, the default)",
    },
)


def add_map(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(*MAP_ARGUMENT[0], **MAP_ARGUMENT[1])


def add_rows(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(*ROWS_ARGUMENT[0], **ROWS_ARGUMENT[1])


# the export options, each declared here once: format -> (flag, what it writes)
EXPORT_FLAGS = {"json": "--json", "csv": "--csv", "md": "--markdown"}


def add_exports(parser: argparse.ArgumentParser, *, json: str, table: str | None = None) -> None:
    """--json FILE, and where the command writes a table, --csv FILE and --markdown FILE."""
    group = parser.add_argument_group("exports")
    group.add_argument(EXPORT_FLAGS["json"], metavar="FILE", type=Path, dest="export_json", help=json)
    if table is not None:
        group.add_argument(
            EXPORT_FLAGS["csv"], metavar="FILE", type=Path, dest="export_csv", help=f"write {table} as CSV"
        )
        group.add_argument(
            EXPORT_FLAGS["md"], metavar="FILE", type=Path, dest="export_md", help=f"write {table} as Markdown"
        )


def exports_of(args: argparse.Namespace) -> dict[str, Path]:
    """The export files the command line names, by format, each checked before anything trains (one line each)."""
    files = {fmt: getattr(args, f"export_{fmt}", None) for fmt in EXPORT_FLAGS}
    for fmt, path in files.items():
        check_output_file(EXPORT_FLAGS[fmt], path)
    return {fmt: path for fmt, path in files.items() if path is not None}


def add_plot(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--plot", metavar="FILE", type=Path, help=f"draw {what} into FILE (.svg or .png)")


def plot_of(args: argparse.Namespace) -> Path | None:
    """--plot FILE, checked before anything trains: a file this can write, .svg or .png."""
    from tui.cli.plot import PLOT_SUFFIXES

    check_output_file("--plot", args.plot)
    if args.plot is not None and args.plot.suffix.lower() not in PLOT_SUFFIXES:
        raise ConfigError(f"--plot {args.plot}: give a .svg or .png file")
    return args.plot


def add_no_cache(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-cache", action="store_true", help="train model A even if one trained with the same settings is cached"
    )


def tensorboard_of(args: argparse.Namespace) -> Path | None:
    """--tensorboard DIR, checked: a folder this can write in."""
    folder = getattr(args, "tensorboard", None)
    check_output_folder("--tensorboard", folder)
    return folder
