"""`transfer-tui runs list|show|export|delete|resume`: the run store from the command line."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from engine.config import config_from_dict
from engine.errors import ConfigError
from engine.fileio import atomic_write_text
from engine.kinds import RunOptions, kind_named
from engine.results.exports import FORMATS, export_text
from engine.results.words import plural
from engine.storage.store import RunStore, open_store
from tui.cli.outputs import check_output_file
from tui.render import result_report
from tui.stored import RESUMABLE, result_of, summary_of, when


def store_for(console: Console) -> RunStore:
    """The store; an error opening it propagates (one line, exit 2), a set-aside corrupt one is reported."""
    store = open_store()
    if store.set_aside is not None:
        console.print(
            f"The run database was unreadable: moved to {store.set_aside}; a new one was started.", style="bold yellow"
        )
    return store


def runs_list(kind: str | None) -> int:
    console = Console(highlight=False)
    records = store_for(console).runs(kind)
    if not records:
        console.print("No runs yet.")
        return 0
    table = Table(title=f"{plural(len(records), 'run')}, newest first", title_justify="left", box=box.SIMPLE)
    for name in ("Run", "Kind", "Status", "Seeds", "Summary"):
        table.add_column(name, no_wrap=name != "Summary")
    for record in records:
        seeds = record.config["run"]["seeds"]
        table.add_row(record.id, record.kind, record.status, str(len(seeds)), summary_of(record))
    console.print(table)
    return 0


def runs_show(run_id: str) -> int:
    console = Console(highlight=False)
    store = store_for(console)
    record = store.find(run_id)
    console.print(
        f"[bold]{record.kind.capitalize()} {record.id}[/]: {record.status}, started {when(record.started_at)}"
        f", ended {when(record.ended_at)}, on {record.device or '?'}"
    )
    if record.reason:
        console.print(f"Why: {record.reason}", markup=False)
    console.print("Versions: " + ", ".join(f"{k} {v}" for k, v in record.versions.items()), style="dim")
    console.print(f"Folder: {record.folder}; {len(store.epochs(record.id))} epoch rows recorded", style="dim")
    result = result_of(record)
    if result is not None:
        for part in result_report(result):
            console.print(part)
    else:
        console.print(
            "No results: the run did not end."
            + (" 'transfer-tui runs resume' continues it." if record.status in RESUMABLE else "")
        )
    return 0


def runs_export(run_id: str, fmt: str, output: Path | None) -> int:
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}")
    check_output_file("--output", output)
    console = Console(highlight=False)
    store = store_for(console)
    record = store.find(run_id)
    result = result_of(record)
    if result is None:
        raise ConfigError(f"run {record.id} has no results to export (status {record.status})")
    target = output or Path(record.folder) / f"{record.kind}.{fmt}"
    atomic_write_text(target, export_text(result, fmt))
    store.add_files(record.id, "export", [str(target)])
    console.print(f"Wrote {target}")
    return 0


def runs_delete(run_id: str, yes: bool) -> int:
    console = Console(highlight=False)
    store = store_for(console)
    record = store.find(run_id)
    if record.status == "running":
        raise ConfigError(f"run {record.id} is running; stop it before deleting it")
    if not yes:
        if not sys.stdin.isatty():
            raise ConfigError("deleting needs --yes when there is no terminal to ask")
        answer = console.input(f"Delete run {record.id} and its folder {record.folder}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            console.print("Kept.")
            return 0
    store.delete(record.id)
    shutil.rmtree(record.folder, ignore_errors=True)
    console.print(f"Deleted run {record.id}.")
    return 0


def runs_resume(run_id: str, cluster: dict[str, object] | None = None) -> int:
    """Continue a run from its checkpoints; `cluster` ([cluster] values) moves it onto, or to another, cluster."""
    from tui.cli.execute import execute

    console = Console(highlight=False)
    record = store_for(console).find(run_id)
    if record.status not in RESUMABLE:
        raise ConfigError(f"run {record.id} is {record.status}; only interrupted, cancelled or failed runs resume")
    console.print(f"Resuming {record.kind} {record.id} from its last finished epoch.")
    kind, options = kind_named(record.kind), RunOptions.from_dict(record.options)
    config = config_from_dict({"cluster": cluster} if cluster else {}, config_from_dict(record.config))
    return execute(kind, config, Path(record.folder), options, resume=True)
