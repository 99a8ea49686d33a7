"""`transfer-tui bench`: population training timed against plain Keras."""

from __future__ import annotations

import argparse

from engine.config import NETWORK_KINDS, config_from_dict
from engine.errors import ConfigError
from tui.cli.arguments import add_exports, experiment_config, exports_of
from tui.options import COMPARE_PRECISIONS


def add(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    bench = commands.add_parser(
        "bench",
        parents=parents,
        help="time population training against plain Keras model.fit on the real task A",
        description="Train model A on the real data P times with plain Keras (batch 32, as the notebook) and "
        "once as a population of P; print seconds per member-epoch, the ratio, images/s and the share of the "
        "machine's measured float32 matmul peak each reaches.",
    )
    bench.add_argument(
        "--members", metavar="P", type=int, help="population size (default 8); with --study, seeds per pair (default 3)"
    )
    bench.add_argument(
        "--epochs", metavar="N", type=int, help="epochs each way (default 3; with --settings, as many as --members)"
    )
    bench.add_argument(
        "--study",
        action="store_true",
        help="time a whole transfer map (the first --pairs pairs, --members seeds each, the config's schedule) "
        "against plain Keras one run at a time, measured on --sample of those runs",
    )
    bench.add_argument(
        "--settings",
        action="store_true",
        help="time populations whose members differ: --members learning rates, then --members epoch counts, "
        "against one whose members share them and against plain Keras (default 16 members)",
    )
    bench.add_argument(
        "--tune",
        action="store_true",
        help="time one arm of a tuning ([tune] budget trials x --seeds of B from scratch on task B, each keeping "
        "its best validation epoch) as one population against plain Keras one trial at a time",
    )
    bench.add_argument("--pairs", metavar="K", type=int, default=45, help="with --study: pairs (default all 45)")
    bench.add_argument(
        "--sample",
        metavar="N",
        type=int,
        default=2,
        help="with --study, --settings or --tune: plain Keras runs measured (default 2)",
    )
    bench.add_argument(
        "--network",
        choices=list(NETWORK_KINDS),
        help="the kind of network to time (cnn: conv 32-64, dense 80, as the cnn preset), before any --set",
    )
    add_exports(bench, json="also write the figures as JSON")
    bench.set_defaults(handler=command, takes_bare=True)  # --precision alone: compare the precisions


def command(args: argparse.Namespace) -> int:
    from tui.cli.bench import run_bench_command

    config = experiment_config(args)
    json_path = exports_of(args).get("json")
    compare = getattr(args, "precision", None) == COMPARE_PRECISIONS
    if args.study + args.settings + args.tune + compare > 1:
        raise ConfigError("--study, --settings, --tune and --precision (with no value) are four benches: choose one")
    if compare:
        from tui.cli.bench import run_precision_bench_command

        if getattr(args, "seeds", None) is None:  # the five seeds unless the command line names others
            config = config_from_dict({"run": {"seeds": list(range(1, 6))}}, config)
        return run_precision_bench_command(config, json_path=json_path)
    if args.tune:
        from tui.cli.bench import run_tune_bench_command

        return run_tune_bench_command(config, sample=args.sample, json_path=json_path)
    if args.study:
        from tui.cli.bench import run_study_bench_command

        members = 3 if args.members is None else args.members
        return run_study_bench_command(
            config, pairs=args.pairs, seeds_per_pair=members, sample=args.sample, json_path=json_path
        )
    if args.settings:
        from tui.cli.bench import run_settings_bench_command

        members = 16 if args.members is None else args.members
        epochs = members if args.epochs is None else args.epochs  # as many epoch counts as members
        return run_settings_bench_command(
            config, members=members, epochs=epochs, sample=args.sample, json_path=json_path
        )
    members = 8 if args.members is None else args.members
    epochs = 3 if args.epochs is None else args.epochs
    return run_bench_command(config, members=members, epochs=epochs, json_path=json_path)
