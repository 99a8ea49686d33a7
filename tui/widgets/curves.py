"""Learning curves of the phase in training: loss and accuracy, train against validation."""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual_plotext import PlotextPlot

from tui.state.run_state import Curves


def mean_curve(curves: list[list[float]]) -> list[float]:
    """Epoch-by-epoch mean over members, skipping members that diverged (NaN) or have not reached that epoch."""
    longest = max((len(curve) for curve in curves), default=0)
    means = []
    for epoch in range(longest):
        values = [curve[epoch] for curve in curves if epoch < len(curve) and math.isfinite(curve[epoch])]
        means.append(sum(values) / len(values) if values else math.nan)
    return means


def draw_epoch_curves(
    plot: PlotextPlot, title: str, curves: dict[str, list[float]], markers: dict[str, Marker] | None = None
) -> None:
    """Redraw `plot` with one line per curve over epochs 1, 2, ...; NaN and infinite points are left out
    (plotext cannot draw them, nor an empty series) and the epoch axis has whole-number ticks. `markers` draws a
    curve with its own character and colour (a legend beside the plot can then name it), else braille dots."""
    plt = plot.plt
    plt.clear_data()
    plt.clear_figure()
    plt.title(title)
    values = []
    for label, curve in curves.items():
        points = [(epoch, value) for epoch, value in enumerate(curve, start=1) if math.isfinite(value)]
        if points:
            if markers and label in markers:
                character, colour = markers[label]
                plt.plot(*zip(*points, strict=True), marker=character, color=colour)
            else:
                plt.plot(*zip(*points, strict=True), label=label, marker="braille")
            values += [value for _, value in points]
    if values and max(values) == min(values):  # plotext draws a flat range upside down: give it some height
        pad = max(abs(values[0]) * 0.05, 1e-3)
        plt.ylim(values[0] - pad, values[0] + pad)
    longest = max((len(curve) for curve in curves.values()), default=0)
    if longest:
        plt.xticks(list(range(1, longest + 1, max(1, longest // 8))))
    plt.xlabel("epoch")
    plot.refresh()


Marker = tuple[str, str]  # a curve's character and its plotext colour


def legend(markers: dict[str, Marker], shown: list[str]) -> Text:
    """'a adam   s sgd': each curve's character in its colour, then its name, for a plot too small (or too
    crowded, with nine lines) to hold plotext's own legend; characters tell the lines apart without colour too."""
    text = Text("lines: ", style="dim")
    for name in shown:
        character, colour = markers[name]
        text.append(character, style=f"bold {RICH_COLOURS.get(colour, colour)}")
        text.append(f" {name}   ")
    return text


# plotext's colour names as Rich names them
RICH_COLOURS = {"orange": "dark_orange", "gray": "bright_black", "blue+": "bright_blue", "red+": "bright_red"}


class CurvesPanel(Horizontal):
    """Two terminal plots side by side; with several seeds, the mean over seeds (so eight lines never pile up)."""

    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="loss-plot")
        yield PlotextPlot(id="accuracy-plot")

    def show(self, title: str, curves_by_member: dict[tuple[int, int], Curves]) -> None:
        """Draw the members' curves under `title`; with no members (a run just starting), empty plots under it."""
        members = list(curves_by_member.values())
        suffix = f" (mean of {len(members)})" if len(members) > 1 else ""
        for plot_id, metric in (("loss-plot", "loss"), ("accuracy-plot", "accuracy")):
            curves = {
                f"train{suffix}": mean_curve([getattr(member, metric) for member in members]),
                f"valid{suffix}": mean_curve([getattr(member, f"val_{metric}") for member in members]),
            }
            draw_epoch_curves(self.query_one(f"#{plot_id}", PlotextPlot), f"{metric} · {title}", curves)
