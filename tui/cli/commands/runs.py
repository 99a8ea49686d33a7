"""`transfer-tui runs`: list, show, export, merge, delete or resume stored runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.kinds import KINDS
from tui.cli.arguments import add_flags, flag_values
from tui.options import flags_of


def add(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    runs = commands.add_parser(
        "runs", parents=parents, help="list, show, export, merge, delete or resume stored runs and leaderboards"
    )
    actions = runs.add_subparsers(dest="runs_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=parents, help="every stored run, newest first")
    listing.add_argument("--kind", choices=list(KINDS), help="only runs of this kind")
    listing.set_defaults(handler=lambda args: _runs("runs_list", getattr(args, "kind", None)))
    show = actions.add_parser("show", parents=parents, help="one run's details and results")
    show.add_argument("run_id", metavar="ID", help="a run id (or the start of one)")
    show.set_defaults(handler=lambda args: _runs("runs_show", args.run_id))
    export = actions.add_parser("export", parents=parents, help="write a run's results as csv, json or md")
    export.add_argument("run_id", metavar="ID")
    export.add_argument(
        "--format",
        choices=["csv", "json", "md"],
        help="default: the --output file's (.csv, .json, .md), else json; a --format the file's name contradicts is "
        "refused",
    )
    export.add_argument("--output", metavar="FILE", type=Path, help="default: <run folder>/<kind>.<format>")
    export.set_defaults(handler=lambda args: _runs("runs_export", args.run_id, args.format, args.output))
    delete = actions.add_parser("delete", parents=parents, help="remove a run and its folder")
    delete.add_argument("run_id", metavar="ID")
    delete.add_argument("--yes", action="store_true", help="do not ask")
    delete.set_defaults(handler=lambda args: _runs("runs_delete", args.run_id, args.yes))
    merge = actions.add_parser(
        "merge",
        parents=parents,
        help="record one run made of finished parts: the same experiment over different pairs (or seeds)",
        description="Put finished transfer experiments or maps together as one run, recorded in the store: parts "
        "that agree in everything but their pairs (same seeds) or their seeds (same pairs), such as a map run a "
        "few pairs at a time or on several machines.",
    )
    merge.add_argument(
        "sources", metavar="SOURCE", nargs="+", help="a run id (or the start of one), or a .json file it exported"
    )
    merge.set_defaults(handler=lambda args: _runs("runs_merge", args.sources))
    resume = actions.add_parser("resume", parents=parents, help="continue an interrupted run from its last epoch")
    resume.add_argument("run_id", metavar="ID")
    add_flags(resume.add_argument_group("cluster"), flags_of("resume"))
    resume.set_defaults(handler=lambda args: _runs("runs_resume", args.run_id, flag_values(args).get("cluster", {})))


def _runs(action: str, *arguments: object) -> int:
    from tui.cli import runs

    return getattr(runs, action)(*arguments)
