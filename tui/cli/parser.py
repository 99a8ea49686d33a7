"""The command line's arguments: one parser for the app and every subcommand (each declared in its own module of
tui/cli/commands/), the experiment's flags rendered from the option table."""

from __future__ import annotations

import argparse

from tui.cli.arguments import OneLineParser, experiment_options, home_option
from tui.cli.commands import bench, config, leaderboard, run, runs, study, tune

COMMANDS = (run, bench, leaderboard, study, tune, config)  # the commands that describe an experiment, in help order


def build_parser() -> argparse.ArgumentParser:
    home = home_option()
    experiment = experiment_options()
    parser = OneLineParser(
        prog="transfer-tui",
        description="Honest transfer-learning experiments on Fashion-MNIST. With no command, opens the app.",
        parents=[experiment, home],
    )
    parser.add_argument(
        "--version",
        action="store_true",
        help="print the versions of transfer-tui, Python, TensorFlow, Keras and NumPy, and the device it trains on",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add(commands, [experiment, home])
    runs.add(commands, [home])
    return parser
