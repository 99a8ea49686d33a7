"""The transfer map as a file: an SVG drawn from the very text the terminal shows (colours included), or the
map's numbers as CSV or JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from engine.fileio import atomic_write_text, finite
from engine.results.experiment import ExperimentResult
from engine.results.exports import rows_as_csv
from engine.results.pair_map import MapResult, PairMap, map_rows
from tui.render.map import map_report


def write_map_file(result: ExperimentResult | MapResult, path: Path) -> None:
    """Write every network's map of `result` to `path`, in the format its suffix names."""
    networks = result.by_network()
    maps = [PairMap.of(one, name) for name, one in networks.items()]
    gains = result.gains() if isinstance(result, MapResult) else None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        atomic_write_text(path, rows_as_csv([row for pair_map in maps for row in map_rows(pair_map)]))
    elif suffix == ".json":
        values = {"maps": [{"network": m.name, "reading": m.reading(), "cells": map_rows(m)} for m in maps]}
        if isinstance(result, MapResult):
            values |= {k: v for k, v in result.to_dict().items() if k in ("paired_gains", "verdict")}
        atomic_write_text(path, json.dumps(finite(values), indent=2) + "\n")
    else:
        console = Console(record=True, width=100, file=io.StringIO(), force_terminal=True, color_system="truecolor")
        console.print(map_report(maps, gains))
        atomic_write_text(path, console.export_svg(title="transfer-tui: transfer map"))
