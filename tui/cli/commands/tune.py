"""`transfer-tui tune`: the arms at an equal tuning budget."""

from __future__ import annotations

import argparse

from tui.cli.arguments import (
    add_exports,
    add_no_cache,
    add_plot,
    add_rows,
    experiment_config,
    exports_of,
    own_flags,
    plot_of,
    tensorboard_of,
)


def add(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    tune = commands.add_parser(
        "tune",
        parents=parents,
        help="B from scratch and B on A at an equal tuning budget, picked on validation, read on test once",
        description="Give each arm ([tune] arms: B from scratch, B on A) the same number of trials drawn from its "
        "search space ([tune.space], a scrambled Sobol sequence, the same trials for every seed); every trial keeps "
        "its best validation epoch, each arm's trial is picked on validation alone, and only the pick's test "
        "accuracy is a result. Prints the verdict over seeds at every budget, the expected accuracies against "
        "the budget (Dodge et al. 2019), the cherry-pick meter, and the notebook's own configurations, run once.",
    )
    own_flags(tune, "tune")
    add_exports(tune, json="write the tuning with every trial and its histories", table="one row per trial")
    add_plot(tune, "the budget curves")
    add_no_cache(tune)
    add_rows(tune)
    tune.set_defaults(handler=command)


def command(args: argparse.Namespace) -> int:
    from tui.cli.tune import run_tune_command

    config = experiment_config(args)
    return run_tune_command(
        config,
        exports=exports_of(args),
        plot=plot_of(args),
        use_cache=not args.no_cache,
        tensorboard=tensorboard_of(args),
        rows=args.rows,
    )
