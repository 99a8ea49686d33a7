"""Learning curves of the phase in training: loss and accuracy, train against validation."""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual_plotext import PlotextPlot

from tui.run_state import Curves


def mean_curve(curves: list[list[float]]) -> list[float]:
    """Epoch-by-epoch mean over members, skipping members that diverged (NaN) or have not reached that epoch."""
    longest = max((len(curve) for curve in curves), default=0)
    means = []
    for epoch in range(longest):
        values = [curve[epoch] for curve in curves if epoch < len(curve) and math.isfinite(curve[epoch])]
        means.append(sum(values) / len(values) if values else math.nan)
    return means


class CurvesPanel(Horizontal):
    """Two terminal plots side by side; with several seeds, the mean over seeds (so eight lines never pile up)."""

    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="loss-plot")
        yield PlotextPlot(id="accuracy-plot")

    def show(self, title: str, curves_by_seed: dict[int, Curves]) -> None:
        members = list(curves_by_seed.values())
        suffix = f" (mean of {len(members)})" if len(members) > 1 else ""
        for plot_id, metric in (("loss-plot", "loss"), ("accuracy-plot", "accuracy")):
            plot = self.query_one(f"#{plot_id}", PlotextPlot)
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(f"{metric} · {title}")
            for label, curve in (
                ("train", mean_curve([getattr(member, metric) for member in members])),
                ("valid", mean_curve([getattr(member, f"val_{metric}") for member in members])),
            ):
                points = [(epoch, value) for epoch, value in enumerate(curve, start=1) if math.isfinite(value)]
                if points:  # plotext cannot draw an empty or NaN series
                    plt.plot(*zip(*points, strict=True), label=f"{label}{suffix}", marker="braille")
            longest = max((len(getattr(member, metric)) for member in members), default=0)
            if longest:
                plt.xticks(list(range(1, longest + 1, max(1, longest // 8))))
            plt.xlabel("epoch")
            plot.refresh()
