"""`transfer-tui run`: the transfer experiment headless."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.cli.arguments import (
    add_exports,
    add_map,
    add_no_cache,
    add_rows,
    experiment_config,
    exports_of,
    tensorboard_of,
)
from tui.cli.outputs import check_map_path


def add(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "run",
        parents=parents,
        help="run the transfer experiment headless and print the comparison",
        description="Train model A, B on A (frozen, then fine-tuned) and B from scratch for every seed; "
        "print a row per epoch as it happens and a comparison table at the end.",
    )
    run.add_argument("--model-a", metavar="FILE", type=Path, help="reuse a saved model A (.keras or .h5)")
    add_exports(run, json="also write the results as JSON")
    add_map(run)
    add_rows(run)
    run.add_argument("--no-save", action="store_true", help="do not save the trained models")
    add_no_cache(run)
    run.set_defaults(handler=command)


def command(args: argparse.Namespace) -> int:
    from tui.cli.run import run_headless

    config = experiment_config(args)
    exports = exports_of(args)
    check_map_path(args.map)
    return run_headless(
        config,
        model_a=args.model_a,
        json_path=exports.get("json"),
        save_models=not args.no_save,
        use_cache=not args.no_cache,
        tensorboard=tensorboard_of(args),
        rows=args.rows,
        map_path=args.map,
    )
