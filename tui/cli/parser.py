"""The command line's arguments: one parser for the app and every subcommand, and the config they describe."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from engine.config import (
    LEADERBOARD_SPACES,
    LEADERBOARD_TASKS,
    NETWORK_KINDS,
    ExperimentConfig,
    config_from_dict,
    config_to_toml,
    load_config_file,
    override_values,
    parse_numbers,
    parse_pairs,
    parse_seeds,
)
from engine.config.choices import PRECISIONS
from engine.config.presets import DEFAULT_PRESET, PRESET_DESCRIPTIONS, preset, study_networks
from engine.errors import ConfigError, UserError
from engine.kinds import KINDS, MAP, kind_for
from engine.results.leaderboard import SORT_COLUMNS
from tui.cli.exit_codes import EXIT_USER_ERROR
from tui.cli.outputs import check_map_path, check_output_file, check_output_folder

COMPARE_PRECISIONS = "both"  # bench --precision with no value: the experiment in each precision


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line, as every other error is: what is wrong, and where the options
    are listed (not the whole usage, 15 lines for a wrong choice)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _experiment_options() -> argparse.ArgumentParser:
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
    group.add_argument("--seeds", metavar="LIST", help="seeds to run, e.g. 42,1,2 or 1-10 (sets run.seeds)")
    group.add_argument(
        "--b-classes",
        metavar="PAIR",
        nargs="+",
        help="task B's class pair(s), e.g. 5,6 or 5,6 0,2 7,9 for a study over pairs, or all for the 45 pairs "
        "(the second class is positive)",
    )
    group.add_argument(
        "--precision",
        nargs="?",
        const=COMPARE_PRECISIONS,
        metavar="{" + ",".join(PRECISIONS) + "}",
        help="float32 (the default), or bfloat16: matmuls and convolutions in bfloat16, weights, optimizer state, "
        "loss and metrics in float32, as Keras' mixed_bfloat16 (sets run.precision); bench --precision with no "
        "value times the experiment in both",
    )
    group.add_argument(
        "--tensorboard",
        metavar="DIR",
        type=Path,
        help="also write TensorBoard logs (one folder per run, per model and seed) under DIR",
    )
    group.add_argument(
        "--data-dir",
        metavar="DIR",
        help="folder with the four Fashion-MNIST IDX .gz files (else $TRANSFER_TUI_DATA, else the Keras download)",
    )
    _add_cluster_options(options.add_argument_group("cluster"))
    return options


def _add_cluster_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="train on Ray: local (start Ray here), auto (the cluster this machine is in), ray://HOST:PORT "
        "(Ray Client) or HOST:PORT; sets cluster.address (default: in this process)",
    )
    group.add_argument(
        "--gpus-per-unit",
        metavar="N",
        type=float,
        help="GPUs per unit of work on a cluster, e.g. 0.25 for four per GPU (default 1 where there are GPUs)",
    )
    group.add_argument("--cpus-per-unit", metavar="N", type=float, help="CPUs per unit of work (default 1)")


def _cluster_values(args: argparse.Namespace) -> dict[str, object]:
    """What --cluster, --gpus-per-unit and --cpus-per-unit set in [cluster]."""
    given = {
        "address": getattr(args, "cluster", None),
        "gpus_per_unit": getattr(args, "gpus_per_unit", None),
        "cpus_per_unit": getattr(args, "cpus_per_unit", None),
    }
    return {key: value for key, value in given.items() if value is not None}


def _home_option() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    options.add_argument(
        "--home",
        metavar="DIR",
        type=Path,
        help="where runs, models and logs are kept (default ./resources, or $TRANSFER_TUI_HOME)",
    )
    return options


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


def build_parser() -> argparse.ArgumentParser:
    home = _home_option()
    experiment = _experiment_options()
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

    run = commands.add_parser(
        "run",
        parents=[experiment, home],
        help="run the transfer experiment headless and print the comparison",
        description="Train model A, B on A (frozen, then fine-tuned) and B from scratch for every seed; "
        "print a row per epoch as it happens and a comparison table at the end.",
    )
    run.add_argument("--model-a", metavar="FILE", type=Path, help="reuse a saved model A (.keras or .h5)")
    add_exports(run, json="also write the results as JSON")
    run.add_argument(*MAP_ARGUMENT[0], **MAP_ARGUMENT[1])
    run.add_argument(*ROWS_ARGUMENT[0], **ROWS_ARGUMENT[1])
    run.add_argument("--no-save", action="store_true", help="do not save the trained models")
    add_no_cache(run)
    run.set_defaults(handler=_run_command)

    bench = commands.add_parser(
        "bench",
        parents=[experiment, home],
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
    bench.set_defaults(handler=_bench_command, compares_precisions=True)

    board = commands.add_parser(
        "leaderboard",
        parents=[experiment, home],
        help="race the optimizers on the same task, seeds and data order; print the ranked table",
        description="Train the same network from the same initial weights and data order per seed with each "
        "optimizer ([leaderboard] in the config), then rank them. NaN or infinite losses show as diverged.",
    )
    board.add_argument("--epochs", metavar="N", type=int, help="epochs per optimizer (sets leaderboard.epochs)")
    board.add_argument("--optimizers", metavar="LIST", help="e.g. sgd,adam,nadam (sets leaderboard.optimizers)")
    board.add_argument(
        "--task",
        choices=LEADERBOARD_TASKS,
        help="a: task A, 8 classes (default); b_scratch or b_on_a: task B from scratch or on A; full: all ten classes",
    )
    board.add_argument("--target", metavar="ACC", type=float, help="target validation accuracy, e.g. 0.85")
    board.add_argument(
        "--budget",
        metavar="N",
        type=int,
        help="also give every optimizer N trials from its own search space (learning rate log-uniform over "
        "[1e-5, 1]; 1 - momentum over [1e-3, 0.3]), each keeping its best validation epoch, and rank them by the "
        "validation pick at n = 1, 4 and N (sets leaderboard.budget)",
    )
    board.add_argument(
        "--space",
        choices=LEADERBOARD_SPACES,
        help="with --budget: extended also tunes epsilon over [1e-10, 1] for RMSProp and the Adam family",
    )
    board.add_argument("--sort", choices=list(SORT_COLUMNS), default="best", help="column to rank by (default best)")
    board.add_argument("--reverse", action="store_true", help="worst first")
    add_exports(board, json="write the leaderboard with per-epoch histories", table="the ranked table")
    board.add_argument(*ROWS_ARGUMENT[0], **ROWS_ARGUMENT[1])
    board.set_defaults(handler=_leaderboard_command)

    study = commands.add_parser(
        "study",
        parents=[experiment, home],
        help="which layers transfer (one pair), or the transfer map over pairs and networks",
        description="One pair: Yosinski et al. 2014 on Fashion-MNIST: per seed, train model A and B from scratch "
        "once, then B reusing the first n hidden layers of A (AnB) or of the scratch B (BnB, the selffer control), "
        "kept frozen or fine-tuned (+). Prints B's test accuracy per n and treatment over seeds, and a reading. "
        "Several pairs (--b-classes all) or networks (--networks dense,cnn): the transfer map of each network, "
        "side by side, with the paired difference of their gains per pair.",
    )
    study.add_argument("--layers", metavar="LIST", help="reuse depths, e.g. 0-5 or 0,2,4 (sets study.layers)")
    study.add_argument(
        "--networks",
        metavar="LIST",
        help="map these networks over the same pairs and seeds, e.g. dense,cnn (presets or dense; sets study.networks)",
    )
    study.add_argument(*MAP_ARGUMENT[0], **MAP_ARGUMENT[1])
    study.add_argument("--treatments", metavar="LIST", help="e.g. AnB,AnB+,BnB,BnB+ (sets study.treatments)")
    add_exports(study, json="write the sweep (or the maps) with every seed's accuracy", table="the table")
    add_plot(study, "the chart")
    add_no_cache(study)
    study.add_argument(*ROWS_ARGUMENT[0], **ROWS_ARGUMENT[1])
    study.set_defaults(handler=_study_command)

    tune = commands.add_parser(
        "tune",
        parents=[experiment, home],
        help="B from scratch and B on A at an equal tuning budget, picked on validation, read on test once",
        description="Give each arm ([tune] arms: B from scratch, B on A) the same number of trials drawn from its "
        "search space ([tune.space], a scrambled Sobol sequence, the same trials for every seed); every trial keeps "
        "its best validation epoch, each arm's trial is picked on validation alone, and only the pick's test "
        "accuracy is a result. Prints the verdict over seeds at every budget, the expected accuracies against "
        "the budget (Dodge et al. 2019), the cherry-pick meter, and the notebook's own configurations, run once.",
    )
    tune.add_argument("--budget", metavar="N", type=int, help="trials per arm (sets tune.budget; default 16)")
    tune.add_argument("--epochs", metavar="N", type=int, help="epochs per trial (sets tune.epochs; default 40)")
    add_exports(tune, json="write the tuning with every trial and its histories", table="one row per trial")
    add_plot(tune, "the budget curves")
    add_no_cache(tune)
    tune.add_argument(*ROWS_ARGUMENT[0], **ROWS_ARGUMENT[1])
    tune.set_defaults(handler=_tune_command)

    config = commands.add_parser(
        "config",
        parents=[experiment, home],
        help="print an experiment config (a preset plus your changes) as TOML",
        description="Print the experiment config as TOML, ready to edit and pass back with --config.",
    )
    config.add_argument("--output", metavar="FILE", type=Path, help="write to FILE instead of printing")
    config.set_defaults(handler=_config_command)

    runs = commands.add_parser(
        "runs", parents=[home], help="list, show, export, merge, delete or resume stored runs and leaderboards"
    )
    actions = runs.add_subparsers(dest="runs_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=[home], help="every stored run, newest first")
    listing.add_argument("--kind", choices=list(KINDS), help="only runs of this kind")
    listing.set_defaults(handler=lambda args: _runs("runs_list", getattr(args, "kind", None)))
    show = actions.add_parser("show", parents=[home], help="one run's details and results")
    show.add_argument("run_id", metavar="ID", help="a run id (or the start of one)")
    show.set_defaults(handler=lambda args: _runs("runs_show", args.run_id))
    export = actions.add_parser("export", parents=[home], help="write a run's results as csv, json or md")
    export.add_argument("run_id", metavar="ID")
    export.add_argument(
        "--format",
        choices=["csv", "json", "md"],
        help="default: the --output file's (.csv, .json, .md), else json; a --format the file's name contradicts is "
        "refused",
    )
    export.add_argument("--output", metavar="FILE", type=Path, help="default: <run folder>/<kind>.<format>")
    export.set_defaults(handler=lambda args: _runs("runs_export", args.run_id, args.format, args.output))
    delete = actions.add_parser("delete", parents=[home], help="remove a run and its folder")
    delete.add_argument("run_id", metavar="ID")
    delete.add_argument("--yes", action="store_true", help="do not ask")
    delete.set_defaults(handler=lambda args: _runs("runs_delete", args.run_id, args.yes))
    merge = actions.add_parser(
        "merge",
        parents=[home],
        help="record one run made of finished parts: the same experiment over different pairs (or seeds)",
        description="Put finished transfer experiments or maps together as one run, recorded in the store: parts "
        "that agree in everything but their pairs (same seeds) or their seeds (same pairs), such as a map run a "
        "few pairs at a time or on several machines.",
    )
    merge.add_argument(
        "sources", metavar="SOURCE", nargs="+", help="a run id (or the start of one), or a .json file it exported"
    )
    merge.set_defaults(handler=lambda args: _runs("runs_merge", args.sources))
    resume = actions.add_parser("resume", parents=[home], help="continue an interrupted run from its last epoch")
    resume.add_argument("run_id", metavar="ID")
    _add_cluster_options(resume.add_argument_group("cluster"))
    resume.set_defaults(handler=lambda args: _runs("runs_resume", args.run_id, _cluster_values(args)))
    return parser


# the config values an error may blame that the command line sets with an option of its own
FLAGS_OF_KEYS = {"data.dir": "--data-dir DIR or $TRANSFER_TUI_DATA"}


def with_flag(error: UserError) -> str:
    """An error's message, ending with the option that sets the value it blames where it does not say so itself."""
    message = str(error)
    flags = FLAGS_OF_KEYS.get(error.key or "")
    if flags is None or error.key in message or flags.split()[0] in message:
        return message
    return f"{message} (set with {flags})"


def _runs(action: str, *arguments: object) -> int:
    from tui.cli import runs

    return getattr(runs, action)(*arguments)


def experiment_config(args: argparse.Namespace) -> ExperimentConfig:
    """Preset, then --config file, then --network (bench), then what the command line sets (launch_values)."""
    config = preset(getattr(args, "preset", DEFAULT_PRESET))
    if getattr(args, "config", None):
        config = load_config_file(args.config, config)
    if getattr(args, "network", None):  # another kind starts from that kind's defaults, which --set then changes
        config = config_from_dict({"network": {"kind": args.network}}, config)
    return config_from_dict(launch_values(args), config)


def with_section(args: argparse.Namespace, section: str, changes: dict[str, object]) -> ExperimentConfig:
    """The command line's config with a subcommand's own options set in `section` (None: not given)."""
    given = {key: value for key, value in changes.items() if value is not None}
    return config_from_dict({section: given}, experiment_config(args))


def launch_values(args: argparse.Namespace) -> dict[str, dict]:
    """What the command line sets over the preset and the --config file: each --set, then --seeds, --b-classes,
    --data-dir and the cluster options. The app lays them over a preset chosen in its form too."""
    values = override_values(getattr(args, "overrides", None) or [])
    if getattr(args, "seeds", None) is not None:
        if not args.seeds.strip():
            raise ConfigError("--seeds is empty; give seeds like 42,1,2 or 1-10", key="run.seeds")
        values.setdefault("run", {})["seeds"] = list(parse_seeds(args.seeds))
    if getattr(args, "b_classes", None):
        pairs = parse_pairs(args.b_classes)
        repeated = next((pair for index, pair in enumerate(pairs) if pair in pairs[:index]), None)
        if repeated is not None:
            raise ConfigError(f"--b-classes repeats the pair {repeated[0]},{repeated[1]}", key="split.b_classes")
        first, *more = pairs
        values.setdefault("split", {}).update(b_classes=list(first), extra_pairs=[list(pair) for pair in more])
    if getattr(args, "data_dir", None):
        values.setdefault("data", {})["dir"] = args.data_dir
    precision = getattr(args, "precision", None)
    if precision == COMPARE_PRECISIONS and not getattr(args, "compares_precisions", False):
        raise ConfigError(f"--precision needs one of {', '.join(PRECISIONS)}", key="run.precision")
    if precision is not None and precision != COMPARE_PRECISIONS:
        values.setdefault("run", {})["precision"] = precision  # checked with the config
    if _cluster_values(args):
        values.setdefault("cluster", {}).update(_cluster_values(args))
    return values


def names_of(flag: str, text: str | None, example: str) -> list[str] | None:
    """A comma-separated list of names as given (None: the option was not given); an empty one, or an empty name
    in it, is refused rather than read as 'all'."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise ConfigError(f"{flag} {text!r}: give names separated by commas, e.g. {example}")
    return names


def _config_command(args: argparse.Namespace) -> int:
    from engine.fileio import atomic_write_text

    check_output_file("--output", args.output)
    text = config_to_toml(experiment_config(args))
    if args.output:
        atomic_write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def _run_command(args: argparse.Namespace) -> int:
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


def _leaderboard_command(args: argparse.Namespace) -> int:
    from tui.cli.leaderboard import run_leaderboard_command

    changes = {
        "epochs": args.epochs,
        "optimizers": names_of("--optimizers", args.optimizers, "sgd,adam,nadam"),
        "task": args.task,
        "target_accuracy": args.target,
        "budget": args.budget,
        "space": args.space,
    }
    config = with_section(args, "leaderboard", changes)
    return run_leaderboard_command(
        config,
        sort=args.sort,
        reverse=args.reverse,
        exports=exports_of(args),
        tensorboard=tensorboard_of(args),
        rows=args.rows,
    )


def _study_command(args: argparse.Namespace) -> int:
    from tui.cli.study import run_study_command

    changes = {
        "layers": None
        if args.layers is None
        else parse_numbers(args.layers, "study.layers", "--layers", "0-5 or 0,1,3"),
        "treatments": names_of("--treatments", args.treatments, "AnB,AnB+"),
        "networks": names_of("--networks", args.networks, "dense,cnn"),
    }
    config = with_section(args, "study", changes)
    if kind_for(config, "study") is MAP:
        if args.layers is not None or args.treatments or args.plot:
            raise ConfigError("--layers, --treatments and --plot belong to the layer sweep of one pair and network")
        study_networks(config)  # an unknown network name fails here, before anything loads
    check_map_path(args.map)
    exports = exports_of(args)
    return run_study_command(
        config,
        exports=exports,
        plot=plot_of(args),
        use_cache=not args.no_cache,
        tensorboard=tensorboard_of(args),
        rows=args.rows,
        map_path=args.map,
    )


def _tune_command(args: argparse.Namespace) -> int:
    from tui.cli.tune import run_tune_command

    changes = {"budget": args.budget, "epochs": args.epochs}
    config = with_section(args, "tune", changes)
    exports = exports_of(args)
    return run_tune_command(
        config,
        exports=exports,
        plot=plot_of(args),
        use_cache=not args.no_cache,
        tensorboard=tensorboard_of(args),
        rows=args.rows,
    )


def _bench_command(args: argparse.Namespace) -> int:
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
