"""`transfer-tui config`: an experiment's config as TOML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.config import config_to_toml
from tui.cli.arguments import experiment_config
from tui.cli.outputs import check_output_file


def add(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    config = commands.add_parser(
        "config",
        parents=parents,
        help="print an experiment config (a preset plus your changes) as TOML",
        description="Print the experiment config as TOML, ready to edit and pass back with --config.",
    )
    config.add_argument("--output", metavar="FILE", type=Path, help="write to FILE instead of printing")
    config.set_defaults(handler=command)


def command(args: argparse.Namespace) -> int:
    from engine.fileio import atomic_write_text

    check_output_file("--output", args.output)
    text = config_to_toml(experiment_config(args))
    if args.output:
        atomic_write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
