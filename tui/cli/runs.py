"""`transfer-tui runs list|show|export|merge|delete|resume`: the run store from the command line."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from engine.config import config_from_dict, stored_config
from engine.errors import ConfigError
from engine.fileio import atomic_write_text
from engine.kinds import RunOptions, kind_named, kind_of
from engine.paths import new_run_id, runs_dir
from engine.results.exports import FORMATS, export_text
from engine.results.merge import Part, exported_result, merged_result, with_models_here
from engine.results.words import plural
from engine.storage.store import RunStore, database_path, open_store
from tui.cli.console import command_console
from tui.cli.outputs import check_output_file
from tui.kinds import result_report
from tui.state.stored import RESUMABLE, listed_kind, result_of, store_place, summary_of, when

DEFAULT_EXPORT_FORMAT = "json"  # every number of the run; csv and md hold its table
# how the user points the commands at another run store
ELSEWHERE = "(runs are kept under ./resources of the folder a command runs in; --home or $TRANSFER_TUI_HOME say where)"


def store_for(console: Console, create: bool = False) -> RunStore:
    """The store; an error opening it propagates (one line, exit 2), a set-aside corrupt one is reported. Where
    there is none, only a command that records a run (`create`) makes one; the others say where they looked."""
    if not create and not database_path().is_file():
        raise ConfigError(f"no runs yet: there is no run store at {store_place()} {ELSEWHERE}")
    store = open_store()
    if store.set_aside is not None:
        console.print(
            f"The run database was unreadable: moved to {store.set_aside}; a new one was started.", style="bold yellow"
        )
    return store


def runs_list(kind: str | None) -> int:
    """Every stored run (of `kind` as listed: a run over several pairs is a map), or where none were found."""
    console = command_console()
    if not database_path().is_file():
        console.print(
            f"No runs yet: there is no run store at {store_place()} {ELSEWHERE}", markup=False, soft_wrap=True
        )
        return 0
    stored = store_for(console).runs()
    records = [record for record in stored if kind is None or listed_kind(record) == kind]
    if not records:
        some = f"no {kind} runs among the {plural(len(stored), 'run')}" if kind and stored else "No runs yet"
        console.print(f"{some[0].upper()}{some[1:]} in {store_place()}.", markup=False, soft_wrap=True)
        return 0
    # the store's path on a line of its own, never wrapped, so that it can be copied
    console.print(f"{plural(len(records), 'run')} in {store_place()}, newest first", markup=False, soft_wrap=True)
    table = Table(box=box.SIMPLE)
    for name in ("Run", "Kind", "Status", "Seeds", "Summary"):
        table.add_column(name, no_wrap=name != "Summary")
    for record in records:
        seeds = record.config["run"]["seeds"]
        table.add_row(record.id, listed_kind(record), record.status, str(len(seeds)), summary_of(record))
    console.print(table)
    return 0


def runs_show(run_id: str) -> int:
    console = command_console()
    store = store_for(console)
    record = store.find(run_id)
    console.print(
        f"[bold]{record.kind.capitalize()} {record.id}[/]: {record.status}, started {when(record.started_at)}"
        f", ended {when(record.ended_at)}, on {record.device or '?'}"
    )
    if record.hardware:
        console.print(f"Device: {record.hardware}", markup=False, highlight=False)
    if record.reason:
        console.print(f"Why: {record.reason}", markup=False)
    if record.options.get("merged_from"):
        console.print("Merged from: " + ", ".join(record.options["merged_from"]), markup=False)
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


def export_format(fmt: str | None, output: Path | None) -> str:
    """The format to write: --format, or the --output file's (.csv, .json, .md), else json; the two must agree."""
    named = {".csv": "csv", ".json": "json", ".md": "md"}.get(output.suffix.lower()) if output else None
    if output is not None and named is None:
        raise ConfigError(f"--output {output}: name the file .csv, .json or .md")
    if fmt is not None and named is not None and fmt != named:
        raise ConfigError(f"--format {fmt} but --output {output} is a .{named} file: give one or make them agree")
    chosen = fmt or named or DEFAULT_EXPORT_FORMAT
    if chosen not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}")
    return chosen


def runs_export(run_id: str, fmt: str | None, output: Path | None) -> int:
    fmt = export_format(fmt, output)
    check_output_file("--output", output)
    console = command_console()
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


def runs_merge(sources: list[str]) -> int:
    """Record the parts (run ids or exported .json files) as one run, checked to be shares of one experiment."""
    console = command_console()
    store = store_for(console, create=True)
    parts, versions = [], {}
    for source in sources:
        if source.lower().endswith(".json") or Path(source).is_file():
            parts.append(_exported_part(Path(source)))
            continue
        record = store.find(source)
        result = result_of(record)
        if result is None:
            raise ConfigError(f"run {record.id} has no results to merge (status {record.status})")
        parts.append(Part(record.id, record.config, result))
        for name, version in record.versions.items():
            versions.setdefault(name, []).append(version)
    config, result = merged_result(parts)
    result, missing = with_models_here(result)
    if missing:
        console.print(
            f"{plural(missing, 'model file')} that the parts name are not on this machine; the merged run lists "
            f"the {len(result.model_files())} that are.",
            markup=False,
        )
    kind = kind_of(result)
    run_id = new_run_id()
    folder = runs_dir() / run_id
    versions = {name: " / ".join(dict.fromkeys(values)) for name, values in versions.items()}
    merged_from = {"merged_from": [part.source for part in parts]}
    store.start(run_id, kind.name, config, folder, versions, result.device, merged_from)
    store.finish(run_id, result.status, result.to_dict(), result.device)
    console.print(f"Merged {plural(len(parts), 'run')} into {kind.title} {run_id}.", markup=False)
    for part in result_report(result):
        console.print(part)
    return 0


def _exported_part(path: Path) -> Part:
    """A part read from a JSON export; a one-line error for a file that is missing, unreadable or another kind."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such run file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it as JSON ({exc})") from None
    result = exported_result(data)
    if result is None:
        raise ConfigError(
            f"{path}: not an exported transfer experiment, map or tuning (runs export --format json writes one)"
        )
    return Part(str(path), data["config"], result)


def runs_delete(run_id: str, yes: bool) -> int:
    console = command_console()
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

    console = command_console()
    record = store_for(console).find(run_id)
    if record.status not in RESUMABLE:
        raise ConfigError(f"run {record.id} is {record.status}; only interrupted, cancelled or failed runs resume")
    console.print(f"Resuming {record.kind} {record.id} from its last finished epoch.")
    kind, options = kind_named(record.kind), RunOptions.from_dict(record.options)
    config = config_from_dict({"cluster": cluster} if cluster else {}, stored_config(record.config))
    return execute(kind, config, Path(record.folder), options, resume=True)
