"""`transfer-tui study`: the layer sweep of one pair, or the transfer map over pairs and networks."""

from __future__ import annotations

import argparse

from engine.config.presets import study_networks
from engine.errors import ConfigError
from engine.kinds import MAP, kind_for
from tui.cli.arguments import (
    add_exports,
    add_map,
    add_no_cache,
    add_plot,
    add_rows,
    experiment_config,
    exports_of,
    own_flags,
    plot_of,
    tensorboard_of,
)
from tui.cli.outputs import check_map_path


def add(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    study = commands.add_parser(
        "study",
        parents=parents,
        help="which layers transfer (one pair), or the transfer map over pairs and networks",
        description="One pair: Yosinski et al. 2014 on Fashion-MNIST: per seed, train model A and B from scratch "
        "once, then B reusing the first n hidden layers of A (AnB) or of the scratch B (BnB, the selffer control), "
        "kept frozen or fine-tuned (+). Prints B's test accuracy per n and treatment over seeds, and a reading. "
        "Several pairs (--b-classes all) or networks (--networks dense,cnn): the transfer map of each network, "
        "side by side, with the paired difference of their gains per pair.",
    )
    own_flags(study, "study")
    add_map(study)
    add_exports(study, json="write the sweep (or the maps) with every seed's accuracy", table="the table")
    add_plot(study, "the chart")
    add_no_cache(study)
    add_rows(study)
    study.set_defaults(handler=command)


def command(args: argparse.Namespace) -> int:
    from tui.cli.study import run_study_command

    config = experiment_config(args)
    if kind_for(config, "study") is MAP:
        if any(hasattr(args, name) for name in ("study_layers", "treatments")) or args.plot:
            raise ConfigError("--layers, --treatments and --plot belong to the layer sweep of one pair and network")
        study_networks(config)  # an unknown network name fails here, before anything loads
    check_map_path(args.map)
    return run_study_command(
        config,
        exports=exports_of(args),
        plot=plot_of(args),
        use_cache=not args.no_cache,
        tensorboard=tensorboard_of(args),
        rows=args.rows,
        map_path=args.map,
    )
