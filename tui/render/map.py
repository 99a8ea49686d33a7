"""The transfer map as Rich renderables, for the terminal and the app alike: a triangle of class pairs, each cell
mean Δ (points) and seeds won, on a diverging colour scale (green: B on A ahead, red: behind). Without colour
(NO_COLOR) the sign and the number carry the same information."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from engine.classes import N_CLASSES, class_name
from engine.kinds import variance_line
from engine.results.experiment import ExperimentResult
from engine.results.pair_map import SHADE_STEPS, MapResult, PairedGain, PairMap, gains_verdict, shade

SHORT_NAMES = ("Tshirt", "Trousr", "Pullov", "Dress", "Coat", "Sandal", "Shirt", "Snekr", "Bag", "Boot")
AHEAD = ("", "on #2d4f2d", "on #2f7030", "on #25962a")
BEHIND = ("", "on #553030", "on #833030", "on #b52828")
LEGEND = (
    f"Cell: mean Δ in points (B on A minus B from scratch) over seeds won of seeds. Green: B on A ahead, red: behind; "
    f"darker from |Δ| ≥ {SHADE_STEPS[0]}, {SHADE_STEPS[1]:g} and {SHADE_STEPS[2]:g} points. * and bold: the pair's "
    "95% interval clears zero after Holm's correction over the map's pairs. Row: the positive class."
)


def cell_text(difference: float | None, wins: int, seeds: int, clear: bool = False) -> Text:
    """Two lines on its colour, '+0.4' over '3/3' (seeds won of seeds), so neighbouring cells never run into each
    other; '·' where the pair has no result, 'div' where every seed diverged; `clear` (its interval clears zero
    after Holm's correction) marks it '3/3*' and bold, which NO_COLOR keeps."""
    if seeds == 0 or difference is None:
        return Text("div" if seeds == 0 else "·", style="dim", justify="right")
    points = 100 * difference
    styles = AHEAD if points > 0 else BEHIND
    style = f"bold {styles[shade(points)]}".strip() if clear else styles[shade(points)]
    return Text(f"{points:+.1f}\n{wins}/{seeds}{'*' if clear else ''}", style=style, justify="right")


def map_cell(pair_map: PairMap, pair: tuple[int, int]) -> Text:
    """A pair's cell of `pair_map`, marked where Holm's correction leaves it clear."""
    summary = pair_map.cells.get(pair)
    if summary is None:
        return Text("·", style="dim", justify="right")
    if 0 < summary.n_seeds == summary.n_diverged:  # counted at chance level, but shown for what it is
        return Text("div", style="dim", justify="right")
    pooled = pair_map.over_pairs
    clear = pooled is not None and pooled.corrected.get(pair, 0) != 0
    return cell_text(summary.difference_mean, summary.wins, summary.n_seeds, clear)


def map_table(pair_map: PairMap, title: str | None = None) -> Table:
    """The lower triangle: row j (positive class), column i (negative class), cell pair (i, j)."""
    table = Table(title=title, title_justify="left", box=None, padding=(0, 1, 0, 0), show_edge=False)
    table.add_column("", no_wrap=True)
    for column in range(N_CLASSES - 1):
        table.add_column(SHORT_NAMES[column], justify="right", no_wrap=True, min_width=6)
    for row in range(1, N_CLASSES):
        cells: list[Text | str] = [Text(SHORT_NAMES[row], style="bold")]
        for column in range(N_CLASSES - 1):
            if column >= row:
                cells.append("")
                continue
            cells.append(map_cell(pair_map, (column, row)))
        table.add_row(*cells)
    return table


def map_report(maps: list[PairMap], gains: list[PairedGain] | None = None) -> RenderableType:
    """Every map with its reading, then (two networks) the paired difference of their gains."""
    parts: list[RenderableType] = []
    for pair_map in maps:
        parts += [map_table(pair_map, f"Transfer map · {pair_map.name}"), Text(pair_map.reading()), Text("")]
    parts.append(Text(LEGEND, style="dim"))
    if gains is not None and len(maps) == 2:
        parts += [Text(""), gains_table(gains, maps[0].name, maps[1].name)]
        parts.append(Text(gains_verdict(gains, maps[0].name, maps[1].name)))
    return Group(*parts)


def gains_table(gains: list[PairedGain], first: str, second: str) -> Table:
    """Per pair: the gain of `second` minus the gain of `first`, mean and 95% interval over shared seeds."""
    table = Table(title=f"Gain of {second} minus gain of {first}, points", title_justify="left", box=None)
    table.add_column("pair")
    table.add_column("seeds", justify="right")
    table.add_column("mean", justify="right")
    table.add_column("95% interval", justify="right")
    for gain in gains:
        negative, positive = gain.pair
        interval = "—" if gain.ci95 is None else f"{100 * gain.ci95[0]:+.2f} to {100 * gain.ci95[1]:+.2f}"
        if gain.ci95 is not None and max(abs(bound) for bound in gain.ci95) > 1:  # past ±100 points: unreadable
            interval += " (too wide to read)"
        mean = "—" if gain.mean is None else f"{100 * gain.mean:+.2f}"
        table.add_row(f"{class_name(negative)} vs {class_name(positive)}", str(gain.n_seeds), mean, interval)
    return table


def map_summary(result: ExperimentResult | MapResult) -> list[RenderableType]:
    """What the app shows above the maps: each network's reading, the legend and, for two networks, the verdict
    on their paired gains (the maps themselves are widgets there)."""
    networks = result.by_network()
    parts: list[RenderableType] = []
    if result.status == "cancelled":
        parts.append(Text("Cancelled: the maps show the pairs that finished.", style="bold yellow"))
    for name, one in networks.items():
        parts.append(Text.assemble((f"{name}: ", "bold"), PairMap.of(one, name).reading()))
    parts.append(Text(LEGEND + " Arrow keys choose a pair: its seeds and curves are below.", style="dim"))
    gains = result.gains_verdict() if isinstance(result, MapResult) else ""
    if gains:
        parts.append(Text(gains, style="bold"))
    return [*parts, Text(variance_line(result), style="dim")]
