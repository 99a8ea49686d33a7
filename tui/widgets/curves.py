"""Learning curves of the phase in training: loss and accuracy, train against validation."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual_plotext import PlotextPlot

from tui.run_state import Curves


class CurvesPanel(Horizontal):
    """Two terminal plots side by side, redrawn after each epoch."""

    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="loss-plot")
        yield PlotextPlot(id="accuracy-plot")

    def show(self, title: str, curves_by_seed: dict[int, Curves]) -> None:
        for plot_id, metric in (("loss-plot", "loss"), ("accuracy-plot", "accuracy")):
            plot = self.query_one(f"#{plot_id}", PlotextPlot)
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(f"{metric} · {title}")
            for seed, curves in curves_by_seed.items():
                suffix = f" {seed}" if len(curves_by_seed) > 1 else ""
                train, valid = getattr(curves, metric), getattr(curves, f"val_{metric}")
                epochs = list(range(1, len(train) + 1))
                plt.plot(epochs, train, label=f"train{suffix}", marker="braille")
                plt.plot(epochs, valid, label=f"valid{suffix}", marker="braille")
            longest = max((len(getattr(c, metric)) for c in curves_by_seed.values()), default=0)
            plt.xticks(list(range(1, longest + 1, max(1, longest // 8))))
            plt.xlabel("epoch")
            plot.refresh()
