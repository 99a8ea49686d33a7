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
            train = mean_curve([getattr(member, metric) for member in members])
            valid = mean_curve([getattr(member, f"val_{metric}") for member in members])
            epochs = list(range(1, len(train) + 1))
            plt.plot(epochs, train, label=f"train{suffix}", marker="braille")
            plt.plot(epochs, valid, label=f"valid{suffix}", marker="braille")
            plt.xticks(list(range(1, len(train) + 1, max(1, len(train) // 8))))
            plt.xlabel("epoch")
            plot.refresh()
