"""Results as CSV, JSON or Markdown text, for every kind of run: each result gives its rows and heading."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from engine.errors import ConfigError
from engine.fileio import finite
from engine.results.protocol import RunResult

FORMATS = ("csv", "json", "md")


def export_text(result: RunResult, fmt: str) -> str:
    """`result` in format `fmt` (csv, json or md)."""
    if fmt not in FORMATS:
        raise ConfigError(f"export format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    problem = nothing_to_export(result)
    if problem is not None:
        raise ConfigError(problem)
    rows = result.export_rows()
    if fmt == "json":
        return json.dumps(finite(result.to_dict()), indent=2) + "\n"
    return rows_as_csv(rows) if fmt == "csv" else _markdown(result.export_heading(), rows)


def nothing_to_export(result: RunResult) -> str | None:
    """Why `result` has nothing to export, or None: a file of headers, zeros or nothing would pass for a result."""
    if result.export_rows():
        return None
    return f"nothing to export: the run ended {result.status} before any part of it finished"


def rows_as_csv(rows: list[dict[str, Any]]) -> str:
    """Flat rows as CSV text with a header line (none for no rows)."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(finite(rows))
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value).replace("|", "\\|")


def _markdown(heading: str, rows: list[dict[str, Any]]) -> str:
    if not rows:
        return heading + "\nNo results.\n"
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(_cell(value) for value in row.values()) + " |" for row in finite(rows)]
    return heading + "\n" + "\n".join(lines) + "\n"
