"""`transfer-tui leaderboard`: the optimizers raced on one task, or over several (`--b-classes` with several pairs,
or `--tasks`)."""

from __future__ import annotations

import argparse

from engine.results.leaderboard import SORT_COLUMNS
from tui.cli.arguments import (
    add_exports,
    add_plot,
    add_rows,
    experiment_config,
    exports_of,
    own_flags,
    plot_of,
    tensorboard_of,
)


def add(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    board = commands.add_parser(
        "leaderboard",
        parents=parents,
        help="race the optimizers on the same task, seeds and data order; print the ranked table",
        description="Train the same network from the same initial weights and data order per seed with each "
        "optimizer ([leaderboard] in the config), then rank them. NaN or infinite losses show as diverged. With "
        "several pairs (--b-classes 5,6 0,2 ... or all) or several --tasks, race over tasks: task A, all ten "
        "classes and B per pair, each ranked with intervals over seeds, then over tasks Friedman's test, Nemenyi's "
        "critical difference and its diagram.",
    )
    own_flags(board, "leaderboard")
    board.add_argument("--sort", choices=list(SORT_COLUMNS), default="best", help="column to rank by (default best)")
    board.add_argument("--reverse", action="store_true", help="worst first")
    add_exports(board, json="write the leaderboard with per-epoch histories", table="the ranked table")
    add_plot(board, "a race over tasks' critical-difference diagram")
    add_rows(board)
    board.set_defaults(handler=command)


def command(args: argparse.Namespace) -> int:
    from tui.cli.leaderboard import run_leaderboard_command

    return run_leaderboard_command(
        experiment_config(args),
        sort=args.sort,
        reverse=args.reverse,
        exports=exports_of(args),
        tensorboard=tensorboard_of(args),
        rows=args.rows,
        plot=plot_of(args),
    )
